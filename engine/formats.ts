/**
 * Output formats: how the rows of a chunk become bytes (in the workers), and what surrounds the
 * chunks in the file (a CSV header, JSON brackets, the Parquet magic and footer; in the main thread).
 * Every encoding depends only on the rows and their absolute indexes, never on the chunking, except
 * Parquet, whose row groups are a fixed number of rows (PARQUET_ROW_GROUP_ROWS) for that reason.
 */
import type { CellValue, Format } from '../shared/schema.ts'
import type { OutputType, ValueTable } from './columns.ts'
import type { PartsSource } from './fast-faker.ts'
import { civilDay, DAY_MS } from './datetime.ts'
import { CSV_QUOTED, CSV_UNQUOTED, writeUtf8 } from './utf8.ts'
import { encodeFooter, encodeRowGroup, PARQUET_MAGIC, StringColumnBuilder, parseDate, parseTimestamp, type ParquetColumn, type ParquetType, type RowGroupMeta } from './parquet.ts'

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
  /** Per column (schema order, as CompiledSchema has them): the lists values come from, for encoders that pre-encode them. */
  tables?: (ValueTable | undefined)[]
  /**
   * Per column (schema order): set for columns whose cells hold epoch ms standing for ISO 8601 UTC
   * text (CompiledSchema.deferInstants), the formatter of that text. CSV writes them from the number.
   */
  instants?: (((ms: number) => string) | undefined)[]
  /** Per column (schema order): the pieces of concatenated values, for encoders that write them piece by piece. */
  pieces?: (PartsSource | undefined)[]
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

/**
 * A growing byte buffer of its own (never Node's shared pool, so it can be transferred), sized from
 * what the previous chunk needed.
 */
class ByteSink {
  bytes: Uint8Array
  length = 0
  constructor(capacity: number) {
    this.bytes = ownBytes(capacity)
  }

  /** Makes room for `extra` more bytes. */
  reserve(extra: number): Uint8Array {
    if (this.length + extra > this.bytes.length) {
      const grown = ownBytes(Math.max(2 * this.bytes.length, this.length + extra))
      grown.set(this.bytes.subarray(0, this.length))
      this.bytes = grown
    }
    return this.bytes
  }
}

const ownBytes = (size: number) => new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size)

const COMMA = 44
const QUOTE = 34
const NEWLINE = 10
const APOSTROPHE = 39

/** Appends a string of ASCII characters (number and boolean texts). */
function writeAscii(sink: ByteSink, text: string): void {
  const bytes = sink.reserve(text.length)
  let p = sink.length
  for (let i = 0; i < text.length; i++) bytes[p++] = text.charCodeAt(i)
  sink.length = p
}

/**
 * Appends a string made of `pieces` as one CSV field when no piece needs quoting (or escaping):
 * writing the pieces spares flattening the concatenation. False when it wrote nothing.
 */
function writeCsvPieces(sink: ByteSink, text: string, pieces: readonly string[], escapeFormulas: boolean): boolean {
  if (text.length === 0) return false
  if (escapeFormulas) {
    let k = 0
    while (pieces[k]!.length === 0) k++
    if (FORMULA_START.test(pieces[k]![0]!)) return false
  }
  const bytes = sink.reserve(3 * text.length)
  let p = sink.length
  for (let k = 0; k < pieces.length; k++) {
    const piece = pieces[k]!
    const end = writeUtf8(bytes, p, piece, CSV_UNQUOTED)
    if (end < 0) return false
    // A piece ending in a high surrogate might pair with the next piece's first character.
    if (end - p !== piece.length && (piece.charCodeAt(piece.length - 1) & 0xfc00) === 0xd800) return false
    p = end
  }
  sink.length = p
  return true
}

/** Appends a string as one CSV field, exactly as `csvField` writes it. */
function writeCsvText(sink: ByteSink, text: string, escapeFormulas: boolean): void {
  if (text === '') return writeAscii(sink, '""')
  const escape = escapeFormulas && FORMULA_START.test(text) && !NUMBER.test(text)
  // Room for: quotes, the apostrophe, and 3 bytes per character (a doubled quote takes 2).
  const bytes = sink.reserve(3 * text.length + 3)
  const start = sink.length
  let p = start
  if (escape) bytes[p++] = APOSTROPHE
  p = writeUtf8(bytes, p, text, CSV_UNQUOTED)
  if (p < 0) {
    // It needs quotes: write it again, quoted.
    p = start
    bytes[p++] = QUOTE
    if (escape) bytes[p++] = APOSTROPHE
    p = writeUtf8(bytes, p, text, CSV_QUOTED)
    bytes[p++] = QUOTE
  }
  sink.length = p
}

/** Decimal digits of a non-negative safe integer. */
function digitCount(value: number): number {
  let n = 1
  while (n < 16 && value >= POW10_ALL[n]!) n++
  return n
}

const POW10_ALL = Array.from({ length: 17 }, (_, i) => 10 ** i)

/** Writes `n` (0 ≤ n < 10^width) as exactly `width` digits ending before `end`; int32 math below 2^31. */
function writeDigitsBefore(bytes: Uint8Array, end: number, n: number, width: number): void {
  let p = end
  while (n >= 2147483648) {
    const q = Math.floor(n / 10)
    bytes[--p] = 48 + (n - q * 10)
    n = q
  }
  while (p > end - width) {
    const q = (n / 10) | 0
    bytes[--p] = 48 + (n - q * 10)
    n = q
  }
}

/** Appends a non-negative safe integer's decimal digits, with `prefix` bytes (0 or '-') in front. */
function writeDigits(sink: ByteSink, value: number, minus: boolean): void {
  const n = digitCount(value)
  const bytes = sink.reserve(n + 1)
  let p = sink.length
  if (minus) bytes[p++] = 45
  writeDigitsBefore(bytes, p + n, value, n)
  sink.length = p + n
}

/** Appends a number exactly as `numberText` (and so String) writes it. */
function writeNumber(sink: ByteSink, value: number): void {
  const negative = value < 0
  const magnitude = negative ? -value : value
  if (Number.isSafeInteger(value)) return writeDigits(sink, magnitude, negative)
  for (let d = 1; d < POW10.length; d++) {
    const scale = POW10[d]!
    const k = Math.round(magnitude * scale)
    if (k / scale !== magnitude) continue
    if (k >= EXACT_LIMIT) break
    const fraction = k % scale
    writeDigits(sink, (k - fraction) / scale, negative)
    const bytes = sink.reserve(d + 1)
    bytes[sink.length] = 46 // .
    writeDigitsBefore(bytes, sink.length + 1 + d, fraction, d)
    sink.length += d + 1
    return
  }
  writeAscii(sink, String(value))
}

/** Appends one CSV field (null is nothing: the caller handles single-column rows). */
function writeCsvValue(sink: ByteSink, value: CellValue, escapeFormulas: boolean): void {
  if (typeof value === 'string') writeCsvText(sink, value, escapeFormulas)
  else if (typeof value === 'number') writeNumber(sink, value)
  else if (value !== null) writeAscii(sink, value ? 'true' : 'false')
}

/** A list's entries as CSV fields, one after the other: entry k is bytes[start[k]] up to start[k + 1]. */
interface EncodedTable {
  source: ValueTable
  bytes: Uint8Array
  start: Int32Array
}

function encodeTable(source: ValueTable, escapeFormulas: boolean): EncodedTable {
  const sink = new ByteSink(1024)
  const start = new Int32Array(source.values.length + 1)
  source.values.forEach((value, k) => {
    writeCsvValue(sink, value, escapeFormulas)
    start[k + 1] = sink.length
  })
  return { source, bytes: sink.bytes, start }
}

/** Appends `YYYY-MM-DDTHH:mm:ss.SSSZ` of an instant, as isoString writes it; false outside years 0 to 9999. */
function writeIsoInstant(sink: ByteSink, ms: number): boolean {
  const days = Math.floor(ms / DAY_MS)
  const ymd = civilDay(days)
  if (ymd < 0) return false
  let rest = (ms - days * DAY_MS) | 0 // ms of the day: an int32
  const bytes = sink.reserve(24)
  const p = sink.length
  const year = (ymd / 10_000) | 0
  const monthDay = ymd - year * 10_000
  writeDigitsBefore(bytes, p + 4, year, 4)
  bytes[p + 4] = 45 // -
  writeDigitsBefore(bytes, p + 7, (monthDay / 100) | 0, 2)
  bytes[p + 7] = 45
  writeDigitsBefore(bytes, p + 10, monthDay % 100, 2)
  bytes[p + 10] = 84 // T
  const hour = (rest / 3_600_000) | 0
  rest -= hour * 3_600_000
  const minute = (rest / 60_000) | 0
  rest -= minute * 60_000
  const second = (rest / 1000) | 0
  writeDigitsBefore(bytes, p + 13, hour, 2)
  bytes[p + 13] = 58 // :
  writeDigitsBefore(bytes, p + 16, minute, 2)
  bytes[p + 16] = 58
  writeDigitsBefore(bytes, p + 19, second, 2)
  bytes[p + 19] = 46 // .
  writeDigitsBefore(bytes, p + 23, rest - second * 1000, 3)
  bytes[p + 23] = 90 // Z
  sink.length = p + 24
  return true
}

/**
 * Rows of CSV written straight into bytes, field by field: no per-row strings to build and encode.
 * Values drawn from a list are copied from the list's pre-encoded entries, deferred ISO instants are written
 * from their epoch ms.
 */
function csvFormat(names: string[], outputIndex: number[], options: FormatOptions): FileFormat {
  const width = outputIndex.length
  const escapeFormulas = Boolean(options.escapeFormulas)
  const tableSources = outputIndex.map(i => options.tables?.[i])
  let tables: (EncodedTable | undefined)[] | undefined
  const instants = outputIndex.map(i => options.instants?.[i])
  const pieces = outputIndex.map(i => options.pieces?.[i])
  let bytesPerRow = 128
  return {
    header: bytesOf(`${names.map(n => csvField(n)).join(',')}\n`),
    separator: EMPTY,
    footer: () => EMPTY,
    newChunk() {
      let sink: ByteSink | undefined
      let rows = 0
      return {
        add(cells) {
          // Sized from the previous chunk (any size gives the same bytes).
          sink ??= new ByteSink(Math.max(1 << 16, Math.ceil(bytesPerRow * 1.1 * 20_000)))
          tables ??= tableSources.map(source => source && encodeTable(source, escapeFormulas))
          for (let k = 0; k < width; k++) {
            if (k > 0) sink.reserve(1)[sink.length++] = COMMA
            const value = cells[outputIndex[k]!]!
            if (value === null) {
              // With a single column, an empty field would be a blank line, which many readers skip.
              if (width === 1) writeAscii(sink, '""')
              continue
            }
            const table = tables[k]
            if (table !== undefined) {
              const code = table.source.code()
              if (code >= 0 && table.source.values[code] === value) {
                const from = table.start[code]!
                const to = table.start[code + 1]!
                const bytes = sink.reserve(to - from)
                let p = sink.length
                for (let b = from; b < to; b++) bytes[p++] = table.bytes[b]!
                sink.length = p
                continue
              }
            }
            const instant = instants[k]
            if (instant !== undefined && typeof value === 'number') {
              if (!writeIsoInstant(sink, value)) writeCsvText(sink, instant(value), escapeFormulas)
              continue
            }
            const source = pieces[k]
            if (source !== undefined && source.text() === value && writeCsvPieces(sink, value, source.parts(), escapeFormulas)) continue
            writeCsvValue(sink, value, escapeFormulas)
          }
          sink.reserve(1)[sink.length++] = NEWLINE
          rows++
        },
        finish() {
          if (!sink) return { bytes: EMPTY }
          bytesPerRow = Math.max(16, sink.length / rows)
          return { bytes: sink.bytes.subarray(0, sink.length) }
        },
      }
    },
  }
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

function parquetFormat(names: string[], types: OutputType[], outputIndex: number[], tables: (ValueTable | undefined)[] = []): FileFormat {
  const columns: ParquetColumn[] = names.map((name, i) => ({ name, type: PARQUET_TYPES[types[i]!], nullable: true }))
  const strings = columns.map(column => column.type === 'STRING')
  // String columns drawn from a list: entries are encoded once (as the text coerce would make of
  // them) and copied; other strings are encoded as they come.
  const lists = outputIndex.map((i, k) => (strings[k] ? tables[i] : undefined))
  let entries: ({ bytes: Uint8Array; start: Int32Array } | undefined)[] | undefined
  return {
    header: PARQUET_MAGIC,
    separator: EMPTY,
    fixedChunkRows: PARQUET_ROW_GROUP_ROWS,
    footer: chunks => encodeFooter(columns, chunks.map(c => ({ meta: c.meta!, offset: c.offset }))),
    newChunk() {
      const values = columns.map(() => [] as CellValue[])
      const builders = columns.map(column => (column.type === 'STRING' ? new StringColumnBuilder(column) : undefined))
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
              const code = list.code()
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
        finish: () => encodeRowGroup(columns, columns.map((column, k) => builders[k]?.finish() ?? coerce(values[k]!, column.type))),
      }
    },
  }
}

/** A list's values as UTF-8 (their text), one after the other: entry k is bytes[start[k]] up to start[k + 1]. */
function utf8Entries(list: readonly CellValue[]): { bytes: Uint8Array; start: Int32Array } {
  const parts = list.map(v => utf8.encode(String(v)))
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

/** The format for a file: its column names and types, and the request's options. */
export function fileFormat(format: Format, names: string[], types: OutputType[], outputIndex: number[], options: FormatOptions): FileFormat {
  switch (format) {
    case 'csv':
      return csvFormat(names, outputIndex, options)
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
      return parquetFormat(names, types, outputIndex, options.tables)
  }
}
