import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'csv-stringify/sync'
import { describe, expect, it } from 'vitest'
import { datasetSchema, type CellValue } from '#shared/schema'
import { compileSchema } from '~~/engine/columns'
import { fitCsv } from '~~/engine/fit'
import { profileCsv } from '~~/engine/profile'
import { boundaryAdherence, categoryAdherence, dcrBaselineProtection, fittedQuality, newRowSynthesis, qualityReport, type QualityColumn } from '~~/engine/quality'
import { RowRandom, rowHash, seedWords } from '~~/engine/random'
import { tempDataDir } from '../support/data-dir'
import { generateColumns, schemaOf } from '../support/schemas'
import { vegaCsv } from '../support/vega'

/** Fits a vega dataset, generates as many rows as it has, and scores them against it. */
async function score(name: 'cars' | 'penguins', seed = 1) {
  const source = vegaCsv(name)
  const profile = await profileCsv(source.path)
  const schema = datasetSchema.parse(await fitCsv(source.path, profile, seed))
  const n = profile.rows
  const compiled = compileSchema(schema, { rows: n, seed })
  const rng = new RowRandom(seed)
  const sample = Array.from({ length: n }, (_, row) => {
    const cells = new Array<CellValue>(schema.columns.length)
    compiled.fillRow(rng, row, cells)
    return cells
  })
  return fittedQuality(source.path, profile, sample)
}

const profileRows = { cars: 406, penguins: 344 }

describe('quality of look-alike rows (SDMetrics QualityReport formulas)', () => {
  it('scores the classic cases: identical data 1, shuffled columns keep shapes but lose pairs', () => {
    const x = Array.from({ length: 200 }, (_, i) => i)
    const y = x.map(v => v * 2 + (v % 7))
    const label = x.map(v => (v < 100 ? 'low' : 'high'))
    const same = qualityReport([
      { name: 'x', kind: 'numerical', real: x, synthetic: x },
      { name: 'y', kind: 'numerical', real: y, synthetic: y },
      { name: 'label', kind: 'categorical', real: label, synthetic: label },
    ])
    expect(same.quality_score).toBeCloseTo(1, 12)
    const shuffled = [...y].reverse()
    const broken = qualityReport([
      { name: 'x', kind: 'numerical', real: x, synthetic: x },
      { name: 'y', kind: 'numerical', real: y, synthetic: shuffled },
    ])
    expect(broken.column_shapes).toBeCloseTo(1, 12)
    expect(broken.pairs['x|y']!.score).toBeLessThan(0.05)
  })

  it('BoundaryAdherence drops missing values and falls by exactly the share out of the real range', () => {
    const real = Array.from({ length: 100 }, (_, i) => i)
    const synthetic: (number | null)[] = Array.from({ length: 200 }, (_, i) => (i < 30 ? 100 + i : i % 100))
    synthetic.push(null, null, null)
    const report = qualityReport([{ name: 'x', kind: 'numerical', real, synthetic }])
    expect(report.adherence!.x).toEqual({ metric: 'BoundaryAdherence', score: 170 / 200 })
    expect(boundaryAdherence(real, [-0.001, 0, 99, 99.001])).toBe(0.5)
  })

  it('CategoryAdherence counts unseen labels against, and missing values for only when the real column has some', () => {
    const real = ['a', 'b', 'c', 'a']
    const synthetic = [...Array(85).fill('a'), ...Array(10).fill('d'), ...Array(5).fill(null)] as (string | null)[]
    expect(categoryAdherence(real, synthetic)).toBeCloseTo(0.85, 12)
    expect(categoryAdherence([...real, null], synthetic)).toBeCloseTo(0.9, 12)
    const report = qualityReport([{ name: 'c', kind: 'categorical', real, synthetic }])
    expect(report.adherence!.c).toEqual({ metric: 'CategoryAdherence', score: categoryAdherence(real, synthetic) })
  })

  /** Continuous real rows (three correlated numbers, one on its own, and a category), n of them. */
  const realTable = (n: number, seed = 3): QualityColumn[] => {
    const rng = new RowRandom(seed)
    rng.setRow(0)
    const x = Array.from({ length: n }, () => rng.next() * 100)
    const y = x.map(v => v * 3 + rng.next() * 20)
    const z = x.map(v => 50 - v / 2 + rng.next() * 10)
    const w = x.map(() => 1 + rng.next() * 9)
    const c = x.map(v => (v < 50 ? 'low' : 'high'))
    return [
      { name: 'x', kind: 'numerical', real: x, synthetic: [] },
      { name: 'y', kind: 'numerical', real: y, synthetic: [] },
      { name: 'z', kind: 'numerical', real: z, synthetic: [] },
      { name: 'w', kind: 'numerical', real: w, synthetic: [] },
      { name: 'c', kind: 'categorical', real: c, synthetic: [] },
    ]
  }
  /** A column's values rotated by `k` places (a shuffle that keeps the column's shape and breaks its links). */
  const rotate = <T>(values: T[], k: number) => [...values.slice(k), ...values.slice(0, k)]
  const withSynthetic = (table: QualityColumn[], columns: QualityColumn['synthetic'][]) => table.map((c, i) => ({ ...c, synthetic: columns[i]! }))

  it('privacy: copies of real rows are no new rows and sit at distance 0; independently shuffled columns are new and far', () => {
    const table = realTable(2000)
    const copied = withSynthetic(table, table.map(c => c.real))
    expect(newRowSynthesis(copied)).toMatchObject({ score: 0, num_new_rows: 0, num_matched_rows: 2000, synthetic_rows: 2000, real_rows: 2000 })
    const dcrCopied = dcrBaselineProtection(copied)
    expect(dcrCopied.median_dcr_synthetic).toBe(0)
    expect(dcrCopied.score).toBe(0)
    expect(dcrCopied.median_dcr_random).toBeGreaterThan(0.02)

    // Each column shuffled on its own (the links between columns are lost): new rows, as far from the
    // real ones as random rows are.
    const shuffled = withSynthetic(table, table.map((c, k) => rotate(c.real, 397 * k)))
    expect(newRowSynthesis(shuffled).score).toBeGreaterThan(0.99)
    expect(dcrBaselineProtection(shuffled).score).toBeGreaterThan(0.9)

    // 600 rows copied, the rest shuffled: at least those 600 match, few others do.
    const partly = withSynthetic(table, table.map((c, k) => [...c.real.slice(0, 600), ...shuffled[k]!.synthetic.slice(600)]))
    const nrs = newRowSynthesis(partly)
    expect(nrs.num_matched_rows).toBeGreaterThanOrEqual(600)
    expect(nrs.num_matched_rows).toBeLessThan(600 + 0.01 * 1400)
  })

  it('NewRowSynthesis matches numbers within 1% of the synthetic value, categories exactly, missing only with missing', () => {
    const real: QualityColumn[] = [
      { name: 'x', kind: 'numerical', real: [100, 200, null], synthetic: [] },
      { name: 'c', kind: 'categorical', real: ['a', 'b', 'a'], synthetic: [] },
    ]
    const rows = (xs: (number | null)[], cs: string[]) => withSynthetic(real, [xs, cs])
    expect(newRowSynthesis(rows([100.9, 198.1, null], ['a', 'b', 'a'])).num_matched_rows).toBe(3)
    expect(newRowSynthesis(rows([101.2, 197.9, 5], ['a', 'b', 'a'])).num_matched_rows).toBe(0)
    expect(newRowSynthesis(rows([100, 200, null], ['b', 'a', 'b'])).num_matched_rows).toBe(0)
  })

  // The targets: cars ≥ 0.85 and penguins ≥ 0.90 (SDV's GaussianCopula: 0.742 and 0.827;
  // each column shuffled on its own: 0.765 and 0.831; the real rows resampled: 0.895 and 0.953).
  // NewRowSynthesis: ≥ 0.99 on cars; penguins' measurements sit on a 0.1 mm / 1 mm / 25 g grid, where
  // SDMetrics' 1% tolerance matches 1–2% of real rows held out of the fit too (see the holdout test).
  for (const [name, bar, newRows] of [['cars', 0.85, 0.99], ['penguins', 0.90, 0.97]] as const) {
    it(`${name}: quality at least ${bar}, above SDV GaussianCopula and shuffled columns; new rows, within bounds`, async () => {
      const report = await score(name)
      const { new_row_synthesis: nrs, dcr_baseline_protection: dcr } = report.privacy!
      console.info(name, JSON.stringify({ quality: report.quality_score, shapes: report.column_shapes, pairs: report.column_pair_trends, all_pairs: report.column_pair_trends_all_pairs, new_rows: nrs.score, dcr: dcr.score }))
      expect(report.quality_score).toBeGreaterThanOrEqual(bar)
      expect(nrs.score).toBeGreaterThanOrEqual(newRows)
      expect(nrs.synthetic_rows).toBe(profileRows[name])
      expect(dcr.score).toBeGreaterThan(0)
      for (const [column, { score }] of Object.entries(report.adherence!)) expect(score, column).toBe(1)
    })
  }

  it('continuous columns: look-alike rows are new rows (NewRowSynthesis ≥ 0.99), also when a category drives them', async () => {
    const real = schemaOf({
      columns: [
        { name: 'group', kind: 'categorical', categories: [{ value: 'a', weight: 3 }, { value: 'b', weight: 2 }, { value: 'c', weight: 1 }] },
        { name: 'x', kind: 'conditional', on: 'group', cases: [
          { when: 'a', then: { kind: 'float', distribution: { type: 'normal', mean: 10, sd: 2 }, decimals: 3 } },
          { when: 'b', then: { kind: 'float', distribution: { type: 'normal', mean: 20, sd: 3 }, decimals: 3 } },
        ], default: { kind: 'float', distribution: { type: 'normal', mean: 30, sd: 1 }, decimals: 3 } },
        { name: 'y', kind: 'float', distribution: { type: 'lognormal', mu: 3, sigma: 0.4 }, decimals: 2 },
        { name: 'z', kind: 'float', min: 0, max: 100, decimals: 2 },
      ],
      correlations: [{ columns: ['x', 'y', 'z'], matrix: [[1, 0.7, 0.3], [0.7, 1, 0.2], [0.3, 0.2, 1]] }],
    })
    const n = 1500
    const source = generateColumns(real, n, 11)
    const path = join(tempDataDir('sdaas-continuous-'), 'real.csv')
    writeFileSync(path, stringify([['group', 'x', 'y', 'z'], ...Array.from({ length: n }, (_, i) => ['group', 'x', 'y', 'z'].map(c => source.column(c)[i]))]))
    const profile = await profileCsv(path)
    const schema = datasetSchema.parse(await fitCsv(path, profile, 1))
    expect(schema.correlations![0]!.on).toBe('group')
    const generated = generateColumns(schema, n, 1)
    const report = await fittedQuality(path, profile, Array.from({ length: n }, (_, i) => schema.columns.map(c => generated.column(c.name)[i]!)), 1)
    expect(report.privacy!.new_row_synthesis.score).toBeGreaterThanOrEqual(0.99)
    expect(report.quality_score).toBeGreaterThan(0.9)
  })

  it('privacy against a holdout: fitted on half the rows, look-alike rows are no nearer to that half than the other half of the real rows is', async () => {
    const dir = tempDataDir('sdaas-holdout-')
    for (const name of ['cars', 'penguins'] as const) {
      const source = vegaCsv(name)
      const header = Object.keys(source.rows[0]!)
      const [lo, hi] = seedWords(1)
      const half = (keep: boolean) => source.rows.filter((_, i) => (rowHash(lo, hi, i, 7) < 0.5) === keep)
      const path = join(dir, `${name}-train.csv`)
      writeFileSync(path, stringify([header, ...half(true).map(r => header.map(h => r[h] ?? ''))]))
      const profile = await profileCsv(path)
      const schema = datasetSchema.parse(await fitCsv(path, profile, 1))
      const generated = generateColumns(schema, 2000, 1)
      const sample = Array.from({ length: 2000 }, (_, i) => schema.columns.map(c => generated.column(c.name)[i]!))
      const model = (await fittedQuality(path, profile, sample, 1)).privacy!
      const heldOut = half(false)
      const holdout = (await fittedQuality(path, profile, heldOut.map(r => header.map(h => (r[h] ?? null) as CellValue)), 1)).privacy!
      console.info(name, 'model', JSON.stringify(model), 'holdout', JSON.stringify(holdout))
      // Three standard errors of the holdout's share (at least 2% matched) over its rows.
      expect(model.new_row_synthesis.score, name).toBeGreaterThanOrEqual(holdout.new_row_synthesis.score - 3 * Math.sqrt((0.02 * 0.98) / heldOut.length))
      expect(model.dcr_baseline_protection.median_dcr_synthetic, name).toBeGreaterThan(0.8 * holdout.dcr_baseline_protection.median_dcr_synthetic)
    }
  })
})
