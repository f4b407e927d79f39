/**
 * One contract, run against every output format (as unstorage runs one suite against every driver):
 * a whole file, written by the workers as the server writes it, parses back with a real reader of the
 * format to the cells the engine made; any chunking and worker count give the same bytes; gzip is the
 * same file compressed; nulls come back as the format's null; unicode (emoji, CJK, combining marks,
 * a lone surrogate) comes back as it went in, or as U+FFFD where UTF-8 has no lone surrogates; a file
 * of one row, or of columns that are only null, is still valid. A new format fails here until it
 * has a reader below.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { gunzipSync } from 'node:zlib'
import { parse } from 'csv-parse/sync'
import { parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FORMAT_IDS, FORMATS, type Format } from '#shared/formats'
import type { CellValue, GenerationSchema } from '#shared/schema'
import type { OutputType } from '~~/engine/schema/cells'
import { compileSchema } from '~~/engine/schema/columns'
import { RowRandom } from '~~/engine/schema/random'
import { createChunkGenerator, prepare, type GenerationSpec } from '~~/engine/run/chunk'
import { generateToFile } from '~~/engine/run/generate'
import { WorkerPool } from '~~/engine/run/pool'
import { everyKind, schemaOf } from '../../../support/schemas'

/** A column as a reader needs it: its name and output type. */
interface ReadColumn { name: string; type: OutputType }

/** How a format's file is read back, and what the reader gives for a cell the engine made. */
interface Reader {
  /** The file's rows, in output column order; also checks the column names the file carries. */
  read(file: Buffer, columns: ReadColumn[]): Promise<unknown[][]>
  /** What reading gives back for `value`, a cell of a column of type `type`. */
  expected(value: CellValue, type: OutputType): unknown
}

/** UTF-8 has no lone surrogates: encoders write U+FFFD for them, as TextEncoder does. */
const wellFormed = (value: CellValue) => (typeof value === 'string' ? value.toWellFormed() : value)

const READERS: Record<Format, Reader> = {
  csv: {
    async read(file, columns) {
      const [header, ...records] = parse(file.toString('utf8')) as string[][]
      expect(header).toEqual(columns.map(c => c.name))
      return records
    },
    // Text throughout; null is an empty field.
    expected: value => (value === null ? '' : String(wellFormed(value))),
  },
  json: {
    async read(file, columns) {
      const objects = JSON.parse(file.toString('utf8')) as Record<string, unknown>[]
      expect(Array.isArray(objects)).toBe(true)
      return objects.map((object) => {
        expect(Object.keys(object)).toEqual(columns.map(c => c.name))
        return Object.values(object)
      })
    },
    // JSON escapes lone surrogates (\ud800): everything comes back exactly.
    expected: value => value,
  },
  ndjson: {
    async read(file, columns) {
      const text = file.toString('utf8')
      expect(text.endsWith('\n')).toBe(true)
      return text.slice(0, -1).split('\n').map((line) => {
        const object = JSON.parse(line) as Record<string, unknown>
        expect(Object.keys(object)).toEqual(columns.map(c => c.name))
        return Object.values(object)
      })
    },
    expected: value => value,
  },
  sql: {
    async read(file, columns) {
      const db = new DatabaseSync(':memory:')
      db.exec(`CREATE TABLE dataset (${columns.map(c => `"${c.name}"`).join(', ')})`)
      db.exec(file.toString('utf8'))
      const rows = db.prepare('SELECT * FROM dataset ORDER BY rowid').all() as Record<string, unknown>[]
      db.close()
      return rows.map(row => columns.map(c => row[c.name]))
    },
    // SQLite has no booleans: TRUE and FALSE are 1 and 0.
    expected: value => (typeof value === 'boolean' ? Number(value) : wellFormed(value)),
  },
  parquet: {
    async read(file, columns) {
      const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer
      const objects = await parquetReadObjects({ file: buffer, compressors })
      return objects.map(object => columns.map(({ name, type }) => {
        const value: unknown = object[name]
        if (typeof value === 'bigint') return Number(value)
        if (value instanceof Date) return type === 'date' ? value.toISOString().slice(0, 10) : value.toISOString()
        return value ?? null
      }))
    },
    expected: value => wellFormed(value),
  },
}

/** Texts that trip encoders: emoji (a ZWJ sequence too), CJK, combining marks, a lone surrogate, quotes and line breaks, formulas, the empty string. */
const UNICODE = ['plain', '😀 👩‍👩‍👧', '中文字符', 'e\u0301 n\u0303', 'lone \uD800 high', 'lone \uDC00 low', 'comma, "quoted"\r\nlines', 'it\'s', '=1+2', '']

const roundTrip: GenerationSchema = schemaOf({ columns: [
  { name: 'id', kind: 'sequence', start: 1, step: 1 },
  { name: 'word', kind: 'categorical', categories: UNICODE.map(value => ({ value })), null_rate: 0.2 },
  { name: 'n', kind: 'integer', min: -1000, max: 1000, null_rate: 0.1 },
  { name: 'x', kind: 'float', min: -1, max: 1, decimals: 3, null_rate: 0.1 },
  { name: 'flag', kind: 'boolean', null_rate: 0.1 },
  { name: 'at', kind: 'datetime', start: '1999-01-01T00:00:00Z', end: '2030-12-31T23:59:59Z', null_rate: 0.1 },
  { name: 'day', kind: 'date', start: '2000-01-01', end: '2030-12-31' },
  { name: 'secret', kind: 'categorical', categories: [{ value: '🙈' }, { value: 'ß' }], hidden: true },
  { name: 'label', kind: 'template', template: '{{word}}·{{secret}}·{{id}}' },
  { name: 'never', kind: 'integer', min: 0, max: 9, null_rate: 1 },
] })

/** Every kind of column, and every one of them only null. */
const allNull: GenerationSchema = schemaOf({ columns: [
  { name: 'n', kind: 'integer', min: 0, max: 9, null_rate: 1 },
  { name: 'x', kind: 'float', min: 0, max: 1, null_rate: 1 },
  { name: 'flag', kind: 'boolean', null_rate: 1 },
  { name: 'word', kind: 'categorical', categories: [{ value: '中' }], null_rate: 1 },
  { name: 'at', kind: 'datetime', start: '2020-01-01T00:00:00Z', end: '2020-12-31T23:59:59Z', null_rate: 1 },
  { name: 'day', kind: 'date', start: '2020-01-01', end: '2020-12-31', null_rate: 1 },
  { name: 'label', kind: 'template', template: 'x{{n}}', null_rate: 1 },
] })

const onlyNull: GenerationSchema = schemaOf({ columns: [{ name: 'only', kind: 'categorical', categories: [{ value: 'a' }], null_rate: 1 }] })

const dir = mkdtempSync(join(tmpdir(), 'sdaas-contract-'))
let single: WorkerPool
let triple: WorkerPool
let files = 0

beforeAll(() => {
  single = new WorkerPool({ size: 1 })
  triple = new WorkerPool({ size: 3 })
})
afterAll(async () => {
  await Promise.all([single.close(), triple.close()])
  rmSync(dir, { recursive: true, force: true })
})

const spec = (schema: GenerationSchema, format: Format, rows: number): GenerationSpec => ({ schema, rows, format, seed: 5, sampleSize: 100, previewRows: 5 })

/** A whole file, written by a pool as the server writes it. */
async function write(run: GenerationSpec, pool: WorkerPool, options: { chunkRows?: number; gzip?: boolean } = {}): Promise<{ file: Buffer; sha256: string }> {
  const path = join(dir, `${files++}.${FORMATS[run.format].extension}`)
  const summary = await generateToFile(run, { pool, path, ...options })
  return { file: readFileSync(path), sha256: summary.sha256 }
}

/** The output cells of every row, made in this thread from a fresh compile (no deferred cells), and the columns. */
function expectedRows(run: GenerationSpec): { columns: ReadColumn[]; rows: CellValue[][] } {
  const compiled = compileSchema(run.schema, { rows: run.rows, seed: run.seed })
  const rng = new RowRandom(run.seed)
  const cells = new Array<CellValue>(run.schema.columns.length)
  const rows: CellValue[][] = []
  for (let row = 0; row < run.rows; row++) {
    compiled.fillRow(rng, row, cells)
    rows.push(compiled.outputIndex.map(i => cells[i]!))
  }
  return { columns: compiled.names.map((name, k) => ({ name, type: compiled.types[k]! })), rows }
}

/** Reads a file back and compares it with the engine's cells, as the format's reader gives them. */
async function expectReadsBack(format: Format, file: Buffer, run: GenerationSpec): Promise<CellValue[][]> {
  const { columns, rows } = expectedRows(run)
  const reader = READERS[format]
  const read = await reader.read(file, columns)
  expect(read).toHaveLength(rows.length)
  expect(read).toEqual(rows.map(row => row.map((value, k) => reader.expected(value, columns[k]!.type))))
  return rows
}

for (const format of FORMAT_IDS) {
  describe(`the ${format} format`, () => {
    it('parses back with a real reader to the engine\'s cells: nulls, numbers, booleans, instants, unicode, hidden columns left out', async () => {
      const run = spec(roundTrip, format, 1200)
      const { file } = await write(run, triple, { chunkRows: 333 })
      const rows = await expectReadsBack(format, file, run)
      // The data holds what the contract is about, so the comparison above can fail on it.
      const words = new Set(rows.map(row => row[1]))
      for (const text of UNICODE) expect(words).toContain(text)
      expect(words).toContain(null)
      expect(rows.every(row => row.at(-1) === null)).toBe(true)
      expect(rows[0]).toHaveLength(roundTrip.columns.length - 1)
    })

    it('writes the same bytes for any chunking and worker count, and gzipped, the same file compressed the same way', async () => {
      const run = spec(roundTrip, format, 1200)
      const [first, ...others] = await Promise.all([
        write(run, single, { chunkRows: 20_000 }),
        write(run, triple, { chunkRows: 1 }),
        write(run, triple, { chunkRows: 7 }),
        write(run, triple, { chunkRows: 500 }),
      ])
      for (const other of others) expect(other.sha256).toBe(first!.sha256)
      const zipped = await Promise.all([write(run, single, { gzip: true }), write(run, triple, { chunkRows: 7, gzip: true })])
      expect(zipped[1]!.sha256).toBe(zipped[0]!.sha256)
      expect(zipped[0]!.file.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]))
      expect(gunzipSync(zipped[0]!.file).equals(first!.file)).toBe(true)
    })

    it('writes a valid file of a single row whose every column is null, and of a single column that is only null', async () => {
      for (const run of [spec(allNull, format, 1), spec(allNull, format, 3), spec(onlyNull, format, 1), spec(onlyNull, format, 4)]) {
        const { file } = await write(run, single)
        const rows = await expectReadsBack(format, file, run)
        expect(rows.flat().every(value => value === null)).toBe(true)
      }
    })

    it(`is what shared/formats.ts declares: ${FORMATS[format].chunksConcatenate ? 'header, chunks one after the other, footer' : 'chunks that do not simply concatenate'}; fixed chunk rows as declared`, async () => {
      const run = spec(roundTrip, format, 1200)
      const { format: file } = prepare(run)
      expect(file.fixedChunkRows).toBe(FORMATS[format].fixedChunkRows)
      if (!FORMATS[format].chunksConcatenate) {
        expect(file.separator.length > 0 || file.fixedChunkRows !== undefined).toBe(true)
        return
      }
      const generate = createChunkGenerator(run)
      const { file: written } = await write(run, single)
      const joined = Buffer.concat([file.header, generate(0, 500).bytes, file.separator, generate(500, 700).bytes, file.footer([])])
      expect(file.separator).toHaveLength(0)
      expect(joined.equals(written)).toBe(true)
    })

    it('writes a chunk into an earlier chunk\'s buffer (full of old bytes) as into a fresh buffer', () => {
      const run = { schema: everyKind, rows: 3000, format, seed: 3, sampleSize: 100, previewRows: 5 }
      const fresh = createChunkGenerator(run)(0, 3000).bytes
      const recycled = new Uint8Array(8 << 20).fill(0x5a).buffer
      const again = createChunkGenerator(run)(0, 3000, recycled)
      expect(again.bytes.buffer, 'written into the recycled buffer').toBe(recycled)
      expect(Buffer.from(again.bytes).equals(Buffer.from(fresh))).toBe(true)
    })
  })
}
