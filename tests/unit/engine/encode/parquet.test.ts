import { describe, expect, it } from 'vitest'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import type { CellValue } from '#shared/schema'
import { encodeFooter, encodeRowGroup, PARQUET_MAGIC, type ParquetColumn, type RowGroupMeta } from '~~/engine/encode/parquet'

/** A whole file as the writer makes it: magic, the row groups in order, the footer. */
function buildFile(columns: ParquetColumn[], groups: CellValue[][][]): Uint8Array {
  const parts: Uint8Array[] = [PARQUET_MAGIC]
  const placed: { meta: RowGroupMeta; offset: number }[] = []
  let offset = PARQUET_MAGIC.length
  for (const values of groups) {
    const { bytes, meta } = encodeRowGroup(columns, values)
    expect(meta.byteSize).toBe(bytes.length)
    placed.push({ meta, offset })
    parts.push(bytes)
    offset += bytes.length
  }
  parts.push(encodeFooter(columns, placed))
  const file = new Uint8Array(offset + parts.at(-1)!.length)
  let p = 0
  for (const part of parts) {
    file.set(part, p)
    p += part.length
  }
  return file
}

const arrayBuffer = (file: Uint8Array) => file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer

/** Rows read back with hyparquet, as CellValues: int64 → number, timestamp → ISO, date → YYYY-MM-DD. */
async function readBack(columns: ParquetColumn[], file: Uint8Array): Promise<CellValue[][]> {
  const objects = await parquetReadObjects({ file: arrayBuffer(file), compressors })
  return objects.map(object => columns.map(({ name, type }) => {
    const value: unknown = object[name]
    if (value === null || value === undefined) return null
    if (typeof value === 'bigint') return Number(value)
    if (value instanceof Date) return type === 'DATE' ? value.toISOString().slice(0, 10) : value.toISOString()
    return value as CellValue
  }))
}

/** Row-major rows → column-major arrays, optionally cut into row groups of the given sizes. */
function columnsOf(rows: CellValue[][], width: number): CellValue[][] {
  return Array.from({ length: width }, (_, c) => rows.map(row => row[c]!))
}
function split(rows: CellValue[][], width: number, sizes: number[]): CellValue[][][] {
  const groups: CellValue[][][] = []
  let start = 0
  for (const size of sizes) {
    groups.push(columnsOf(rows.slice(start, start + size), width))
    start += size
  }
  expect(start).toBe(rows.length)
  return groups
}

const ALL: ParquetColumn[] = [
  { name: 'flag', type: 'BOOLEAN', nullable: true },
  { name: 'count', type: 'INT64', nullable: false },
  { name: 'maybe_count', type: 'INT64', nullable: true },
  { name: 'ratio', type: 'DOUBLE', nullable: true },
  { name: 'label', type: 'STRING', nullable: true },
  { name: 'code', type: 'STRING', nullable: false },
  { name: 'at', type: 'TIMESTAMP_MILLIS', nullable: true },
  { name: 'day', type: 'DATE', nullable: false },
]

/** Input rows; timestamps given as ISO strings (any zone) or epoch ms. */
const INPUT: CellValue[][] = [
  [true, 0, null, 1.5, 'plain', 'a', '2024-01-02T03:04:05.678Z', '2024-02-29'],
  [false, -1, 2 ** 50, -0.25, '', '', 0, '1970-01-01'],
  [null, 2 ** 50, -(2 ** 50), null, null, 'zero', null, '1969-12-31'],
  [true, -(2 ** 50), Number.MAX_SAFE_INTEGER, 1e300, 'héllo wörld', 'ß', '1969-07-20T20:17:40Z', '0001-01-01'],
  [null, Number.MIN_SAFE_INTEGER, null, -1e-300, '日本語テキスト', '中', '2024-06-01T12:00:00+02:00', '9999-12-31'],
  [false, Number.MAX_SAFE_INTEGER, 0, -0, '😀 emoji 👍🏽', '🎉', -86_400_001, '2000-03-01'],
  [true, 42, -7, Math.PI, 'with, comma "and" quotes\nnewline', 'x', '2024-03-10T02:30:00', '1900-02-28'],
  [false, 123_456_789_012, 1, null, null, 'last', '2038-01-19T03:14:08.000Z', '2100-12-31'],
]

/** What reading back gives: timestamps normalised to ISO UTC. */
const EXPECTED: CellValue[][] = INPUT.map(row => row.map((value, c) => {
  if (ALL[c]!.type !== 'TIMESTAMP_MILLIS' || value === null) return value
  if (typeof value === 'number') return new Date(value).toISOString()
  return new Date(/Z|[+-]\d\d:\d\d$/.test(value as string) ? value as string : `${value}Z`).toISOString()
}))

describe('parquet encoder', () => {
  it('round-trips every type, with nulls, unicode, empty strings and large integers', async () => {
    const file = buildFile(ALL, split(INPUT, ALL.length, [3, 5]))
    expect([...file.subarray(0, 4)]).toEqual([...PARQUET_MAGIC])
    expect([...file.subarray(-4)]).toEqual([...PARQUET_MAGIC])
    const rows = await readBack(ALL, file)
    expect(rows).toEqual(EXPECTED)
    expect(Object.is(rows[5]![3], -0)).toBe(true)
    expect(rows[4]![1]).toBe(Number.MIN_SAFE_INTEGER)
  })

  it('writes the schema, logical types, statistics and row groups into the footer', () => {
    const file = buildFile(ALL, split(INPUT, ALL.length, [3, 5]))
    const metadata = parquetMetadata(arrayBuffer(file))
    expect(metadata.created_by).toBe('SDaaS')
    expect(metadata.num_rows).toBe(8n)
    const [root, ...leaves] = metadata.schema
    expect(root!.num_children).toBe(ALL.length)
    expect(leaves.map(e => ({ name: e.name, type: e.type, repetition: e.repetition_type, converted: e.converted_type, logical: e.logical_type }))).toEqual([
      { name: 'flag', type: 'BOOLEAN', repetition: 'OPTIONAL', converted: undefined, logical: undefined },
      { name: 'count', type: 'INT64', repetition: 'REQUIRED', converted: undefined, logical: undefined },
      { name: 'maybe_count', type: 'INT64', repetition: 'OPTIONAL', converted: undefined, logical: undefined },
      { name: 'ratio', type: 'DOUBLE', repetition: 'OPTIONAL', converted: undefined, logical: undefined },
      { name: 'label', type: 'BYTE_ARRAY', repetition: 'OPTIONAL', converted: 'UTF8', logical: { type: 'STRING' } },
      { name: 'code', type: 'BYTE_ARRAY', repetition: 'REQUIRED', converted: 'UTF8', logical: { type: 'STRING' } },
      { name: 'at', type: 'INT64', repetition: 'OPTIONAL', converted: 'TIMESTAMP_MILLIS', logical: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } },
      { name: 'day', type: 'INT32', repetition: 'REQUIRED', converted: 'DATE', logical: { type: 'DATE' } },
    ])

    expect(metadata.row_groups.map(g => g.num_rows)).toEqual([3n, 5n])
    let expectedOffset = 4n
    for (const group of metadata.row_groups) {
      expect(group.file_offset).toBe(expectedOffset)
      for (const chunk of group.columns) {
        expect(chunk.meta_data!.codec).toBe('ZSTD')
        expect(chunk.meta_data!.data_page_offset).toBe(expectedOffset)
        expectedOffset += chunk.meta_data!.total_compressed_size
      }
    }
    expect(expectedOffset).toBe(BigInt(file.length - 8 - new DataView(file.buffer, file.byteOffset).getUint32(file.length - 8, true)))

    const stats = (group: number, column: string) => metadata.row_groups[group]!.columns[ALL.findIndex(c => c.name === column)]!.meta_data!.statistics!
    expect(stats(0, 'flag').null_count).toBe(1n)
    expect(stats(0, 'maybe_count')).toMatchObject({ null_count: 1n, min_value: -(2n ** 50n), max_value: 2n ** 50n })
    expect(stats(1, 'count')).toMatchObject({ null_count: 0n, min_value: BigInt(Number.MIN_SAFE_INTEGER), max_value: BigInt(Number.MAX_SAFE_INTEGER) })
    expect(stats(1, 'ratio')).toMatchObject({ null_count: 1n, min_value: -1e-300, max_value: 1e300 })
    expect(Object.is(stats(1, 'ratio').min_value, -1e-300)).toBe(true)
    expect(stats(0, 'label').null_count).toBe(1n)
    expect(stats(0, 'at')).toMatchObject({ null_count: 1n, min_value: new Date(0), max_value: new Date('2024-01-02T03:04:05.678Z') })
    expect(stats(1, 'day')).toMatchObject({ null_count: 0n, min_value: new Date('0001-01-01'), max_value: new Date('9999-12-31') })
  })

  it('is deterministic: the same rows give the same bytes', () => {
    const a = buildFile(ALL, split(INPUT, ALL.length, [3, 5]))
    const b = buildFile(ALL, split(INPUT, ALL.length, [3, 5]))
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true)
    const g1 = encodeRowGroup(ALL, columnsOf(INPUT, ALL.length))
    const g2 = encodeRowGroup(ALL, columnsOf(INPUT, ALL.length))
    expect(Buffer.from(g1.bytes).equals(Buffer.from(g2.bytes))).toBe(true)
    expect(g2.meta).toEqual(JSON.parse(JSON.stringify(g1.meta))) // plain, JSON-cloneable data
  })

  it('gives different but equally valid files for different row-group splits', async () => {
    const splits = [[1, 2, 5], [8], [4, 4], [1, 1, 1, 1, 1, 1, 1, 1]]
    const files = splits.map(sizes => buildFile(ALL, split(INPUT, ALL.length, sizes)))
    expect(Buffer.from(files[0]!).equals(Buffer.from(files[1]!))).toBe(false)
    for (const [i, file] of files.entries()) {
      expect(await readBack(ALL, file)).toEqual(EXPECTED)
      expect(parquetMetadata(arrayBuffer(file)).row_groups.map(g => Number(g.num_rows))).toEqual(splits[i])
    }
  })

  it('encodes strings whose lone surrogates would pair up across values', async () => {
    const columns: ParquetColumn[] = [{ name: 's', type: 'STRING', nullable: true }]
    const file = buildFile(columns, [[['a\uD83D', '\uDE00b', null, 'ok', '\uD83D\uDE00']]])
    expect(await readBack(columns, file)).toEqual([['a\uFFFD'], ['\uFFFDb'], [null], ['ok'], ['😀']])
  })

  it('keeps NaN and infinities out of the double statistics', async () => {
    const columns: ParquetColumn[] = [{ name: 'x', type: 'DOUBLE', nullable: false }]
    const file = buildFile(columns, [[[Number.NaN, 2, -3]], [[Number.POSITIVE_INFINITY, 1]], [[Number.NaN]]])
    const rows = await readBack(columns, file)
    expect(rows.flat()).toEqual([Number.NaN, 2, -3, Number.POSITIVE_INFINITY, 1, Number.NaN])
    const stats = parquetMetadata(arrayBuffer(file)).row_groups.map(g => g.columns[0]!.meta_data!.statistics)
    expect(stats[0]).toMatchObject({ min_value: -3, max_value: 2 })
    expect(stats[1]!.min_value).toBeUndefined()
    expect(stats[2]!.min_value).toBeUndefined()
  })

  it('writes a valid file with no row groups', async () => {
    const file = buildFile(ALL, [])
    expect(parquetMetadata(arrayBuffer(file)).num_rows).toBe(0n)
    expect(await readBack(ALL, file)).toEqual([])
  })

  it('cuts large column chunks into pages of about 1 MiB', async () => {
    const n = 150_000
    const columns: ParquetColumn[] = [
      { name: 'n', type: 'INT64', nullable: true },
      { name: 's', type: 'STRING', nullable: false },
      { name: 'b', type: 'BOOLEAN', nullable: false },
    ]
    const ints: CellValue[] = []
    const strings: CellValue[] = []
    const bools: CellValue[] = []
    for (let i = 0; i < n; i++) {
      ints.push(i % 7 === 3 ? null : i * 1_000_003 - 2 ** 40)
      strings.push(`row ${i} ${'é'.repeat(i % 5)} ${'x'.repeat(i % 11)}`)
      bools.push(i % 3 === 0)
    }
    const { meta } = encodeRowGroup(columns, [ints, strings, bools])
    expect(meta.columns.map(c => c.pages)).toEqual([2, 4, 1])
    const file = buildFile(columns, [[ints, strings, bools]])
    const rows = await readBack(columns, file)
    expect(rows.length).toBe(n)
    for (let i = 0; i < n; i += 1) {
      const row = rows[i]!
      if (row[0] !== ints[i] || row[1] !== strings[i] || row[2] !== bools[i]) expect([i, row]).toEqual([i, [ints[i], strings[i], bools[i]]])
    }
  })

  it('round-trips 100,000 rows x 6 columns in row groups of 20,000', async () => {
    const n = 100_000
    const columns: ParquetColumn[] = [
      { name: 'id', type: 'INT64', nullable: false },
      { name: 'email', type: 'STRING', nullable: true },
      { name: 'score', type: 'DOUBLE', nullable: true },
      { name: 'active', type: 'BOOLEAN', nullable: false },
      { name: 'seen', type: 'TIMESTAMP_MILLIS', nullable: true },
      { name: 'born', type: 'DATE', nullable: true },
    ]
    const rows: CellValue[][] = []
    let state = 12345
    const next = () => (state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32
    for (let i = 0; i < n; i++) {
      rows.push([
        i + 1,
        next() < 0.1 ? null : `user${Math.floor(next() * 1e6)}@exämple.com`,
        next() < 0.1 ? null : Math.round(next() * 1e6) / 100,
        next() < 0.5,
        next() < 0.1 ? null : new Date(1.5e12 + Math.floor(next() * 3e11)).toISOString(),
        next() < 0.1 ? null : new Date(Math.floor(next() * 3e4 - 1e4) * 86_400_000).toISOString().slice(0, 10),
      ])
    }
    const started = performance.now()
    const file = buildFile(columns, split(rows, columns.length, [20_000, 20_000, 20_000, 20_000, 20_000]))
    const encodeMs = performance.now() - started
    expect(encodeMs).toBeLessThan(2000)
    const back = await readBack(columns, file)
    expect(back.length).toBe(n)
    expect(back).toEqual(rows)
  })

  it('rejects values that do not fit their column', () => {
    const one = (type: ParquetColumn['type'], value: CellValue, nullable = false) =>
      () => encodeRowGroup([{ name: 'c', type, nullable }], [[value]])
    expect(one('INT64', null)).toThrow(/column "c".*not nullable/)
    expect(one('INT64', 1.5)).toThrow(/safe integer/)
    expect(one('INT64', 2 ** 53)).toThrow(/safe integer/)
    expect(one('INT64', '1')).toThrow(/safe integer/)
    expect(one('BOOLEAN', 1)).toThrow(/boolean/)
    expect(one('DOUBLE', '1')).toThrow(/number/)
    expect(one('STRING', 1, true)).toThrow(/string/)
    expect(one('DATE', '2023-02-29')).toThrow(/YYYY-MM-DD/)
    expect(one('DATE', '2023-1-01')).toThrow(/YYYY-MM-DD/)
    expect(one('TIMESTAMP_MILLIS', 'yesterday')).toThrow(/ISO 8601/)
    expect(one('TIMESTAMP_MILLIS', 1.5)).toThrow(/ISO 8601/)
    expect(one('STRING', null, true)).not.toThrow()
    expect(() => encodeRowGroup(ALL.slice(0, 2), [[1], [1, 2]])).toThrow(/values/)
    expect(() => encodeRowGroup([ALL[0]!, ALL[0]!], [[true], [true]])).toThrow(/twice/)
    const { meta } = encodeRowGroup([{ name: 'c', type: 'INT64', nullable: false }], [[1]])
    expect(() => encodeFooter([{ name: 'c', type: 'DOUBLE', nullable: false }], [{ meta, offset: 4 }])).toThrow(/expected DOUBLE/)
  })
})
