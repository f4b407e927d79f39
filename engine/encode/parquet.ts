/**
 * Parquet output, shaped for the chunked engine: each worker encodes its chunk as ONE row group
 * (`encodeRowGroup`), independently of every other chunk, with column-chunk offsets relative to the
 * start of the row group; the writer puts `PARQUET_MAGIC` first, the row groups in order, and then
 * `encodeFooter`, which turns the relative offsets into absolute ones. Bytes are a pure function of
 * the inputs (no timestamps, no random ids), so any chunking of the same rows gives a valid file and
 * the same chunking gives the same bytes.
 *
 * Layout: flat schema (one leaf per column), one column chunk per column per row group, data pages
 * v1 of at most ~1 MiB of values, PLAIN encoding, RLE/bit-packed definition levels for nullable
 * columns, ZSTD compression (node's own zlib: native, and both smaller and several times faster than a
 * JavaScript snappy), statistics (null count; min/max for numbers, timestamps and dates).
 *
 * hyparquet-writer supplies the format plumbing (thrift compact serializer behind `writePageHeader`
 * and `writeMetadata`, the RLE/bit-packed hybrid encoder, ByteWriter). The
 * value loops are our own: its PLAIN writer wants a BigInt per INT64 value and a TextEncoder call per
 * string, while the engine needs allocation-free loops over typed arrays and one UTF-8 pass per column.
 */
import { constants, zstdCompressSync } from 'node:zlib'
import type { CellValue } from '../../shared/schema.ts'
import { ByteWriter } from 'hyparquet-writer/src/bytewriter.js'
import { writePageHeader } from 'hyparquet-writer/src/datapage.js'
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js'
import { writeMetadata } from 'hyparquet-writer/src/metadata.js'
import { chunkCapacity, PLAIN, writeUtf8 } from './utf8.ts'
import { parseDate, parseTimestamp } from '../time/iso.ts'

export type ParquetType = 'BOOLEAN' | 'INT64' | 'DOUBLE' | 'STRING' | 'TIMESTAMP_MILLIS' | 'DATE'

export interface ParquetColumn {
  name: string
  type: ParquetType
  nullable: boolean
}

/** One column chunk of a row group. Offsets are relative to the start of the row group's bytes. */
export interface ColumnChunkMeta {
  type: ParquetType
  codec: Codec
  /** Where the column chunk (its first data page header) starts. */
  offset: number
  /** Bytes of the column chunk as written (page headers included). */
  compressedSize: number
  /** Bytes of the column chunk before compression (page headers included). */
  uncompressedSize: number
  /** Values including nulls (= rows; the schema is flat). */
  numValues: number
  nullCount: number
  pages: number
  /** Physical min/max (INT64, DOUBLE, epoch ms, days since epoch); absent for other types or no values. */
  min?: number
  max?: number
}

/** What the footer needs to know of a row group: plain JSON-cloneable data. */
export interface RowGroupMeta {
  numRows: number
  /** Length of the row group's bytes in the file. */
  byteSize: number
  /** Sum of the column chunks' uncompressed sizes (RowGroup.total_byte_size). */
  uncompressedSize: number
  columns: ColumnChunkMeta[]
}

/** `PAR1`: starts and ends every Parquet file. */
export const PARQUET_MAGIC: Uint8Array = new Uint8Array([0x50, 0x41, 0x52, 0x31])

/** Written into the footer; a constant, so that the bytes never depend on the version or the time. */
const CREATED_BY = 'SDaaS'

/** Compression of every page; recorded per column chunk, so the footer follows what was written. */
type Codec = 'ZSTD' | 'UNCOMPRESSED'
const CODEC: Codec = 'ZSTD'
/** Fixed, since the level changes the bytes; 1 is zstd's fastest standard level. */
const ZSTD_OPTIONS = { params: { [constants.ZSTD_c_compressionLevel]: 1 } }

/** Target bytes of (uncompressed) values per data page. */
const PAGE_BYTES = 1 << 20

const TWO_32 = 4_294_967_296

type SchemaElement = Parameters<typeof writeMetadata>[1]['schema'][number]
type FileMetaData = Parameters<typeof writeMetadata>[1]
type RowGroup = FileMetaData['row_groups'][number]
type PageHeader = Parameters<typeof writePageHeader>[1]

/** The values of one column, PLAIN-encoded, ready to be cut into pages. */
interface EncodedColumn {
  /** PLAIN bytes of the non-null values in row order (not used for BOOLEAN, packed per page). */
  data: Uint8Array
  /** Bytes per value for fixed-width types; 0 for STRING (see `lengths`) and BOOLEAN. */
  width: number
  /** STRING: UTF-8 byte length of each non-null value, in order. */
  lengths?: Uint32Array
  /** Definition levels (1 = value, 0 = null) when the column is nullable. */
  levels?: Uint8Array
  nulls: number
  min?: number
  max?: number
}

class ParquetValueError extends TypeError {
  constructor(column: ParquetColumn, row: number, expected: string, value: unknown) {
    const shown = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : String(value)
    super(`parquet column "${column.name}" (${column.type}): row ${row} must be ${expected}, got ${shown}`)
    this.name = 'ParquetValueError'
  }
}

// ---------------------------------------------------------------------------------------------
// Column encoders: one pass over the values, typed arrays only, no object per value. Dates and
// timestamps given as text are read by the time module (engine/time/iso.ts).

function levelsFor(column: ParquetColumn, rows: number): Uint8Array | undefined {
  return column.nullable ? new Uint8Array(rows) : undefined
}

function nullError(column: ParquetColumn, row: number): ParquetValueError {
  return new ParquetValueError(column, row, 'a value (the column is not nullable)', null)
}

function encodeBoolean(column: ParquetColumn, values: CellValue[]): EncodedColumn {
  const levels = levelsFor(column, values.length)
  let nulls = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v === null || v === undefined) {
      if (!levels) throw nullError(column, i)
      nulls++
    }
    else if (typeof v !== 'boolean') throw new ParquetValueError(column, i, 'a boolean', v)
    else if (levels) levels[i] = 1
  }
  return { data: new Uint8Array(0), width: 0, levels, nulls }
}

/** INT64, TIMESTAMP_MILLIS (int64) and DATE (int32): integers, little-endian, min/max tracked. */
function encodeInteger(column: ParquetColumn, values: CellValue[]): EncodedColumn {
  const n = values.length
  const type = column.type
  const width = type === 'DATE' ? 4 : 8
  const data = new Uint8Array(n * width)
  const view = new DataView(data.buffer)
  const levels = levelsFor(column, n)
  let nulls = 0
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  let p = 0
  for (let i = 0; i < n; i++) {
    const v = values[i]
    let x: number
    if (v === null || v === undefined) {
      if (!levels) throw nullError(column, i)
      nulls++
      continue
    }
    if (type === 'INT64') {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ParquetValueError(column, i, 'a safe integer', v)
      x = v
    }
    else if (type === 'TIMESTAMP_MILLIS') {
      x = typeof v === 'string' ? parseTimestamp(v) : typeof v === 'number' ? v : Number.NaN
      if (!Number.isSafeInteger(x)) throw new ParquetValueError(column, i, 'an ISO 8601 date-time or integer epoch milliseconds', v)
    }
    else {
      x = typeof v === 'string' ? parseDate(v) : Number.NaN
      if (Number.isNaN(x)) throw new ParquetValueError(column, i, 'a YYYY-MM-DD date', v)
    }
    if (levels) levels[i] = 1
    if (x < min) min = x
    if (x > max) max = x
    if (width === 4) {
      view.setInt32(p, x, true)
      p += 4
    }
    else {
      const hi = Math.floor(x / TWO_32)
      view.setUint32(p, x - hi * TWO_32, true)
      view.setInt32(p + 4, hi, true)
      p += 8
    }
  }
  const stats = nulls < n ? { min, max } : {}
  return { data: data.subarray(0, p), width, levels, nulls, ...stats }
}

function encodeDouble(column: ParquetColumn, values: CellValue[]): EncodedColumn {
  const n = values.length
  const data = new Uint8Array(n * 8)
  const view = new DataView(data.buffer)
  const levels = levelsFor(column, n)
  let nulls = 0
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  let p = 0
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (v === null || v === undefined) {
      if (!levels) throw nullError(column, i)
      nulls++
      continue
    }
    if (typeof v !== 'number') throw new ParquetValueError(column, i, 'a number', v)
    if (levels) levels[i] = 1
    if (v < min) min = v // NaN compares false both ways: left out of min/max, as the spec asks
    if (v > max) max = v
    view.setFloat64(p, v, true)
    p += 8
  }
  // Only finite bounds are kept (stats are optional; JSON could not carry infinities).
  const stats = Number.isFinite(min) && Number.isFinite(max) ? { min, max } : {}
  return { data: data.subarray(0, p), width: 8, levels, nulls, ...stats }
}

/**
 * A STRING column built value by value: each value is written as PLAIN BYTE_ARRAY ([uint32 length]
 * [UTF-8 bytes]) as it comes, while it is still in cache, rather than kept until the row group ends
 * (a chunk's strings would outlive the young generation, and flattening them late costs more than
 * making them). Values from a list can be added as their pre-encoded bytes.
 */
export class StringColumnBuilder {
  private bytes = new Uint8Array(1 << 16)
  private length = 0
  private lengths = new Uint32Array(1024)
  private levels = new Uint8Array(1024)
  private count = 0
  private nulls = 0
  rows = 0
  private readonly column: ParquetColumn

  constructor(column: ParquetColumn) {
    this.column = column
  }

  /** Room for one more row of `bytes` bytes. */
  private room(bytes: number): void {
    if (this.rows === this.levels.length) {
      const levels = new Uint8Array(2 * this.levels.length)
      levels.set(this.levels)
      this.levels = levels
      const lengths = new Uint32Array(2 * this.lengths.length)
      lengths.set(this.lengths)
      this.lengths = lengths
    }
    if (this.length + bytes > this.bytes.length) {
      const grown = new Uint8Array(chunkCapacity(Math.max(2 * this.bytes.length, this.length + bytes)))
      grown.set(this.bytes.subarray(0, this.length))
      this.bytes = grown
    }
  }

  add(value: CellValue | undefined): void {
    if (value === null || value === undefined) {
      if (!this.column.nullable) throw nullError(this.column, this.rows)
      this.room(0)
      this.levels[this.rows++] = 0
      this.nulls++
      return
    }
    if (typeof value !== 'string') throw new ParquetValueError(this.column, this.rows, 'a string', value)
    this.room(4 + 3 * value.length)
    const start = this.length + 4
    this.finishValue(writeUtf8(this.bytes, start, value, PLAIN) - start)
  }

  /** Adds bytes[from, to) as the next value: a list entry encoded once. */
  addBytes(bytes: Uint8Array, from: number, to: number): void {
    this.room(4 + to - from)
    let p = this.length + 4
    for (let b = from; b < to; b++) this.bytes[p++] = bytes[b]!
    this.finishValue(to - from)
  }

  private finishValue(length: number): void {
    const bytes = this.bytes
    const p = this.length
    bytes[p] = length & 0xff
    bytes[p + 1] = (length >>> 8) & 0xff
    bytes[p + 2] = (length >>> 16) & 0xff
    bytes[p + 3] = length >>> 24
    this.length = p + 4 + length
    this.lengths[this.count++] = length
    this.levels[this.rows++] = 1
  }

  finish(): EncodedColumn & { rows: number } {
    return {
      data: this.bytes.subarray(0, this.length),
      width: 0,
      lengths: this.lengths.subarray(0, this.count),
      levels: this.column.nullable ? this.levels.subarray(0, this.rows) : undefined,
      nulls: this.nulls,
      rows: this.rows,
    }
  }
}

/** PLAIN BYTE_ARRAY of a column's values. */
function encodeString(column: ParquetColumn, values: CellValue[]): EncodedColumn {
  const builder = new StringColumnBuilder(column)
  for (let i = 0; i < values.length; i++) builder.add(values[i])
  return builder.finish()
}

function encodeColumn(column: ParquetColumn, values: CellValue[]): EncodedColumn {
  switch (column.type) {
    case 'BOOLEAN': return encodeBoolean(column, values)
    case 'INT64':
    case 'TIMESTAMP_MILLIS':
    case 'DATE': return encodeInteger(column, values)
    case 'DOUBLE': return encodeDouble(column, values)
    case 'STRING': return encodeString(column, values)
    default: throw new TypeError(`parquet column "${(column as ParquetColumn).name}": unknown type ${(column as ParquetColumn).type}`)
  }
}

/** PLAIN BOOLEAN for rows [start, end): the non-null values bit-packed, least significant bit first. */
function packBooleans(values: CellValue[], start: number, end: number, present: number): Uint8Array {
  const out = new Uint8Array((present + 7) >>> 3)
  let bit = 0
  for (let i = start; i < end; i++) {
    const v = values[i]
    if (v === null || v === undefined) continue
    if (v) out[bit >>> 3]! |= 1 << (bit & 7)
    bit++
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Pages and row groups

/** Collects the row group's parts, concatenated once at the end. */
class Parts {
  list: Uint8Array[] = []
  length = 0
  push(bytes: Uint8Array): void {
    this.list.push(bytes)
    this.length += bytes.length
  }

  /** The parts, one after the other: in `into` when it is large enough. */
  concat(into?: ArrayBuffer): Uint8Array {
    const out = into && into.byteLength >= this.length ? new Uint8Array(into, 0, this.length) : new Uint8Array(this.length)
    let p = 0
    for (const part of this.list) {
      out.set(part, p)
      p += part.length
    }
    return out
  }
}

/** End (exclusive) of the page that starts at row `start` (`valueIndex` non-null values before it). */
function pageEnd(encoded: EncodedColumn, type: ParquetType, start: number, rows: number, valueIndex: number): number {
  if (type === 'STRING') {
    const { lengths, levels } = encoded
    let bytes = 0
    let k = valueIndex
    let i = start
    while (i < rows && bytes < PAGE_BYTES) {
      if (!levels || levels[i]) bytes += 4 + lengths![k++]!
      i++
    }
    return i
  }
  const perRow = type === 'BOOLEAN' ? 1 : encoded.width // booleans: 1 Mi rows (128 KiB packed) per page
  return Math.min(rows, start + Math.max(1, Math.floor(PAGE_BYTES / perRow)))
}

function writeColumnChunk(out: Parts, column: ParquetColumn, values: CellValue[] | EncodedColumn, rows: number): ColumnChunkMeta {
  const encoded = Array.isArray(values) ? encodeColumn(column, values) : values
  const { levels, data } = encoded
  const offset = out.length
  let uncompressedSize = 0
  let pages = 0
  let valueIndex = 0 // non-null values before the page
  let byte = 0 // their bytes in `data`
  let start = 0
  do {
    const end = pageEnd(encoded, column.type, start, rows, valueIndex)
    let present = end - start
    if (levels) {
      present = 0
      for (let i = start; i < end; i++) present += levels[i]!
    }
    let valueBytes: Uint8Array
    if (column.type === 'BOOLEAN') valueBytes = packBooleans(values as CellValue[], start, end, present)
    else {
      let size = present * encoded.width
      if (column.type === 'STRING') {
        size = 4 * present
        for (let k = valueIndex; k < valueIndex + present; k++) size += encoded.lengths![k]!
      }
      valueBytes = data.subarray(byte, byte + size)
      byte += size
    }
    valueIndex += present

    // Data page v1 body: [uint32 length + RLE/bit-packed definition levels] + PLAIN values.
    let body = valueBytes
    if (levels) {
      const levelWriter = new ByteWriter(64 + ((end - start) >>> 3))
      levelWriter.appendUint32(0)
      const levelBytes = writeRleBitPackedHybrid(levelWriter, levels.subarray(start, end), 1)
      levelWriter.view.setUint32(0, levelBytes, true)
      body = new Uint8Array(levelWriter.offset + valueBytes.length)
      body.set(levelWriter.getBytes(), 0)
      body.set(valueBytes, levelWriter.offset)
    }
    const compressed = CODEC === 'ZSTD' ? zstdCompressSync(body, ZSTD_OPTIONS) : body
    const header: PageHeader = {
      type: 'DATA_PAGE',
      uncompressed_page_size: body.length,
      compressed_page_size: compressed.length,
      data_page_header: {
        num_values: end - start,
        encoding: 'PLAIN',
        definition_level_encoding: 'RLE',
        repetition_level_encoding: 'RLE',
      },
    }
    const headerWriter = new ByteWriter(64)
    writePageHeader(headerWriter, header)
    out.push(headerWriter.getBytes())
    out.push(compressed)
    uncompressedSize += headerWriter.offset + body.length
    pages++
    start = end
  } while (start < rows)

  const meta: ColumnChunkMeta = {
    type: column.type,
    codec: CODEC,
    offset,
    compressedSize: out.length - offset,
    uncompressedSize,
    numValues: rows,
    nullCount: encoded.nulls,
    pages,
  }
  if (encoded.min !== undefined && encoded.max !== undefined) {
    meta.min = encoded.min
    meta.max = encoded.max
  }
  return meta
}

function checkColumns(columns: ParquetColumn[]): void {
  if (columns.length === 0) throw new TypeError('parquet needs at least one column')
  const seen = new Set<string>()
  for (const column of columns) {
    if (!column.name) throw new TypeError('parquet column names must not be empty')
    if (seen.has(column.name)) throw new TypeError(`parquet column "${column.name}" appears twice`)
    seen.add(column.name)
  }
}

/**
 * Encodes one row group. `columns[i]` describes values[i]; values are column-major arrays of equal
 * length, or for STRING columns, what a StringColumnBuilder made of them. The bytes go to the start
 * of `into` when it is large enough.
 */
export function encodeRowGroup(columns: ParquetColumn[], values: (CellValue[] | ReturnType<StringColumnBuilder['finish']>)[], into?: ArrayBuffer): { bytes: Uint8Array; meta: RowGroupMeta } {
  checkColumns(columns)
  if (values.length !== columns.length) throw new TypeError(`parquet got ${values.length} value arrays for ${columns.length} columns`)
  const rowsOf = (column: CellValue[] | ReturnType<StringColumnBuilder['finish']>) => (Array.isArray(column) ? column.length : column.rows)
  const rows = rowsOf(values[0]!)
  for (let c = 0; c < columns.length; c++) {
    if (rowsOf(values[c]!) !== rows) throw new TypeError(`parquet column "${columns[c]!.name}" has ${rowsOf(values[c]!)} values, expected ${rows}`)
    if (!Array.isArray(values[c]) && columns[c]!.type !== 'STRING') throw new TypeError(`parquet column "${columns[c]!.name}": only STRING columns take built values`)
  }
  const out = new Parts()
  const chunks = columns.map((column, c) => writeColumnChunk(out, column, values[c]!, rows))
  const bytes = out.concat(into)
  let uncompressedSize = 0
  for (const chunk of chunks) uncompressedSize += chunk.uncompressedSize
  return { bytes, meta: { numRows: rows, byteSize: bytes.length, uncompressedSize, columns: chunks } }
}

// ---------------------------------------------------------------------------------------------
// Footer

function schemaElement(column: ParquetColumn): SchemaElement {
  const repetition_type = column.nullable ? 'OPTIONAL' : 'REQUIRED'
  const name = column.name
  switch (column.type) {
    case 'BOOLEAN': return { name, repetition_type, type: 'BOOLEAN' }
    case 'INT64': return { name, repetition_type, type: 'INT64' }
    case 'DOUBLE': return { name, repetition_type, type: 'DOUBLE' }
    case 'STRING': return { name, repetition_type, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } }
    case 'TIMESTAMP_MILLIS': return {
      name,
      repetition_type,
      type: 'INT64',
      converted_type: 'TIMESTAMP_MILLIS',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
    }
    case 'DATE': return { name, repetition_type, type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } }
  }
}

function physicalType(type: ParquetType): 'BOOLEAN' | 'INT32' | 'INT64' | 'DOUBLE' | 'BYTE_ARRAY' {
  if (type === 'STRING') return 'BYTE_ARRAY'
  if (type === 'DATE') return 'INT32'
  if (type === 'TIMESTAMP_MILLIS') return 'INT64'
  return type
}

function int64(value: number): bigint {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`parquet footer: bad offset or size ${value}`)
  return BigInt(value)
}

/** FileMetaData + length + magic, given the row groups in file order and the absolute byte offset where each one starts. */
export function encodeFooter(columns: ParquetColumn[], rowGroups: { meta: RowGroupMeta; offset: number }[]): Uint8Array {
  checkColumns(columns)
  let numRows = 0
  const row_groups: RowGroup[] = rowGroups.map(({ meta, offset }, g) => {
    if (meta.columns.length !== columns.length) throw new TypeError(`parquet row group ${g} has ${meta.columns.length} columns, expected ${columns.length}`)
    numRows += meta.numRows
    return {
      columns: meta.columns.map((chunk, c) => {
        const column = columns[c]!
        if (chunk.type !== column.type) throw new TypeError(`parquet row group ${g}: column "${column.name}" is ${chunk.type}, expected ${column.type}`)
        const start = int64(offset + chunk.offset)
        const statistics: NonNullable<RowGroup['columns'][number]['meta_data']>['statistics'] = { null_count: int64(chunk.nullCount) }
        if (chunk.min !== undefined && chunk.max !== undefined) {
          // Signed zeros per the spec: a zero min is written -0, a zero max +0.
          statistics.min_value = chunk.min === 0 ? -0 : chunk.min
          statistics.max_value = chunk.max === 0 ? 0 : chunk.max
        }
        return {
          file_offset: start,
          meta_data: {
            type: physicalType(column.type),
            encodings: ['PLAIN', 'RLE'],
            path_in_schema: [column.name],
            codec: chunk.codec,
            num_values: int64(chunk.numValues),
            total_uncompressed_size: int64(chunk.uncompressedSize),
            total_compressed_size: int64(chunk.compressedSize),
            data_page_offset: start,
            statistics,
            encoding_stats: [{ page_type: 'DATA_PAGE', encoding: 'PLAIN', count: chunk.pages }],
          },
        }
      }),
      total_byte_size: int64(meta.uncompressedSize),
      num_rows: int64(meta.numRows),
      file_offset: int64(offset + (meta.columns[0]?.offset ?? 0)),
      total_compressed_size: int64(meta.byteSize),
    }
  })
  const metadata = {
    version: 2,
    schema: [{ name: 'schema', num_children: columns.length }, ...columns.map(schemaElement)],
    num_rows: int64(numRows),
    row_groups,
    created_by: CREATED_BY,
  } as FileMetaData // metadata_length is what the writer appends, not a field to serialize
  const writer = new ByteWriter(4096)
  writeMetadata(writer, metadata)
  writer.appendBytes(PARQUET_MAGIC)
  return new Uint8Array(writer.getBuffer())
}
