/**
 * One chunk of rows: generated, encoded, and summarised for the evaluator. Pure: the same spec and
 * row range give the same result in any thread, which is what makes the output deterministic.
 */
import type { CellValue, DatasetSchema, Format } from '../shared/schema.ts'
import { compileCached, type CompiledSchema, type ValueTable } from './columns.ts'
import { fileFormat, type ChunkEncoder, type FileFormat } from './formats.ts'
import type { RowGroupMeta } from './parquet.ts'
import { RowRandom, rowHash, seedWords } from './random.ts'

/** What a generation run is asked for: enough to produce any chunk of it. */
export interface GenerationSpec {
  schema: DatasetSchema
  rows: number
  format: Format
  seed: number
  /** Rows the evaluator keeps (a seeded sample of the whole output). */
  sampleSize: number
  /** The first rows kept as values for the preview. */
  previewRows: number
  /** CSV: neutralise spreadsheet formulas. */
  escapeFormulas?: boolean
  /** SQL: the target table. */
  table?: string
}

export interface SampledRow {
  row: number
  priority: number
  /** Every column's cell, hidden ones included (schema order). */
  cells: CellValue[]
}

export interface ChunkResult {
  start: number
  count: number
  /** The chunk's rows, encoded (gzipped: a gzip member of the separator before them and the rows). */
  bytes: Uint8Array
  /** Gzipped: the length of the rows before compression (the separator not counted). */
  plainBytes?: number
  /** Parquet: the row group's metadata, for the footer. */
  meta?: RowGroupMeta
  /** Nulls per schema column, counted over every row of the chunk. */
  nulls: number[]
  /** Per categorical column index: count per category (schema order); per boolean column: [true, false]. */
  counts: Record<number, number[]>
  /** Rows picked for the evaluator's sample. */
  sample: SampledRow[]
  /** Output values of the rows whose index is below `previewRows`. */
  preview: CellValue[][]
}

/** Level 6 (zlib's default): the usual balance; fixed, since the level changes the bytes. */
export const GZIP_LEVEL = 6

/**
 * Rows per gzip member of a gzipped file (unless the format fixes its chunks, as Parquet does): each
 * chunk is compressed on its own, in the worker that made it, so members end at fixed rows.
 */
export const GZIP_MEMBER_ROWS = 20_000

/** Salt for the sample's priorities, so they are independent of the rows' own streams. */
export const SAMPLE_SALT = 0x5eed5a11

/** Over-sampling factor: chunks send a few more candidates than needed, the merge keeps the lowest. */
const SAMPLE_SLACK = 1.25

/** Kinds whose values are never null: their cells are null only by the column's null rate. */
const NEVER_NULL = new Set<DatasetSchema['columns'][number]['kind']>(['sequence', 'uuid', 'pattern', 'integer', 'float', 'boolean', 'categorical', 'datetime', 'date', 'time', 'template', 'empirical'])

/** Formats whose encoders take ISO 8601 UTC instants as epoch ms: their cells skip making the text. */
const DEFERS_INSTANTS = new Set<Format>(['csv', 'parquet'])

/**
 * The compiled schema for a run: the compile of an earlier run of the same schema and format when
 * there is one (compileCached; the format decides which modes createChunkGenerator switches on).
 */
export function compiledFor(spec: Pick<GenerationSpec, 'schema' | 'rows' | 'seed' | 'format'>): CompiledSchema {
  const variant = spec.format === 'csv' ? 'deferred instants and texts' : DEFERS_INSTANTS.has(spec.format) ? 'deferred instants' : 'plain'
  return compileCached(spec.schema, { rows: spec.rows, seed: spec.seed }, variant)
}

/** The compiled schema and file format of a spec (also used by the writer for header and footer). */
export function prepare(spec: GenerationSpec): { compiled: CompiledSchema; format: FileFormat } {
  const compiled = compiledFor(spec)
  const format = fileFormat(spec.format, compiled.names, compiled.types, compiled.outputIndex, {
    rows: spec.rows, escapeFormulas: spec.escapeFormulas, table: spec.table, tables: compiled.tables, pieces: compiled.pieces,
    instants: DEFERS_INSTANTS.has(spec.format) ? compiled.deferrable : undefined,
  })
  return { compiled, format }
}

/** Compiles the spec once and returns a function producing any chunk of it. */
export function createChunkGenerator(spec: GenerationSpec, prepared = prepare(spec)): (start: number, count: number, recycled?: ArrayBuffer) => ChunkResult {
  const { compiled, format } = prepared
  const rng = new RowRandom(spec.seed)
  const [seedLo, seedHi] = seedWords(spec.seed)
  const threshold = Math.min(1, (SAMPLE_SLACK * spec.sampleSize) / spec.rows)
  const columns = spec.schema.columns
  // The columns whose values are counted: categoricals by category index (the index their sampler
  // drew, read from the column's table), booleans as [true, false].
  const categorical = columns.flatMap((column, i) => (column.kind === 'categorical' ? [{ i, table: compiled.tables[i]! }] : []))
  const booleans = columns.flatMap((column, i) => (column.kind === 'boolean' ? [i] : []))
  // Nulls are counted only where there can be some.
  const nullable = Int32Array.from(columns.flatMap((column, i) => (column.null_rate > 0 || !NEVER_NULL.has(column.kind) ? [i] : [])))
  const { outputIndex } = compiled
  // Cells of deferred instants hold epoch ms: made into text for the rows that leave the chunk as values.
  const deferred = DEFERS_INSTANTS.has(spec.format) ? compiled.deferrable.flatMap((text, i) => (text ? [{ i, text }] : [])) : []
  if (deferred.length) compiled.deferInstants()
  // CSV writes templates from their pieces: cells of deferred texts are undefined, joined where needed.
  const texts = spec.format === 'csv' ? compiled.deferrableTexts.flatMap((on, i) => (on ? [{ i, source: compiled.pieces[i]! }] : [])) : []
  if (texts.length) compiled.deferTexts()
  const values = (cells: CellValue[]) => {
    const copy = cells.slice()
    for (const { i, text } of deferred) if (typeof copy[i] === 'number') copy[i] = text(copy[i])
    for (const { i, source } of texts) if (copy[i] === undefined) copy[i] = source.parts().join('')
    return copy
  }

  return (start, count, recycled) => {
    const nulls = new Array<number>(columns.length).fill(0)
    const counts: Record<number, number[]> = {}
    columns.forEach((column, i) => {
      if (column.kind === 'categorical') counts[i] = new Array<number>(column.categories.length).fill(0)
      else if (column.kind === 'boolean') counts[i] = [0, 0]
    })
    const run: ChunkRun = {
      compiled, rng, seedLo, seedHi, threshold, previewRows: spec.previewRows, outputIndex, values,
      nullable, booleans, categorical, nulls, counts, sample: [], preview: [],
      cells: new Array<CellValue>(columns.length), encoder: format.newChunk(recycled),
    }
    addRows(run, start, count)
    const { bytes, meta } = run.encoder.finish()
    return { start, count, bytes, meta, nulls, counts, sample: run.sample, preview: run.preview }
  }
}

/** A chunk being made: the run's compiled schema and what the chunk collects. */
interface ChunkRun {
  compiled: CompiledSchema
  rng: RowRandom
  seedLo: number
  seedHi: number
  /** Rows whose priority is below it are sample candidates. */
  threshold: number
  previewRows: number
  outputIndex: number[]
  /** A row's cells as output values (deferred ones made into text). */
  values: (cells: CellValue[]) => CellValue[]
  nullable: Int32Array
  booleans: number[]
  categorical: { i: number; table: ValueTable }[]
  nulls: number[]
  counts: Record<number, number[]>
  sample: SampledRow[]
  preview: CellValue[][]
  cells: CellValue[]
  encoder: ChunkEncoder
}

/**
 * Makes, encodes and summarises rows [start, start + count) of a chunk. One function for every chunk
 * of every run (not a closure per run), so V8 optimises it once and keeps it optimised across jobs.
 */
function addRows(run: ChunkRun, start: number, count: number): void {
  const { compiled, rng, cells, nullable, nulls, booleans, counts, categorical, encoder, seedLo, seedHi, threshold, previewRows } = run
  for (let row = start; row < start + count; row++) {
    compiled.fillRow(rng, row, cells)
    for (let k = 0; k < nullable.length; k++) if (cells[nullable[k]!] === null) nulls[nullable[k]!]!++
    for (let k = 0; k < booleans.length; k++) {
      const value = cells[booleans[k]!]
      if (value !== null) counts[booleans[k]!]![value ? 0 : 1]!++
    }
    for (let k = 0; k < categorical.length; k++) {
      const { i, table } = categorical[k]!
      if (cells[i] !== null) counts[i]![table.code]!++
    }
    encoder.add(cells, row)
    const priority = rowHash(seedLo, seedHi, row, SAMPLE_SALT)
    if (priority < threshold) run.sample.push({ row, priority, cells: run.values(cells) })
    if (row < previewRows) {
      const copy = run.values(cells)
      run.preview.push(run.outputIndex.map(i => copy[i]!))
    }
  }
}
