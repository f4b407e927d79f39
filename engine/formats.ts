/**
 * Output formats: how the rows of a chunk become bytes (in the workers), and what surrounds the
 * chunks in the file (a CSV header, JSON brackets, the Parquet magic and footer; in the main thread).
 * Every encoding depends only on the rows and their absolute indexes, never on the chunking, except
 * Parquet, whose row groups are a fixed number of rows (PARQUET_ROW_GROUP_ROWS) for that reason.
 */
import type { CellValue, Format } from '../shared/schema.ts'
import type { OutputType } from './columns.ts'
import { encodeFooter, encodeRowGroup, PARQUET_MAGIC, parseDate, parseTimestamp, type ParquetColumn, type ParquetType, type RowGroupMeta } from './parquet.ts'

export interface FormatInfo {
  extension: string
  contentType: string
}

export const FORMATS: Record<Format, FormatInfo> = {
  csv: { extension: 'csv', contentType: 'text/csv; charset=utf-8' },
  json: { extension: 'json', contentType: 'application/json; charset=utf-8' },
  ndjson: { extension: 'ndjson', contentType: 'application/x-ndjson; charset=utf-8' },
  parquet: { extension: 'parquet', contentType: 'application/vnd.apache.parquet' },
  sql: { extension: 'sql', contentType: 'application/sql; charset=utf-8' },
}

/** The file's extension and type, gzip included (a gzipped file is served as `.csv.gz`, application/gzip). */
export function fileInfo(format: Format, gzip: boolean): FormatInfo {
  const info = FORMATS[format]
  return gzip ? { extension: `${info.extension}.gz`, contentType: 'application/gzip' } : info
}

/** Rows per Parquet row group: fixed, so the file's bytes do not depend on how the work was split. */
export const PARQUET_ROW_GROUP_ROWS = 50_000

/** Rows per SQL INSERT statement (counted from the first row of the file). */
export const SQL_ROWS_PER_INSERT = 500

export interface FormatOptions {
  /** Total rows of the file (SQL closes its last statement with it). */
  rows: number
  /** CSV: neutralise cells a spreadsheet would run as formulas. */
  escapeFormulas?: boolean
  /** SQL: the target table. */
  table?: string
}

/** Collects one chunk's rows and encodes them. */
export interface ChunkEncoder {
  add(cells: CellValue[], row: number): void
  finish(): { bytes: Uint8Array; meta?: RowGroupMeta }
}

/** A format with the column list it writes. */
export interface FileFormat {
  header: Uint8Array
  /** Bytes between two consecutive chunks. */
  separator: Uint8Array
  newChunk(): ChunkEncoder
  /** Bytes after the last chunk, given each chunk's meta and offset in the file. */
  footer(chunks: { meta?: RowGroupMeta; offset: number }[]): Uint8Array
  /** Rows per chunk this format needs, if it fixes them. */
  fixedChunkRows?: number
}

const NEEDS_QUOTES = /[",\r\n]/
/** OWASP CSV injection: these first characters make spreadsheets evaluate a cell. */
const FORMULA_START = /^[=+\-@\t\r]/
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

const POW10 = [1, 10, 100, 1000, 10_000]
const FRACTION_DIGITS = POW10.map((scale, d) => Array.from({ length: scale }, (_, k) => String(k).padStart(d, '0')))
const EXACT_LIMIT = 2 ** 52

/**
 * `String(value)` for numbers, faster for the common case of a few decimals (V8's shortest
 * round-trip conversion of a double costs over 100 ns). When `value` is the double nearest to
 * k / 10^d with k < 2^52, that decimal is the shortest one that reads back as `value`, so the
 * text is the same as String's; anything else goes to String.
 */
export function numberText(value: number): string {
  if (Number.isInteger(value)) return String(value)
  const magnitude = value < 0 ? -value : value
  for (let d = 1; d < POW10.length; d++) {
    const scale = POW10[d]!
    const k = Math.round(magnitude * scale)
    if (k / scale !== magnitude) continue
    if (k >= EXACT_LIMIT) break
    const fraction = k % scale
    return `${value < 0 ? '-' : ''}${(k - fraction) / scale}.${FRACTION_DIGITS[d]![fraction]}`
  }
  return String(value)
}

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; null is an empty field. */
export function csvField(value: CellValue, escapeFormulas = false): string {
  if (value === null) return ''
  if (typeof value === 'number') return numberText(value)
  if (typeof value !== 'string') return String(value)
  if (value === '') return '""'
  const text = escapeFormulas && FORMULA_START.test(value) && !NUMBER.test(value) ? `'${value}` : value
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** A SQL literal. */
export function sqlLiteral(value: CellValue): string {
  if (value === null) return 'NULL'
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE'
  if (typeof value === 'number') return numberText(value)
  return `'${value.replaceAll('\'', '\'\'').replaceAll('\0', '')}'`
}

/** Rows joined into one string before it is written to the chunk's buffer. */
const ROWS_PER_WRITE = 64

const utf8 = new TextEncoder()
const bytesOf = (text: string) => utf8.encode(text)
const EMPTY = new Uint8Array(0)

/** A text format: rows become strings, joined within a chunk by `rowSeparator`. */
function textFormat(header: string, separator: string, footer: string, encodeRow: (out: CellValue[], row: number) => string, outputIndex: number[], rowSeparator = ''): FileFormat {
  return {
    header: bytesOf(header),
    separator: bytesOf(separator),
    footer: () => bytesOf(footer),
    newChunk() {
      // Rows are joined into short strings written into one growing buffer: no big string to build,
      // flatten and encode, and few calls into the encoder.
      let buffer = Buffer.allocUnsafeSlow(1 << 20)
      let length = 0
      let pending = ''
      let pendingRows = 0
      let first = true
      const out = new Array<CellValue>(outputIndex.length)
      const flush = () => {
        if (length + pending.length * 3 > buffer.length) {
          const grown = Buffer.allocUnsafeSlow(Math.max(buffer.length * 2, length + pending.length * 3))
          buffer.copy(grown, 0, 0, length)
          buffer = grown
        }
        length += buffer.write(pending, length)
        pending = ''
        pendingRows = 0
      }
      return {
        add(cells, row) {
          for (let i = 0; i < outputIndex.length; i++) out[i] = cells[outputIndex[i]!]!
          if (!first) pending += rowSeparator
          pending += encodeRow(out, row)
          first = false
          if (++pendingRows === ROWS_PER_WRITE) flush()
        },
        finish() {
          flush()
          return { bytes: new Uint8Array(buffer.buffer, 0, length) }
        },
      }
    },
  }
}

const PARQUET_TYPES: Record<OutputType, ParquetType> = {
  integer: 'INT64',
  number: 'DOUBLE',
  string: 'STRING',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP_MILLIS',
  date: 'DATE',
}

function parquetFormat(names: string[], types: OutputType[], outputIndex: number[]): FileFormat {
  const columns: ParquetColumn[] = names.map((name, i) => ({ name, type: PARQUET_TYPES[types[i]!], nullable: true }))
  return {
    header: PARQUET_MAGIC,
    separator: EMPTY,
    fixedChunkRows: PARQUET_ROW_GROUP_ROWS,
    footer: chunks => encodeFooter(columns, chunks.map(c => ({ meta: c.meta!, offset: c.offset }))),
    newChunk() {
      const values = columns.map(() => [] as CellValue[])
      return {
        add(cells) {
          for (let i = 0; i < outputIndex.length; i++) values[i]!.push(cells[outputIndex[i]!]!)
        },
        finish: () => encodeRowGroup(columns, values.map((column, i) => coerce(column, columns[i]!.type))),
      }
    },
  }
}

const FITS: Record<ParquetType, (v: CellValue) => boolean> = {
  STRING: v => typeof v === 'string',
  BOOLEAN: v => typeof v === 'boolean',
  INT64: v => Number.isSafeInteger(v),
  DOUBLE: v => typeof v === 'number',
  TIMESTAMP_MILLIS: v => (typeof v === 'number' ? Number.isFinite(v) : typeof v === 'string' && Number.isFinite(parseTimestamp(v))),
  DATE: v => typeof v === 'string' && Number.isFinite(parseDate(v)),
}

/**
 * Values a typed Parquet column cannot hold as they are (a string in a number column, a date that
 * does not parse) become null, or text in a string column.
 */
function coerce(values: CellValue[], type: ParquetType): CellValue[] {
  const fits = FITS[type]
  const ok = (v: CellValue) => v === null || fits(v)
  if (values.every(ok)) return values
  return values.map(v => (ok(v) ? v : type === 'STRING' ? String(v) : null))
}

/** The format for a file: its column names and types, and the request's options. */
export function fileFormat(format: Format, names: string[], types: OutputType[], outputIndex: number[], options: FormatOptions): FileFormat {
  switch (format) {
    case 'csv': {
      const escape = Boolean(options.escapeFormulas)
      // With a single column, an empty field would be a blank line, which many readers skip.
      const first = names.length === 1 ? (v: CellValue) => (v === null ? '""' : csvField(v, escape)) : (v: CellValue) => csvField(v, escape)
      return textFormat(`${names.map(n => csvField(n)).join(',')}\n`, '', '', (out) => {
        let line = first(out[0]!)
        for (let i = 1; i < out.length; i++) line += `,${csvField(out[i]!, escape)}`
        return `${line}\n`
      }, outputIndex)
    }
    case 'json':
    case 'ndjson': {
      const keys = names.map((name, i) => `${i === 0 ? '{' : ','}${JSON.stringify(name)}:`)
      const encodeObject = (out: CellValue[]) => {
        let text = ''
        for (let i = 0; i < out.length; i++) {
          const value = out[i]!
          text += keys[i] + (typeof value === 'number' && Number.isFinite(value) ? numberText(value) : JSON.stringify(value))
        }
        return `${text}}`
      }
      if (format === 'ndjson') return textFormat('', '', '', out => `${encodeObject(out)}\n`, outputIndex)
      return textFormat('[\n', ',\n', '\n]\n', encodeObject, outputIndex, ',\n')
    }
    case 'sql': {
      const table = `"${options.table ?? 'dataset'}"`
      const insert = `INSERT INTO ${table} (${names.map(n => `"${n}"`).join(', ')}) VALUES\n`
      const last = options.rows - 1
      return textFormat('', '', '', (out, row) => {
        const start = row % SQL_ROWS_PER_INSERT === 0 ? insert : ''
        const end = row === last || row % SQL_ROWS_PER_INSERT === SQL_ROWS_PER_INSERT - 1 ? ';\n' : ',\n'
        return `${start}(${out.map(sqlLiteral).join(', ')})${end}`
      }, outputIndex)
    }
    case 'parquet':
      return parquetFormat(names, types, outputIndex)
  }
}
