/**
 * Fuzz (c): every schema the check accepts generates a few hundred rows (in real worker threads,
 * engine/run/generate.ts) within a time bound, with every cell within the 100,000-character cap, nulls
 * only where the schema allows them, the same bytes twice for the seed (at two chunk sizes), and a
 * quality report that survives the JSON round trip GET /metrics makes. Columns whose law makes a
 * constant column all but impossible are not constant.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { generationSchema, schemaJobMetricsSchema, type GenerationSchema } from '#shared/schema'
import type { GenerationSpec } from '~~/engine/run/chunk'
import { MAX_CELL_CHARS } from '~~/engine/schema/columns'
import { evaluateSchemaJob } from '~~/engine/report/declared'
import { generateToFile } from '~~/engine/run/generate'
import { adversarialSchemaArb, lawsSchemaArb, mayBeNull, schemaArb, type SchemaInput } from '../../support/arbitraries'
import { BoundedPool } from '../../support/bounded-pool'

/** Bounds on hanging, not speed targets: 300 rows take milliseconds (the check's bound: see check.test.ts). */
const CHECK_BOUND_MS = 10_000
const GENERATE_BOUND_MS = 20_000
const ROWS = 300

const dir = mkdtempSync(join(tmpdir(), 'sdaas-fuzz-generate-'))
const pool = new BoundedPool(1)
afterAll(async () => {
  await pool.close()
  rmSync(dir, { recursive: true, force: true })
})
let files = 0

/** Generates `spec` into a new file within the bound; returns the summary and the file's rows. */
async function generate(spec: GenerationSpec, chunkRows: number) {
  const path = join(dir, `out-${files++}.ndjson`)
  const summary = await pool.run(GENERATE_BOUND_MS, 'generating', (p, signal) => generateToFile(spec, { pool: p, path, chunkRows, signal }))
  const rows = readFileSync(path, 'utf8').split('\n').filter(Boolean).map(line => JSON.parse(line) as Record<string, unknown>)
  rmSync(path)
  return { summary, rows }
}

/** Non-hidden columns that are all but sure to vary over ROWS rows unless their law is broken. */
function mustVary(column: GenerationSchema['columns'][number]): boolean {
  if (column.hidden || column.null_rate > 0 || column.unique) return false
  if (column.kind === 'integer' && column.min === undefined && column.max === undefined) {
    const d = column.distribution
    // Variance ≥ 1: the likeliest value has probability under 0.5, so ROWS equal draws have odds below 2^-300.
    if (d.type === 'poisson') return d.lambda >= 1
    if (d.type === 'binomial') return d.n * d.p * (1 - d.p) >= 1
  }
  if (column.kind === 'categorical' && column.categories.length >= 2) {
    const weights = column.categories.map(c => c.weight)
    return Math.min(...weights) === Math.max(...weights)
  }
  return false
}

async function generatesWell(input: SchemaInput, seed: number) {
  const parsed = generationSchema.safeParse(input)
  if (!parsed.success) return
  const schema = parsed.data
  const issues = await pool.run(CHECK_BOUND_MS, 'the check', p => p.check(schema, ROWS, seed, 'ndjson'))
  if (issues.length) return
  const spec: GenerationSpec = { schema, rows: ROWS, format: 'ndjson', seed, sampleSize: 100, previewRows: 10 }
  const first = await generate(spec, 1000)
  const second = await generate(spec, 37)
  expect(second.summary.sha256, 'the same bytes for the same seed, whatever the chunking').toBe(first.summary.sha256)
  expect(first.rows).toHaveLength(ROWS)
  for (const column of schema.columns.filter(c => !c.hidden)) {
    const values = first.rows.map(row => row[column.name])
    for (const value of values) {
      if (typeof value === 'string') expect(value.length, `a cell of ${column.name}`).toBeLessThanOrEqual(MAX_CELL_CHARS)
      if (value === null) expect(column.null_rate > 0 || mayBeNull(column), `a null in ${column.name} (${column.kind}, null_rate 0)`).toBe(true)
    }
    if (mustVary(column)) expect(new Set(values.map(v => JSON.stringify(v))).size, `${column.name} is constant`).toBeGreaterThan(1)
  }
  const report = evaluateSchemaJob(schema, first.summary)
  const stored = schemaJobMetricsSchema.safeParse(JSON.parse(JSON.stringify(report)))
  expect(stored.success, `the report as GET /metrics reads it back: ${stored.error?.issues.slice(0, 3).map(i => `${i.path.join('.')}: ${i.message}`).join('; ')}`).toBe(true)
}

describe('fuzz: accepted schemas generate bounded, allowed, reproducible rows', () => {
  it('generated schemas of every kind', async () => {
    await fc.assert(fc.asyncProperty(schemaArb(5), fc.nat(), generatesWell), { seed: 18_021, numRuns: 80, endOnFailure: true })
  })

  it('laws that can go wrong silently (poisson, binomial, huge weights, lognormal and gamma)', async () => {
    await fc.assert(fc.asyncProperty(lawsSchemaArb, fc.nat(), generatesWell), { seed: 18_022, numRuns: 60, endOnFailure: true })
  })

  it('adversarial sizes (template chains, many columns, long patterns)', async () => {
    await fc.assert(fc.asyncProperty(adversarialSchemaArb, fc.nat(), generatesWell), { seed: 18_023, numRuns: 20, endOnFailure: true })
  })
})
