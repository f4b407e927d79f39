import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { evaluateSchemaJob } from '~~/engine/report/declared'
import { generateToFile } from '~~/engine/run/generate'
import { WorkerPool } from '~~/engine/run/pool'
import { generationSchema, schemaJobMetricsSchema } from '#shared/schema'
import { fitCsv } from '~~/engine/dataset/fit'
import { profileCsv } from '~~/engine/dataset/profile'
import { schemaOf } from '../../../support/schemas'
import { vegaCsv } from '../../../support/vega'

const pool = new WorkerPool({ size: 2 })
afterAll(() => pool.close())

describe('evaluateSchemaJob', () => {
  it('writes null, not NaN or Infinity, for a statistic that is undefined, so the report passes its own schema', async () => {
    // The mean of values near the largest double overflows to Infinity.
    const schema = schemaOf({ columns: [{ name: 'huge', kind: 'float', min: 1e308, max: 1.7e308 }] })
    const summary = await generateToFile({ schema, rows: 200, format: 'csv', seed: 1, sampleSize: 200, previewRows: 0 }, {
      pool, path: join(mkdtempSync(join(tmpdir(), 'sdaas-eval-')), 'out.csv'),
    })
    const report = evaluateSchemaJob(schema, summary)
    expect(report.utility.columns.huge!.summary!.mean).toBeNull()
    expect(schemaJobMetricsSchema.safeParse(report).success).toBe(true)
  })

  it('reports declared against observed distributions, nulls, categories and duplicates', async () => {
    const schema = schemaOf({
      columns: [
        { name: 'tier', kind: 'categorical', categories: [{ value: 'gold', weight: 1 }, { value: 'silver', weight: 3 }], null_rate: 0.1 },
        { name: 'score', kind: 'float', distribution: { type: 'normal', mean: 50, sd: 5 }, decimals: 3 },
        { name: 'dice', kind: 'integer', min: 1, max: 6 },
      ],
    })
    const rows = 40_000
    const summary = await generateToFile({ schema, rows, format: 'csv', seed: 3, sampleSize: 5000, previewRows: 0 }, {
      pool, path: join(mkdtempSync(join(tmpdir(), 'sdaas-eval-')), 'out.csv'),
    })
    const report = evaluateSchemaJob(schema, summary)
    expect(report.sample_size).toBe(5000)
    expect(report.privacy_lite.sample_size).toBe(5000)
    // Only three low-cardinality columns: duplicates are expected and counted.
    expect(report.privacy_lite.duplicate_rows).toBeGreaterThan(0)
    const nullTolerance = 5 * Math.sqrt((0.1 * 0.9) / rows)
    expect(Math.abs(report.utility.columns.tier!.null_rate.observed - 0.1)).toBeLessThan(nullTolerance)
    const tier = report.categoricals.tier!
    expect(tier.declared).toEqual({ gold: 0.25, silver: 0.75 })
    expect(Math.abs(tier.observed.gold! - 0.25)).toBeLessThan(5 * Math.sqrt((0.25 * 0.75) / (rows * 0.9)))
    expect(tier.chi_square.p_value).toBeGreaterThan(0.001)
    for (const name of ['score', 'dice']) {
      const column = report.utility.columns[name]!
      expect(column.ks!.sample_size).toBe(5000)
      expect(column.ks!.p_value, name).toBeGreaterThan(0.001)
      expect(column.histogram!.observed.reduce((a, b) => a + b, 0)).toBe(5000)
      expect(column.histogram!.expected.reduce<number>((a, b) => a + b!, 0)).toBeCloseTo(5000, 6)
    }
    expect(Math.abs(report.utility.columns.score!.summary!.mean! - 50)).toBeLessThan(5 * 5 / Math.sqrt(5000))
    expect(report.utility.ks_complement).toBeGreaterThan(1 - 1.95 / Math.sqrt(5000))
  })
})

describe('the correlations of the report', () => {
  it('reports the correlations of fitted models: dates read back in their format, conditioned groups within their slice', async () => {
    const weather = new URL('../../../../node_modules/vega-datasets/data/seattle-weather.csv', import.meta.url).pathname
    for (const path of [weather, vegaCsv('penguins').path]) {
      const schema = generationSchema.parse(await fitCsv(path, await profileCsv(path), 1))
      const summary = await generateToFile({ schema, rows: 20_000, format: 'csv', seed: 3, sampleSize: 10_000, previewRows: 0 }, {
        pool, path: join(mkdtempSync(join(tmpdir(), 'sdaas-eval-')), 'out.csv'),
      })
      const report = evaluateSchemaJob(schema, summary)
      // What GET /metrics serves must survive JSON and its schema (NaN would not).
      expect(schemaJobMetricsSchema.safeParse(JSON.parse(JSON.stringify(report))).success).toBe(true)
      for (const group of report.correlations) {
        expect(group.sample_size).toBeGreaterThan(500)
        expect(group.achieved.flat().every(Number.isFinite)).toBe(true)
        // Two continuous columns (no ties to blur their normal scores): within a few standard errors.
        const [f, m] = [group.columns.indexOf('Flipper_Length_mm'), group.columns.indexOf('Body_Mass_g')]
        if (f >= 0) expect(Math.abs(group.achieved[f]![m]! - group.requested[f]![m]!), String(group.columns)).toBeLessThan(5 / Math.sqrt(group.sample_size) + 0.02)
      }
    }
  })
})
