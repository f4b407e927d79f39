/**
 * "Same request, same seed, same bytes" as a promise across versions: the sha-256 of every shipped
 * template in every format (and gzipped CSV) at fixed seeds, checked in (tests/reference/outputs.json),
 * as faker pins its seeded outputs. A change that alters bytes fails here; when it does so on purpose,
 * rerun with UPDATE_PINNED=1 to rewrite the table, and say so in the commit.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { templateSchema, type Format } from '#shared/schema'
import { generateToFile } from '~~/engine/run/generate'
import { WorkerPool } from '~~/engine/run/pool'

const REFERENCE = new URL('../../reference/outputs.json', import.meta.url)
const TEMPLATES = new URL('../../../templates/', import.meta.url)
const ROWS = 3000
const SEEDS = [1, 42]
const RUNS: { format: Format; gzip: boolean }[] = [
  { format: 'csv', gzip: false }, { format: 'json', gzip: false }, { format: 'ndjson', gzip: false },
  { format: 'parquet', gzip: false }, { format: 'sql', gzip: false }, { format: 'csv', gzip: true },
]

const pool = new WorkerPool({ size: 2 })
const dir = mkdtempSync(join(tmpdir(), 'sdaas-pinned-'))
afterAll(async () => {
  await pool.close()
  rmSync(dir, { recursive: true, force: true })
})

const key = (template: string, format: Format, gzip: boolean, seed: number) => `${template} ${format}${gzip ? '+gzip' : ''} seed ${seed} rows ${ROWS}`

describe('outputs pinned across versions', () => {
  it('every template × format × seed has the sha-256 the reference table holds', async () => {
    const templates = readdirSync(TEMPLATES).filter(name => name.endsWith('.json')).sort()
    const actual: Record<string, string> = {}
    for (const file of templates) {
      const template = templateSchema.parse(JSON.parse(readFileSync(new URL(file, TEMPLATES), 'utf8')))
      for (const { format, gzip } of RUNS) {
        for (const seed of SEEDS) {
          const spec = { schema: template.schema, rows: ROWS, format, seed, sampleSize: 100, previewRows: 0, table: template.name }
          const summary = await generateToFile(spec, { pool, path: join(dir, `${template.name}.${format}`), gzip })
          actual[key(template.name, format, gzip, seed)] = summary.sha256
        }
      }
    }
    if (process.env.UPDATE_PINNED === '1') writeFileSync(REFERENCE, `${JSON.stringify(actual, null, 2)}\n`)
    const expected = JSON.parse(readFileSync(REFERENCE, 'utf8')) as Record<string, string>
    expect(Object.keys(actual).length).toBe(templates.length * RUNS.length * SEEDS.length)
    expect(actual).toEqual(expected)
  })
})
