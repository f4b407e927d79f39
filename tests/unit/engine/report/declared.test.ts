import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import jStat from 'jstat'
import { afterAll, describe, expect, it } from 'vitest'
import { chiSquareTest, evaluateSchemaJob, kolmogorovSurvival, ksTest, normalScores } from '~~/engine/report/declared'
import { generateToFile } from '~~/engine/run/generate'
import { normalQuantile } from '~~/engine/schema/distributions'
import { WorkerPool } from '~~/engine/run/pool'
import { datasetSchema, schemaJobMetricsSchema } from '#shared/schema'
import { fitCsv } from '~~/engine/dataset/fit'
import { profileCsv } from '~~/engine/dataset/profile'
import { schemaOf } from '../../../support/schemas'
import { vegaCsv } from '../../../support/vega'

const pool = new WorkerPool({ size: 2 })
afterAll(() => pool.close())

describe('statistical tests', () => {
  it('kolmogorovSurvival matches the classical critical values', () => {
    expect(kolmogorovSurvival(1.3581)).toBeCloseTo(0.05, 3)
    expect(kolmogorovSurvival(1.6276)).toBeCloseTo(0.01, 3)
    expect(kolmogorovSurvival(0)).toBe(1)
  })

  it('ksTest computes D exactly on a small sample', () => {
    // Sample {0.1, 0.2, 0.9} against U(0,1): the largest gap is at 0.2, where F_n = 2/3 and F = 0.2.
    expect(ksTest([0.9, 0.1, 0.2], x => x).statistic).toBeCloseTo(2 / 3 - 0.2, 12)
  })

  it('chiSquareTest agrees with the textbook statistic and jstat', () => {
    const result = chiSquareTest([18, 22, 20, 40], [0.25, 0.25, 0.25, 0.25])
    expect(result.statistic).toBeCloseTo((49 + 9 + 25 + 225) / 25, 12)
    expect(result.df).toBe(3)
    expect(result.p_value).toBeCloseTo(1 - jStat.chisquare.cdf(result.statistic, 3), 12)
    expect(result.p_value).toBeLessThan(0.01)
  })
})

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

describe('normalScores', () => {
  it('scores each value by its average rank among the values, ties included', () => {
    const values = [5, -1, 2.5, 2.5, 0, -0, 7, 2.5, 5, 100, -3.25]
    const n = values.length
    // Its rank, 1-based, averaged over the values equal to it.
    const rank = (v: number) => values.filter(w => w < v).length + (values.filter(w => w === v).length + 1) / 2
    expect(normalScores(values)).toEqual(values.map(v => normalQuantile((rank(v) - 0.5) / n)))
  })

  it('ranks ties together and never stalls on NaN', () => {
    const scores = normalScores([3, 1, 2, 2, Number.NaN])
    expect(scores).toHaveLength(5)
    expect(scores[2]).toBe(scores[3])
    expect(scores[1]!).toBeLessThan(scores[2]!)
  })
  it('reports the correlations of fitted models: dates read back in their format, conditioned groups within their slice', async () => {
    const weather = new URL('../../../../node_modules/vega-datasets/data/seattle-weather.csv', import.meta.url).pathname
    for (const path of [weather, vegaCsv('penguins').path]) {
      const schema = datasetSchema.parse(await fitCsv(path, await profileCsv(path), 1))
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
