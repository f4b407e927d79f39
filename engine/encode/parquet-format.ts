/**
 * The Parquet format: what a file of output columns is made of. The row groups and the footer are
 * encoded by parquet.ts; this maps output types to Parquet types, collects a chunk's cells column by
 * column (string columns straight into their UTF-8 builders), and makes the values a typed column
 * cannot hold fit it (coerce).
 */
import { PARQUET_ROW_GROUP_ROWS } from '../../shared/formats.ts'
import type { CellValue, OutputColumn, OutputType } from '../schema/cells.ts'
import type { FileFormat } from './encoder.ts'
import { encodeFooter, encodeRowGroup, PARQUET_MAGIC, StringColumnBuilder, type ParquetColumn, type ParquetType } from './parquet.ts'
import { parseDate, parseTimestamp } from '../time/iso.ts'
import { bytesOf, EMPTY } from './utf8.ts'

export { PARQUET_ROW_GROUP_ROWS }

const PARQUET_TYPES: Record<OutputType, ParquetType> = {
  integer: 'INT64',
  number: 'DOUBLE',
  string: 'STRING',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP_MILLIS',
  date: 'DATE',
}

/**
 * Parquet of `columns`, typed by their output types: the magic, a row group per chunk of
 * PARQUET_ROW_GROUP_ROWS rows (encodeRowGroup), and the footer made from the row groups' metadata.
 */
export function parquetFormat(columns: readonly OutputColumn[]): FileFormat {
  const outputIndex = columns.map(column => column.index)
  const parquetColumns: ParquetColumn[] = columns.map(({ name, type }) => ({ name, type: PARQUET_TYPES[type], nullable: true }))
  const strings = parquetColumns.map(column => column.type === 'STRING')
  // String columns drawn from a list: entries are encoded once (as the text coerce would make of
  // them) and copied; other strings are encoded as they come.
  const lists = columns.map((column, k) => (strings[k] ? column.table : undefined))
  let entries: ({ bytes: Uint8Array; start: Int32Array } | undefined)[] | undefined
  return {
    header: PARQUET_MAGIC,
    separator: EMPTY,
    fixedChunkRows: PARQUET_ROW_GROUP_ROWS,
    footer: chunks => encodeFooter(parquetColumns, chunks.map(c => ({ meta: c.meta!, offset: c.offset }))),
    newChunk(recycled) {
      const values = parquetColumns.map(() => [] as CellValue[])
      const builders = parquetColumns.map(column => (column.type === 'STRING' ? new StringColumnBuilder(column) : undefined))
      entries ??= lists.map(list => list && utf8Entries(list.values))
      return {
        add(cells) {
          for (let k = 0; k < outputIndex.length; k++) {
            const value = cells[outputIndex[k]!]!
            const builder = builders[k]
            if (builder === undefined) {
              values[k]!.push(value)
              continue
            }
            const list = lists[k]
            if (list !== undefined && value !== null) {
              const code = list.code
              if (code >= 0 && list.values[code] === value) {
                const { bytes, start } = entries![k]!
                builder.addBytes(bytes, start[code]!, start[code + 1]!)
                continue
              }
            }
            // What coerce makes of a value that is not text.
            builder.add(value === null || typeof value === 'string' ? value : String(value))
          }
        },
        finish: () => encodeRowGroup(parquetColumns, parquetColumns.map((column, k) => builders[k]?.finish() ?? coerce(values[k]!, column.type)), recycled),
      }
    },
  }
}

/** A list's values as UTF-8 (their text), one after the other: entry k is bytes[start[k]] up to start[k + 1]. */
function utf8Entries(list: readonly CellValue[]): { bytes: Uint8Array; start: Int32Array } {
  const parts = list.map(v => bytesOf(String(v)))
  const start = new Int32Array(list.length + 1)
  parts.forEach((part, k) => { start[k + 1] = start[k]! + part.length })
  const bytes = new Uint8Array(start[list.length]!)
  parts.forEach((part, k) => bytes.set(part, start[k]!))
  return { bytes, start }
}

const FITS: Record<ParquetType, (v: CellValue) => boolean> = {
  STRING: v => typeof v === 'string',
  BOOLEAN: v => typeof v === 'boolean',
  INT64: v => Number.isSafeInteger(v),
  DOUBLE: v => typeof v === 'number',
  TIMESTAMP_MILLIS: v => (typeof v === 'number' ? Number.isFinite(v) : typeof v === 'string' && Number.isFinite(parseTimestamp(v))),
  DATE: v => typeof v === 'string' && Number.isFinite(parseDate(v)),
}

/** True when every value is null or of the column's type (a plain loop per type: this runs on every value). */
function allFit(values: CellValue[], type: ParquetType): boolean {
  const n = values.length
  switch (type) {
    case 'STRING':
      for (let i = 0; i < n; i++) if (values[i] !== null && typeof values[i] !== 'string') return false
      return true
    case 'DOUBLE':
      for (let i = 0; i < n; i++) if (values[i] !== null && typeof values[i] !== 'number') return false
      return true
    case 'TIMESTAMP_MILLIS':
      // Deferred instants are numbers; only text needs parsing.
      for (let i = 0; i < n; i++) {
        const v = values[i]!
        if (v !== null && !(typeof v === 'number' && Number.isFinite(v)) && !FITS.TIMESTAMP_MILLIS(v)) return false
      }
      return true
    default: {
      const fits = FITS[type]
      for (let i = 0; i < n; i++) if (values[i] !== null && !fits(values[i]!)) return false
      return true
    }
  }
}

/**
 * Values a typed Parquet column cannot hold as they are (a string in a number column, a date that
 * does not parse) become null, or text in a string column.
 */
function coerce(values: CellValue[], type: ParquetType): CellValue[] {
  if (allFit(values, type)) return values
  const fits = FITS[type]
  return values.map(v => (v === null || fits(v) ? v : type === 'STRING' ? String(v) : null))
}
