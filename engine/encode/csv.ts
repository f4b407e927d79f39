/**
 * CSV (RFC 4180): a header row, then each chunk's rows written straight into bytes by CsvChunk. The
 * bytes of a row depend only on its cells, so chunks concatenate.
 */
import type { CellValue, OutputColumn, PartsSource, ValueTable } from '../schema/cells.ts'
import { civilDay, DAY_MS } from '../time/calendar.ts'
import type { ChunkEncoder, FileFormat, FormatOptions } from './encoder.ts'
import { exactDecimals, numberText, POW10 } from './numbers.ts'
import { bytesOf, chunkCapacity, CSV_QUOTED, CSV_UNQUOTED, EMPTY, writeUtf8 } from './utf8.ts'

const NEEDS_QUOTES = /[",\r\n]/
/** OWASP CSV injection: these first characters make spreadsheets evaluate a cell. */
const FORMULA_START = /^[=+\-@\t\r]/
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

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

/** CSV of `columns`: a header row of their names, then rows encoded by CsvChunk. */
export function csvFormat(columns: readonly OutputColumn[], options: FormatOptions): FileFormat {
  const width = columns.length
  const outputIndex = columns.map(column => column.index)
  const escapeFormulas = Boolean(options.escapeFormulas)
  let layout: CsvLayout | undefined
  let bytesPerRow = 128
  let last: CsvChunk | undefined
  return {
    header: bytesOf(`${columns.map(column => csvField(column.name)).join(',')}\n`),
    separator: EMPTY,
    footer: () => EMPTY,
    newChunk(recycled) {
      // Lists are encoded by the first chunk (the framing, made from the same format, needs none).
      layout ??= {
        width, outputIndex, escapeFormulas,
        tables: columns.map(column => column.table && encodeTable(column.table, escapeFormulas)),
        instants: columns.map(column => column.instant),
        pieces: columns.map(column => column.pieces),
        rowRoom: width * (MAX_SCALAR_BYTES + 1) + 2,
      }
      // Sized from the previous chunk (any size gives the same bytes).
      if (last?.rows) bytesPerRow = Math.max(16, last.bytesPerRow)
      last = new CsvChunk(layout, Math.max(1 << 16, Math.ceil(bytesPerRow * 1.1 * 20_000)), recycled)
      return last
    },
  }
}
