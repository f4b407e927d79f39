import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Format } from '#shared/schema'
import type { GenerationSpec } from '~~/engine/chunk'
import { evaluateSchemaJob } from '~~/engine/evaluate'
import { generateToFile } from '~~/engine/generate'
import { WorkerPool } from '~~/engine/pool'
import { everyKind } from '../support/schemas'

const dir = mkdtempSync(join(tmpdir(), 'sdaas-generate-'))
const pools: WorkerPool[] = []
let single: WorkerPool
let triple: WorkerPool

beforeAll(() => {
  single = new WorkerPool({ size: 1 })
  triple = new WorkerPool({ size: 3 })
  pools.push(single, triple)
})
afterAll(() => Promise.all(pools.map(p => p.close())))

const spec = (format: Format, overrides: Partial<GenerationSpec> = {}): GenerationSpec => ({
  schema: everyKind, rows: 5_003, format, seed: 7, sampleSize: 500, previewRows: 10, ...overrides,
})

let fileCount = 0
const nextPath = (format: Format) => join(dir, `out-${fileCount++}.${format}`)

describe('generateToFile', () => {
  for (const format of ['csv', 'json', 'ndjson'] as const) {
    it(`${format}: same bytes for any worker count and chunk size; another seed differs`, async () => {
      const runs = await Promise.all([
        generateToFile(spec(format), { pool: single, path: nextPath(format), chunkRows: 20_000 }),
        generateToFile(spec(format), { pool: triple, path: nextPath(format), chunkRows: 777 }),
        generateToFile(spec(format), { pool: triple, path: nextPath(format), chunkRows: 1 + 4096 }),
      ])
      const [first, ...others] = runs
      for (const other of others) {
        expect(other.sha256).toBe(first!.sha256)
        expect(other.bytes).toBe(first!.bytes)
        // The evaluator's sample is the same rows too, so the report does not depend on chunking.
        expect(evaluateSchemaJob(everyKind, other)).toEqual(evaluateSchemaJob(everyKind, first!))
      }
      const reseeded = await generateToFile(spec(format, { seed: 8 }), { pool: triple, path: nextPath(format) })
      expect(reseeded.sha256).not.toBe(first!.sha256)
    })
  }

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

  it('fails the run, cleanly, when a chunk cannot be generated', async () => {
    const failDir = mkdtempSync(join(tmpdir(), 'sdaas-fail-'))
    const broken: GenerationSpec = { ...spec('csv'), schema: { locale: 'en', columns: [{ name: 'x', kind: 'faker', method: 'person.nope', null_rate: 0 }] } }
    await expect(generateToFile(broken, { pool: single, path: join(failDir, 'x.csv') })).rejects.toThrow(/not a faker method/)
    expect(readdirSync(failDir)).toEqual([])
  })
})
