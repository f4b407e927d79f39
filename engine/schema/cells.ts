/**
 * What a row's cells are, as the samplers make them and the encoders read them: the values, the
 * lists and pieces some of them come from, and the output columns an encoder is given. No logic of
 * columns or formats here, so both sides import it without importing each other.
 */
import type { CellValue } from '../../shared/schema.ts'

export type { CellValue }

/** The type a column's values have in typed formats (Parquet, SQL). */
export type OutputType = 'integer' | 'number' | 'string' | 'boolean' | 'timestamp' | 'date'

/**
 * The fixed list a sampler's values are entries of (a column's categories, a faker name list): after
 * a draw, `code` is the index in `values` of the value it returned, or -1 when that value was built
 * otherwise (a double-barrelled name). Lets callers precompute per-entry work (filters, encodings)
 * instead of repeating it per value. A class with a field rather than a function per list, so that
 * reading it is a load the same code does for every list.
 */
export class ValueTable<T extends CellValue = CellValue> {
  code = -1
  readonly values: readonly T[]
  constructor(values: readonly T[]) {
    this.values = values
  }
}

/**
 * The pieces the last value of a method was concatenated from (their concatenation is `text()`), so
 * encoders can write the pieces (flat strings) instead of flattening the concatenation.
 */
export interface PartsSource {
  text(): string
  parts(): readonly string[]
}

/**
 * One column of the output, as every encoder takes it: the file's columns are a list of these in
 * output order (hidden columns left out), built once per run from the compiled schema.
 */
export interface OutputColumn {
  readonly name: string
  /** The type of its values, for typed formats. */
  readonly type: OutputType
  /** Its cell's index in a row's cells (schema order, hidden columns included). */
  readonly index: number
  /** The list its values come from: after a row is filled, `table.code` is the index of the row's value in it. */
  readonly table?: ValueTable
  /** The pieces of its concatenated values. A deferred text's cell is undefined and only these hold it. */
  readonly pieces?: PartsSource
  /** For formats that defer instants: the formatter of the ISO 8601 text its cells hold as epoch ms. */
  readonly instant?: (ms: number) => string
}
