import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { gunzipSync } from 'node:zlib'
import { parse } from 'csv-parse/sync'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Format } from '#shared/schema'
import { CHUNK_TARGET_CHARS, GZIP_MEMBER_ROWS, keepLowest, PREVIEW_MAX_CHARS, SAMPLE_SALT, SAMPLE_TEXT_CHARS, type GenerationSpec, type SampledRow } from '~~/engine/run/chunk'
import { evaluateSchemaJob } from '~~/engine/report/declared'
import { generateToFile } from '~~/engine/run/generate'
import { PARQUET_ROW_GROUP_ROWS } from '#shared/formats'
import { WorkerPool } from '~~/engine/run/pool'
import { RowRandom, rowHash, seedWords } from '~~/engine/schema/random'
import { everyKind, schemaOf } from '../../../support/schemas'

const dir = mkdtempSync(join(tmpdir(), 'sdaas-generate-'))
const pools: WorkerPool[] = []
let single: WorkerPool
let triple: WorkerPool

beforeAll(() => {
  single = new WorkerPool({ size: 1 })
  triple = new WorkerPool({ size: 3 })
  pools.push(single, triple)
})
afterAll(async () => {
  await Promise.all(pools.map(p => p.close()))
  rmSync(dir, { recursive: true, force: true })
})

const spec = (format: Format, overrides: Partial<GenerationSpec> = {}): GenerationSpec => ({
  schema: everyKind, rows: 5_003, format, seed: 7, sampleSize: 500, previewRows: 10, ...overrides,
})

let fileCount = 0
const nextPath = (format: Format) => join(dir, `out-${fileCount++}.${format}`)

describe('generateToFile', () => {
  for (const [format, gzip] of [['csv', false], ['json', false], ['ndjson', false], ['sql', false], ['parquet', false], ['csv', true], ['json', true], ['sql', true], ['parquet', true]] as const) {
    it(`${format}${gzip ? ' + gzip' : ''}: same bytes for any worker count and chunk size; another seed differs`, async () => {
      const runs = await Promise.all([
        generateToFile(spec(format), { pool: single, path: nextPath(format), chunkRows: 20_000, gzip }),
        generateToFile(spec(format), { pool: triple, path: nextPath(format), chunkRows: 777, gzip }),
        generateToFile(spec(format), { pool: triple, path: nextPath(format), chunkRows: 1 + 4096, gzip }),
      ])
      const [first, ...others] = runs
      for (const other of others) {
        expect(other.sha256).toBe(first!.sha256)
        expect(other.bytes).toBe(first!.bytes)
        // The evaluator's sample is the same rows too, so the report does not depend on chunking.
        expect(evaluateSchemaJob(everyKind, other)).toEqual(evaluateSchemaJob(everyKind, first!))
      }
      const reseeded = await generateToFile(spec(format, { seed: 8 }), { pool: triple, path: nextPath(format), gzip })
      expect(reseeded.sha256).not.toBe(first!.sha256)
    })
  }

  it('a worker reuses a schema\'s compile across runs (other seeds, row counts and formats in turn), with the bytes of a fresh worker', async () => {
    const withUnique = schemaOf({ columns: [
      { name: 'code', kind: 'integer', min: 1, max: 1_000_000, unique: true },
      { name: 'who', kind: 'faker', method: 'person.fullName' },
      { name: 'at', kind: 'datetime', start: '2020-01-01T00:00:00Z', end: '2024-12-31T23:59:59Z' },
      { name: 'label', kind: 'template', template: '{{who}} #{{code}}' },
    ] })
    const runs: GenerationSpec[] = [
      spec('csv', { seed: 11 }), spec('json', { seed: 12, rows: 3000 }), spec('csv', { seed: 13, rows: 4000 }), spec('parquet', { seed: 14 }),
      spec('csv', { schema: withUnique, seed: 1, rows: 3000 }), spec('csv', { schema: withUnique, seed: 2, rows: 2000 }), spec('json', { schema: withUnique, seed: 2, rows: 2000 }),
      spec('csv', { seed: 11 }),
    ]
    const reused: string[] = []
    for (const run of runs) reused.push((await generateToFile(run, { pool: single, path: nextPath(run.format) })).sha256)
    const fresh: string[] = []
    for (const run of runs) {
      const pool = new WorkerPool({ size: 1 })
      fresh.push((await generateToFile(run, { pool, path: nextPath(run.format) })).sha256)
      await pool.close()
    }
    expect(reused).toEqual(fresh)
    expect(new Set(fresh).size).toBe(runs.length - 1)
  })

  it('a compile is not reused for a schema that differs only by -0 (which JSON writes as 0, and Parquet keeps)', async () => {
    const withZero = (zero: number) => schemaOf({ columns: [{ name: 'rate', kind: 'categorical', categories: [{ value: zero, weight: 1 }, { value: 0.5, weight: 1 }] }] })
    const run = spec('parquet', { schema: withZero(0), rows: 1000 })
    // POST /generate checks the schema as sent; the job then runs the schema stored as JSON.
    const pool = new WorkerPool({ size: 1 })
    pools.push(pool)
    expect(await pool.check(withZero(-0), run.rows, run.seed, 'parquet')).toEqual([])
    const afterCheck = await generateToFile(run, { pool, path: nextPath('parquet') })
    const fresh = await generateToFile(run, { pool: single, path: nextPath('parquet') })
    expect(afterCheck.sha256).toBe(fresh.sha256)
  })

  it('a faker method that changes its arguments in place changes neither later rows nor later runs', async () => {
    const schema = schemaOf({ columns: [{ name: 'deck', kind: 'faker', method: 'helpers.shuffle', args: [['a', 'b', 'c', 'd', 'e', 'f'], { inplace: true }] }] })
    const run = () => spec('csv', { schema, rows: 3000 })
    const first = await generateToFile(run(), { pool: single, path: nextPath('csv') })
    const again = await generateToFile(run(), { pool: single, path: nextPath('csv') })
    const rechunked = await generateToFile(run(), { pool: triple, path: nextPath('csv'), chunkRows: 777 })
    expect(again.sha256).toBe(first.sha256)
    expect(rechunked.sha256).toBe(first.sha256)
  })

  it('samples for the evaluator exactly the rows of lowest priority, in row order, for any chunking', async () => {
    const [lo, hi] = seedWords(7)
    const byPriority = Array.from({ length: 5_003 }, (_, row) => row).sort((a, b) => rowHash(lo, hi, a, SAMPLE_SALT) - rowHash(lo, hi, b, SAMPLE_SALT) || a - b)
    const expected = byPriority.slice(0, 500).sort((a, b) => a - b)
    for (const chunkRows of [20_000, 1, 333]) {
      const summary = await generateToFile(spec('csv'), { pool: triple, path: nextPath('csv'), chunkRows })
      // The first column is a sequence 10 + 5 × row.
      expect(summary.sample.map(cells => ((cells[0] as number) - 10) / 5)).toEqual(expected)
    }
  })

  it('bounds the preview in characters, keeps long texts out of the sample and hidden columns the evaluator does not read', async () => {
    // A hidden 200-character pattern, read 100 times by a hidden template, read 4 times by a visible
    // one: cells of 80,000 characters.
    const wide = schemaOf({ columns: [
      { name: 'id', kind: 'sequence' },
      { name: 'block', kind: 'pattern', pattern: '?'.repeat(200), hidden: true },
      { name: 'text', kind: 'template', template: '{{part}}'.repeat(4) },
      { name: 'part', kind: 'template', template: '{{block}}'.repeat(100), hidden: true },
      { name: 'x', kind: 'float', min: 0, max: 1, hidden: true },
      { name: 'y', kind: 'float', min: 0, max: 1 },
    ], correlations: [{ columns: ['x', 'y'], matrix: [[1, 0.5], [0.5, 1]] }] })
    for (const chunkRows of [20_000, 7]) {
      const summary = await generateToFile({ ...spec('csv'), schema: wide, rows: 200, sampleSize: 200, previewRows: 100 }, { pool: triple, path: nextPath('csv'), chunkRows })
      // As many whole rows as fit, each of 80,000 characters and 3 cells of 8.
      expect(summary.preview.length).toBe(Math.floor(PREVIEW_MAX_CHARS / (80_000 + 3 * 8)))
      expect(summary.preview[0]![1]).toHaveLength(80_000)
      expect(summary.sample).toHaveLength(200)
      for (const cells of summary.sample) {
        expect(cells[1]).toBeNull() // hidden and read by nobody but the template
        expect(cells[3]).toBeNull() // hidden, read only by the template
        expect(typeof cells[4]).toBe('number') // hidden, but in a correlation group
        expect((cells[2] as string).length).toBeLessThanOrEqual(SAMPLE_TEXT_CHARS)
      }
      // Stand-ins are as distinct as the texts.
      expect(new Set(summary.sample.map(cells => cells[2])).size).toBe(200)
    }
  })

  it('makes chunks, gzip members and Parquet row groups of wide rows smaller, with the same bytes for any chunking', async () => {
    // Rows of 3,000 characters in one text column and one sequence: two cells of 8 besides.
    const wide = schemaOf({ columns: [
      { name: 'id', kind: 'sequence' },
      { name: 'block', kind: 'pattern', pattern: '@'.repeat(100), hidden: true },
      { name: 'text', kind: 'template', template: '{{block}}'.repeat(30) },
    ] })
    const rowsPerChunk = Math.floor(CHUNK_TARGET_CHARS / (2 * (3000 + 2 * 8)))
    const path = nextPath('parquet')
    const run = { ...spec('parquet'), schema: wide, rows: 2 * rowsPerChunk + 10, sampleSize: 10 }
    await generateToFile(run, { pool: triple, path })
    const groups = parquetMetadata(readFileSync(path).buffer).row_groups.map(g => Number(g.num_rows))
    expect(groups).toEqual([rowsPerChunk, rowsPerChunk, 10])
    for (const gzip of [false, true]) {
      const csv = { ...run, format: 'csv' as const }
      const [a, b] = await Promise.all([
        generateToFile(csv, { pool: single, path: nextPath('csv'), gzip }),
        generateToFile(csv, { pool: triple, path: nextPath('csv'), chunkRows: 999, gzip }),
      ])
      expect(b.sha256).toBe(a.sha256)
    }
  })

  it('keeps, under a character budget, the same sampled rows whatever the chunking', () => {
    const rng = new RowRandom(3)
    const rows: SampledRow[] = Array.from({ length: 2000 }, (_, row) => {
      rng.setRow(row)
      return { row, priority: rng.next(), cells: [], chars: 1 + Math.floor(rng.next() * 1000) }
    })
    const whole = keepLowest(rows, 300, 50_000)
    expect(whole.reduce((sum, s) => sum + s.chars, 0)).toBeLessThanOrEqual(50_000)
    expect(whole.length).toBeLessThan(300) // the budget, not the count, decided
    for (const parts of [7, 13, 250]) {
      let merged: SampledRow[] = []
      for (let start = 0; start < rows.length; start += parts) merged = keepLowest([...merged, ...keepLowest(rows.slice(start, start + parts), 300, 50_000)], 300, 50_000)
      expect(merged).toEqual(whole)
    }
  })

  it('stops at once when aborted while a chunk is still running: the chunk\'s worker is terminated', async () => {
    const stalling = new WorkerPool({ size: 1, workerFile: new URL('../../../support/stalling-worker.mjs', import.meta.url) })
    pools.push(stalling)
    const controller = new AbortController()
    const stuck = schemaOf({ columns: [{ name: 'stall', kind: 'uuid' }] })
    const run = generateToFile({ ...spec('csv'), schema: stuck }, { pool: stalling, path: nextPath('csv'), signal: controller.signal })
    controller.abort(new Error('canceled by the test'))
    await expect(run).rejects.toThrow('canceled by the test')
    // The worker was replaced and answers.
    expect(await stalling.check(schemaOf({ columns: [{ name: 'a', kind: 'uuid' }] }), 1, 1)).toEqual([])
  })

  it('writes CSV that a real parser reads back, quoting commas, quotes and newlines', async () => {
    const path = nextPath('csv')
    const summary = await generateToFile(spec('csv'), { pool: triple, path, chunkRows: 1000 })
    const text = readFileSync(path, 'utf8')
    const records: string[][] = parse(text)
    expect(records[0]).toEqual(everyKind.columns.map(c => c.name))
    expect(records).toHaveLength(5_003 + 1)
    const labels = new Set(records.slice(1).map(r => r[6]))
    expect(labels).toEqual(new Set(['plain', 'comma, inside', 'say "hi"\nnew line', '']))
    expect(records.slice(1).map(r => Number(r[0]))).toEqual(Array.from({ length: 5_003 }, (_, i) => 10 + 5 * i))
    // The preview holds the same first rows as the file.
    expect(summary.preview).toHaveLength(10)
    expect(records[1]![1]).toBe(summary.preview[0]![1])
    expect(records.slice(1).filter(r => r[8] === '').length / 5_003).toBeGreaterThan(0.2)
  })

  it('writes JSON and NDJSON that parse back to the same rows', async () => {
    const jsonPath = nextPath('json')
    const ndjsonPath = nextPath('ndjson')
    await generateToFile(spec('json'), { pool: triple, path: jsonPath, chunkRows: 999 })
    await generateToFile(spec('ndjson'), { pool: triple, path: ndjsonPath, chunkRows: 999 })
    const array = JSON.parse(readFileSync(jsonPath, 'utf8')) as Record<string, unknown>[]
    const lines = readFileSync(ndjsonPath, 'utf8').trimEnd().split('\n').map(line => JSON.parse(line) as Record<string, unknown>)
    expect(array).toHaveLength(5_003)
    expect(lines).toEqual(array)
    expect(Object.keys(array[0]!)).toEqual(everyKind.columns.map(c => c.name))
    expect(array.some(r => r.note === null)).toBe(true)
    expect(typeof array[0]!.active).toBe('boolean')
  })

  it('gzip files decompress to exactly the uncompressed file', async () => {
    for (const format of ['csv', 'ndjson', 'parquet'] as const) {
      const plain = nextPath(format)
      const zipped = nextPath(format)
      await generateToFile(spec(format), { pool: triple, path: plain, chunkRows: 1500 })
      const summary = await generateToFile(spec(format), { pool: triple, path: zipped, chunkRows: 1500, gzip: true })
      const compressed = readFileSync(zipped)
      expect(compressed.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]))
      expect(summary.bytes).toBe(compressed.byteLength)
      expect(gunzipSync(compressed)).toEqual(readFileSync(plain))
    }
  })

  it('gzips in members of fixed rows, made by the workers: one stream to readers, the same bytes for any chunking', async () => {
    const rows = 2 * GZIP_MEMBER_ROWS + 3
    for (const format of ['csv', 'json', 'sql'] as const) {
      const plain = nextPath(format)
      await generateToFile(spec(format, { rows }), { pool: triple, path: plain, chunkRows: 4096 })
      const zipped = [nextPath(format), nextPath(format)]
      const [a, b] = await Promise.all([
        generateToFile(spec(format, { rows }), { pool: triple, path: zipped[0]!, chunkRows: 777, gzip: true }),
        generateToFile(spec(format, { rows }), { pool: single, path: zipped[1]!, gzip: true }),
      ])
      expect(a.sha256).toBe(b.sha256)
      const compressed = readFileSync(zipped[0]!)
      expect(compressed).toEqual(readFileSync(zipped[1]!))
      expect(gunzipSync(compressed)).toEqual(readFileSync(plain))
      // A member per GZIP_MEMBER_ROWS rows, and one for the header and the footer where the format has
      // them (CSV's column names; JSON's brackets): each starts with the header Node's zlib writes
      // (magic, deflate, no flags, no time, unix).
      const memberHeader = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])
      let members = 0
      for (let at = compressed.indexOf(memberHeader); at >= 0; at = compressed.indexOf(memberHeader, at + 1)) members++
      expect(members).toBe(Math.ceil(rows / GZIP_MEMBER_ROWS) + { csv: 1, json: 2, sql: 0 }[format])
    }
    // Parquet: a member per row group, and the footer's offsets count the uncompressed bytes.
    const small = schemaOf({ columns: [{ name: 'n', kind: 'integer', min: 0, max: 1000 }, { name: 's', kind: 'categorical', categories: [{ value: 'a' }, { value: 'b' }] }] })
    const parquetRows = 2 * PARQUET_ROW_GROUP_ROWS + 3
    const plain = nextPath('parquet')
    const zipped = nextPath('parquet')
    await generateToFile(spec('parquet', { schema: small, rows: parquetRows }), { pool: triple, path: plain })
    await generateToFile(spec('parquet', { schema: small, rows: parquetRows }), { pool: triple, path: zipped, gzip: true })
    expect(gunzipSync(readFileSync(zipped))).toEqual(readFileSync(plain))
  })

  it('writes SQL INSERT statements that SQLite runs, batched by absolute row', async () => {
    const path = nextPath('sql')
    await generateToFile(spec('sql', { table: 'people' }), { pool: triple, path, chunkRows: 333 })
    const text = readFileSync(path, 'utf8')
    expect(text.match(/^INSERT INTO "people" /gm)).toHaveLength(Math.ceil(5_003 / 500))
    const db = new DatabaseSync(':memory:')
    db.exec(`CREATE TABLE people (${everyKind.columns.map(c => `"${c.name}"`).join(', ')})`)
    db.exec(text)
    const rows = db.prepare('SELECT * FROM people ORDER BY id').all() as Record<string, unknown>[]
    expect(rows).toHaveLength(5_003)
    expect(new Set(rows.map(r => r.label))).toEqual(new Set(['plain', 'comma, inside', 'say "hi"\nnew line', '']))
    expect(rows.some(r => r.note === null)).toBe(true)
    expect(rows[0]!.id).toBe(10)
  })

  it('writes Parquet with typed columns that hyparquet reads back', async () => {
    const path = nextPath('parquet')
    const csvPath = nextPath('csv')
    await generateToFile(spec('parquet', { rows: 250_001 }), { pool: triple, path })
    await generateToFile(spec('csv', { rows: 250_001 }), { pool: triple, path: csvPath })
    const buffer = readFileSync(path)
    const file = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength)
    const metadata = parquetMetadata(file)
    expect(Number(metadata.num_rows)).toBe(250_001)
    // Row groups are a fixed number of rows, whatever the chunking.
    const full = Math.floor(250_001 / PARQUET_ROW_GROUP_ROWS)
    expect(metadata.row_groups.map(g => Number(g.num_rows))).toEqual([...Array.from({ length: full }, () => PARQUET_ROW_GROUP_ROWS), 250_001 - full * PARQUET_ROW_GROUP_ROWS])
    const leaves = metadata.schema.slice(1)
    expect(leaves.map(l => [l.name, l.type])).toEqual([
      ['id', 'INT64'], ['uid', 'BYTE_ARRAY'], ['first_name', 'BYTE_ARRAY'], ['age', 'INT64'], ['score', 'DOUBLE'],
      ['active', 'BOOLEAN'], ['label', 'BYTE_ARRAY'], ['seen_at', 'INT64'], ['note', 'BYTE_ARRAY'],
    ])
    const rows = await parquetReadObjects({ file, rowStart: 99_998, rowEnd: 100_002, compressors })
    const csv: string[][] = parse(readFileSync(csvPath, 'utf8'))
    rows.forEach((row, k) => {
      const line = csv[1 + 99_998 + k]!
      expect(Number(row.id)).toBe(Number(line[0]))
      expect(row.uid).toBe(line[1])
      expect(row.score).toBe(Number(line[4]))
      expect(String(row.active)).toBe(line[5])
      expect((row.seen_at as Date).toISOString()).toBe(line[7])
      expect(row.note ?? '').toBe(line[8])
    })
  })

  it('neutralises spreadsheet formulas in CSV on request, leaving numbers alone', async () => {
    const schema = schemaOf({ columns: [
      { name: 'text', kind: 'categorical', categories: [{ value: '=HYPERLINK("http://x")' }, { value: '+1+2' }, { value: '@SUM(A1)' }, { value: '-12.5' }, { value: 'safe' }] },
      { name: 'n', kind: 'integer', min: -5, max: -1 },
    ] })
    const path = nextPath('csv')
    await generateToFile({ ...spec('csv'), schema, rows: 500, escapeFormulas: true }, { pool: single, path })
    const records: string[][] = parse(readFileSync(path, 'utf8'))
    const texts = new Set(records.slice(1).map(r => r[0]))
    expect(texts).toEqual(new Set(['\'=HYPERLINK("http://x")', '\'+1+2', '\'@SUM(A1)', '-12.5', 'safe']))
    for (const r of records.slice(1)) expect(Number(r[1])).toBeLessThan(0)
    const plain = nextPath('csv')
    await generateToFile({ ...spec('csv'), schema, rows: 500 }, { pool: single, path: plain })
    expect(readFileSync(plain, 'utf8')).toContain('"=HYPERLINK(""http://x"")"')
  })

  it('leaves no file and no temporary file when aborted', async () => {
    const abortDir = mkdtempSync(join(tmpdir(), 'sdaas-abort-'))
    const controller = new AbortController()
    const run = generateToFile(spec('csv', { rows: 2_000_000 }), {
      pool: triple, path: join(abortDir, 'big.csv'), chunkRows: 1000, signal: controller.signal,
      onProgress: rows => { if (rows >= 5000) controller.abort(new Error('stop')) },
    })
    await expect(run).rejects.toThrow('stop')
    expect(readdirSync(abortDir)).toEqual([])
  })

  it('leaves no temporary file when aborted before the file is even open', async () => {
    // The temporary file is opened while the run starts; removing it must wait for that open (and
    // the close that follows), or the file appears after its removal.
    const abortDir = mkdtempSync(join(tmpdir(), 'sdaas-abort-early-'))
    for (let i = 0; i < 150; i++) {
      const controller = new AbortController()
      controller.abort(new Error('stop'))
      const run = generateToFile(spec('csv'), { pool: triple, path: join(abortDir, `x${i}.csv`), signal: controller.signal, gzip: i % 2 === 0 })
      await expect(run).rejects.toThrow('stop')
    }
    // Anything still on its way to the disk has arrived.
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(readdirSync(abortDir)).toEqual([])
  })

  it('fails the run, cleanly, when a chunk cannot be generated', async () => {
    const failDir = mkdtempSync(join(tmpdir(), 'sdaas-fail-'))
    // Valid at compile time, fails while generating: faker rejects these arguments.
    const broken: GenerationSpec = { ...spec('csv'), schema: schemaOf({ columns: [{ name: 'x', kind: 'faker', method: 'number.int', args: [{ min: 10, max: 1 }] }] }) }
    await expect(generateToFile(broken, { pool: single, path: join(failDir, 'x.csv') })).rejects.toThrow(/Max 1 should be greater than min 10/)
    expect(readdirSync(failDir)).toEqual([])
  })
})
