/**
 * Output formats: how the rows of a chunk become bytes (in the workers), and what surrounds the
 * chunks in the file (a CSV header, JSON brackets, the Parquet magic and footer; in the main thread).
 * Every encoding depends only on the rows and their absolute indexes, never on the chunking, except
 * Parquet, whose row groups are a fixed number of rows (PARQUET_ROW_GROUP_ROWS) for that reason.
 */
import type { CellValue, Format } from '../../shared/schema.ts'
import type { OutputType, ValueTable } from '../schema/columns.ts'
import type { PartsSource } from '../schema/fast-faker.ts'
import { civilDay, DAY_MS } from '../time/datetime.ts'
import { chunkCapacity, CSV_QUOTED, CSV_UNQUOTED, writeUtf8 } from './utf8.ts'
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
  /**
   * A chunk's encoder. `recycled`: the buffer of an earlier chunk, already written to the file, that
   * the encoder may write into instead of allocating (fresh buffers cost page faults, and garbage
   * collections in the thread they are sent to).
   */
  newChunk(recycled?: ArrayBuffer): ChunkEncoder
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
  const d = exactDecimals(magnitude)
  if (d === 0) return String(value)
  const scale = POW10[d]!
  const k = Math.round(magnitude * scale)
  const fraction = k % scale
  return `${value < 0 ? '-' : ''}${(k - fraction) / scale}.${FRACTION_DIGITS[d]![fraction]}`
}

/**
 * The fewest decimals d (1 to 4) for which a non-integer `magnitude` is the double nearest k / 10^d
 * with k < 2^52 (then that decimal, trimmed, is its shortest text); 0 when there is none.
 */
function exactDecimals(magnitude: number): number {
  for (let d = 1; d < POW10.length; d++) {
    const scale = POW10[d]!
    const k = Math.round(magnitude * scale)
    if (k / scale === magnitude) return k < EXACT_LIMIT ? d : 0
  }
  return 0
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
  constructor(capacity: number, recycled?: ArrayBuffer) {
    this.bytes = recycled && recycled.byteLength >= capacity ? new Uint8Array(recycled) : ownBytes(capacity)
  }

  /** Makes room for `extra` more bytes. */
  reserve(extra: number): Uint8Array {
    if (this.length + extra > this.bytes.length) {
      const grown = ownBytes(chunkCapacity(Math.max(2 * this.bytes.length, this.length + extra)))
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

// Writers of CSV bytes at a position: each returns where it ended, and the caller has made room.

/** Room any number or boolean field takes: String of a double is at most 24 characters. */
const MAX_SCALAR_BYTES = 25

/** Writes ASCII text (number and boolean texts). */
function putAscii(bytes: Uint8Array, p: number, text: string): number {
  for (let i = 0; i < text.length; i++) bytes[p++] = text.charCodeAt(i)
  return p
}

/** Room a string field may take: quotes, an apostrophe, and 3 bytes per character (a doubled quote takes 2). */
const textRoom = (text: string) => 3 * text.length + 3

/**
 * Writes a non-empty string made of `pieces` as one CSV field when no piece needs quoting (or
 * escaping): writing the pieces spares flattening the concatenation. -1 when it cannot.
 */
function putCsvPieces(bytes: Uint8Array, p: number, pieces: readonly string[], escapeFormulas: boolean): number {
  if (escapeFormulas) {
    let k = 0
    while (pieces[k]!.length === 0) k++
    if (FORMULA_START.test(pieces[k]![0]!)) return -1
  }
  for (let k = 0; k < pieces.length; k++) {
    const piece = pieces[k]!
    const n = piece.length
    // Plain ASCII here (the common case); the rest of a piece with anything else through writeUtf8.
    const i = copyPlainAscii(bytes, p, piece)
    p += i
    if (i === n) continue
    p = writeUtf8(bytes, p, piece, CSV_UNQUOTED, i)
    if (p < 0) return -1
    // A piece ending in a high surrogate might pair with the next piece's first character.
    if ((piece.charCodeAt(n - 1) & 0xfc00) === 0xd800) return -1
  }
  return p
}

/** ASCII characters a CSV field holds as they are (not a comma, quote or line break). */
const PLAIN_CSV = Uint8Array.from({ length: 128 }, (_, c) => (c === COMMA || c === QUOTE || c === NEWLINE || c === 13 ? 0 : 1))

/**
 * Copies the leading characters of `text` that a CSV field holds as they are and that are one byte in
 * UTF-8 (plain ASCII, not a comma, quote or line break) to `bytes` at `p`; returns how many.
 */
function copyPlainAscii(bytes: Uint8Array, p: number, text: string): number {
  const n = text.length
  let i = 0
  for (; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0x80 || !PLAIN_CSV[c]) break
    bytes[p + i] = c
  }
  return i
}

/** Writes a string as one CSV field, exactly as `csvField` writes it. */
function putCsvText(bytes: Uint8Array, start: number, text: string, escapeFormulas: boolean): number {
  if (text === '') {
    bytes[start] = QUOTE
    bytes[start + 1] = QUOTE
    return start + 2
  }
  const escape = escapeFormulas && FORMULA_START.test(text) && !NUMBER.test(text)
  let p = start
  if (escape) bytes[p++] = APOSTROPHE
  // Plain ASCII here (the common case); anything else through writeUtf8.
  const i = copyPlainAscii(bytes, p, text)
  p += i
  if (i === text.length) return p
  p = writeUtf8(bytes, p, text, CSV_UNQUOTED, i)
  if (p >= 0) return p
  // It needs quotes: write it again, quoted.
  p = start
  bytes[p++] = QUOTE
  if (escape) bytes[p++] = APOSTROPHE
  p = writeUtf8(bytes, p, text, CSV_QUOTED)
  bytes[p++] = QUOTE
  return p
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

/** ASCII digit pairs "00" to "99": two digits per table read rather than a division each. */
const DIGIT_PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 48 + (i & 1 ? (i >> 1) % 10 : Math.floor((i >> 1) / 10)))

/** Writes 0 ≤ n < 100 as two digits. */
function put2(bytes: Uint8Array, p: number, n: number): void {
  bytes[p] = DIGIT_PAIRS[2 * n]!
  bytes[p + 1] = DIGIT_PAIRS[2 * n + 1]!
}

/**
 * Writes a non-negative safe integer's decimal digits. Below 2^31 two digits at a time; `n * 0.01`
 * floors exactly there (0.01 as a double is slightly above 1/100, and the integer below is
 * representable), and multiplies faster than dividing.
 */
function putDigits(bytes: Uint8Array, p: number, value: number): number {
  let n = 1
  while (n < 16 && value >= POW10_ALL[n]!) n++
  const end = p + n
  if (value >= 2147483648) {
    writeDigitsBefore(bytes, end, value, n)
    return end
  }
  let e = end
  let v = value | 0
  while (v >= 100) {
    const q = (v * 0.01) | 0
    e -= 2
    put2(bytes, e, v - q * 100)
    v = q
  }
  if (v >= 10) put2(bytes, e - 2, v)
  else bytes[e - 1] = 48 + v
  return end
}

/** Writes a number exactly as `numberText` (and so String) writes it. */
function putNumber(bytes: Uint8Array, p: number, value: number): number {
  const negative = value < 0
  const magnitude = negative ? -value : value
  if (Number.isSafeInteger(value)) {
    if (negative) bytes[p++] = 45
    return putDigits(bytes, p, magnitude)
  }
  const d = exactDecimals(magnitude)
  if (d === 0) return putAscii(bytes, p, String(value))
  const scale = POW10[d]!
  const k = Math.round(magnitude * scale)
  const fraction = k % scale
  if (negative) bytes[p++] = 45
  p = putDigits(bytes, p, (k - fraction) / scale)
  bytes[p] = 46 // .
  writeDigitsBefore(bytes, p + 1 + d, fraction, d)
  return p + 1 + d
}

/** Writes `YYYY-MM-DDTHH:mm:ss.SSSZ` of an instant, as isoString writes it; -1 outside years 0 to 9999. */
function putIso(bytes: Uint8Array, p: number, ms: number): number {
  const days = Math.floor(ms / DAY_MS)
  const ymd = civilDay(days)
  if (ymd < 0) return -1
  let rest = (ms - days * DAY_MS) | 0 // ms of the day: an int32
  const yearMonth = (ymd * 0.01) | 0 // exact: see putDigits
  const year = (yearMonth * 0.01) | 0
  const century = (year * 0.01) | 0
  put2(bytes, p, century)
  put2(bytes, p + 2, year - century * 100)
  bytes[p + 4] = 45 // -
  put2(bytes, p + 5, yearMonth - year * 100)
  bytes[p + 7] = 45
  put2(bytes, p + 8, ymd - yearMonth * 100)
  bytes[p + 10] = 84 // T
  const hour = (rest / 3_600_000) | 0
  rest -= hour * 3_600_000
  const minute = (rest / 60_000) | 0
  rest -= minute * 60_000
  const second = (rest / 1000) | 0
  const milli = rest - second * 1000
  const hundreds = (milli * 0.01) | 0
  put2(bytes, p + 11, hour)
  bytes[p + 13] = 58 // :
  put2(bytes, p + 14, minute)
  bytes[p + 16] = 58
  put2(bytes, p + 17, second)
  bytes[p + 19] = 46 // .
  bytes[p + 20] = 48 + hundreds
  put2(bytes, p + 21, milli - hundreds * 100)
  bytes[p + 23] = 90 // Z
  return p + 24
}

/** Writes one non-null CSV field; room: textRoom for strings, MAX_SCALAR_BYTES otherwise. */
function putCsvValue(bytes: Uint8Array, p: number, value: string | number | boolean, escapeFormulas: boolean): number {
  if (typeof value === 'string') return putCsvText(bytes, p, value, escapeFormulas)
  if (typeof value === 'number') return putNumber(bytes, p, value)
  const text = value ? TRUE : FALSE
  for (let i = 0; i < text.length; i++) bytes[p++] = text[i]!
  return p
}

const TRUE = new Uint8Array([116, 114, 117, 101])
const FALSE = new Uint8Array([102, 97, 108, 115, 101])

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
    if (value !== null) {
      const bytes = sink.reserve(typeof value === 'string' ? textRoom(value) : MAX_SCALAR_BYTES)
      sink.length = putCsvValue(bytes, sink.length, value, escapeFormulas)
    }
    start[k + 1] = sink.length
  })
  return { source, bytes: sink.bytes, start }
}

/** What a CSV file's chunks share: its columns and how each is written. */
interface CsvLayout {
  width: number
  outputIndex: number[]
  escapeFormulas: boolean
  /** Per output column: its list's entries encoded once, when its values come from a list. */
  tables: (EncodedTable | undefined)[]
  instants: (((ms: number) => string) | undefined)[]
  pieces: (PartsSource | undefined)[]
  /** Room for a row's scalar fields, separators and line end; strings make room of their own. */
  rowRoom: number
}

/**
 * One chunk of CSV rows written straight into bytes, field by field: no per-row strings to build and
 * encode. Values drawn from a list are copied from the list's pre-encoded entries, deferred ISO
 * instants are written from their epoch ms, concatenations from their pieces. A class, so that every
 * chunk of every file calls the same `add` (V8 optimises it once, and it stays optimised).
 */
class CsvChunk implements ChunkEncoder {
  private readonly layout: CsvLayout
  private readonly sink: ByteSink
  rows = 0

  constructor(layout: CsvLayout, capacity: number, recycled?: ArrayBuffer) {
    this.layout = layout
    this.sink = new ByteSink(capacity, recycled)
  }

  add(cells: CellValue[]): void {
    const { width, outputIndex, escapeFormulas, tables, instants, pieces, rowRoom } = this.layout
    const sink = this.sink
    let bytes = sink.bytes
    let p = sink.length
    if (p + rowRoom > bytes.length) bytes = sink.reserve(rowRoom)
    for (let k = 0; k < width; k++) {
      if (k > 0) bytes[p++] = COMMA
      const value = cells[outputIndex[k]!] as CellValue | undefined
      if (value === undefined) {
        // A deferred text (CompiledSchema.deferTexts): written from its pieces.
        const parts = pieces[k]!.parts()
        let length = 0
        for (let j = 0; j < parts.length; j++) length += parts[j]!.length
        if (p + 3 * length + 3 + rowRoom > bytes.length) {
          sink.length = p
          bytes = sink.reserve(3 * length + 3 + rowRoom)
        }
        const end = length > 0 ? putCsvPieces(bytes, p, parts, escapeFormulas) : -1
        p = end >= 0 ? end : putCsvText(bytes, p, parts.join(''), escapeFormulas)
        continue
      }
      if (value === null) {
        // With a single column, an empty field would be a blank line, which many readers skip.
        if (width === 1) {
          bytes[p++] = QUOTE
          bytes[p++] = QUOTE
        }
        continue
      }
      const table = tables[k]
      if (table !== undefined) {
        const code = table.source.code
        if (code >= 0 && table.source.values[code] === value) {
          const from = table.start[code]!
          const to = table.start[code + 1]!
          if (p + to - from + rowRoom > bytes.length) {
            sink.length = p
            bytes = sink.reserve(to - from + rowRoom)
          }
          const entries = table.bytes
          for (let b = from; b < to; b++) bytes[p++] = entries[b]!
          continue
        }
      }
      let text: string
      if (typeof value === 'string') text = value
      else {
        const instant = instants[k]
        if (instant === undefined || typeof value !== 'number') {
          p = putCsvValue(bytes, p, value, escapeFormulas)
          continue
        }
        const end = putIso(bytes, p, value)
        if (end >= 0) {
          p = end
          continue
        }
        text = instant(value)
      }
      if (p + textRoom(text) + rowRoom > bytes.length) {
        sink.length = p
        bytes = sink.reserve(textRoom(text) + rowRoom)
      }
      const source = pieces[k]
      if (source !== undefined && source.text() === text) {
        const end = text.length > 0 ? putCsvPieces(bytes, p, source.parts(), escapeFormulas) : -1
        if (end >= 0) {
          p = end
          continue
        }
      }
      p = putCsvText(bytes, p, text, escapeFormulas)
    }
    bytes[p++] = NEWLINE
    sink.length = p
    this.rows++
  }

  finish(): { bytes: Uint8Array } {
    return { bytes: this.rows ? this.sink.bytes.subarray(0, this.sink.length) : EMPTY }
  }

  /** Bytes per row written so far. */
  get bytesPerRow(): number {
    return this.sink.length / this.rows
  }
}

function csvFormat(names: string[], outputIndex: number[], options: FormatOptions): FileFormat {
  const width = outputIndex.length
  const escapeFormulas = Boolean(options.escapeFormulas)
  let layout: CsvLayout | undefined
  let bytesPerRow = 128
  let last: CsvChunk | undefined
  return {
    header: bytesOf(`${names.map(n => csvField(n)).join(',')}\n`),
    separator: EMPTY,
    footer: () => EMPTY,
    newChunk(recycled) {
      // Lists are encoded by the first chunk (the framing, made from the same format, needs none).
      layout ??= {
        width, outputIndex, escapeFormulas,
        tables: outputIndex.map(i => options.tables?.[i] && encodeTable(options.tables[i], escapeFormulas)),
        instants: outputIndex.map(i => options.instants?.[i]),
        pieces: outputIndex.map(i => options.pieces?.[i]),
        rowRoom: width * (MAX_SCALAR_BYTES + 1) + 2,
      }
      // Sized from the previous chunk (any size gives the same bytes).
      if (last?.rows) bytesPerRow = Math.max(16, last.bytesPerRow)
      last = new CsvChunk(layout, Math.max(1 << 16, Math.ceil(bytesPerRow * 1.1 * 20_000)), recycled)
      return last
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
    newChunk(recycled) {
      // Rows are joined into short strings written into one growing buffer: no big string to build,
      // flatten and encode, and few calls into the encoder.
      let buffer = recycled && recycled.byteLength >= 1 << 20 ? Buffer.from(recycled) : Buffer.allocUnsafeSlow(1 << 20)
      let length = 0
      let pending = ''
      let pendingRows = 0
      let first = true
      const out = new Array<CellValue>(outputIndex.length)
      const flush = () => {
        if (length + pending.length * 3 > buffer.length) {
          const grown = Buffer.allocUnsafeSlow(chunkCapacity(Math.max(buffer.length * 2, length + pending.length * 3)))
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
    newChunk(recycled) {
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
        finish: () => encodeRowGroup(columns, columns.map((column, k) => builders[k]?.finish() ?? coerce(values[k]!, column.type)), recycled),
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
