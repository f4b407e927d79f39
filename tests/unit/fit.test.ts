import { describe, expect, it } from 'vitest'
import { datasetSchema, type DatasetSchema } from '#shared/schema'
import { ksTest, normalScores, pearson } from '~~/engine/evaluate'
import { columnNames, fitCsv, parseDateLike } from '~~/engine/fit'
import { profileCsv } from '~~/engine/profile'
import { generateColumns } from '../support/schemas'
import { vegaCsv } from '../support/vega'

async function fitted(name: 'cars' | 'penguins') {
  const source = vegaCsv(name)
  const profile = await profileCsv(source.path)
  const schema = datasetSchema.parse(await fitCsv(source.path, profile, 1))
  return { source, profile, schema }
}

const generate = (schema: DatasetSchema, n: number, seed = 5) => generateColumns(schema, n, seed).column

/** Two-sample KS critical value at alpha = 0.001: a tolerance from both sample sizes. */
const ks2 = (n: number, m: number) => 1.949 * Math.sqrt((n + m) / (n * m))

describe('fitting a Gaussian copula to a real sample', () => {
  it('keeps each numeric column\'s distribution (two-sample KS) and each category\'s frequency', async () => {
    const { source, schema } = await fitted('penguins')
    const n = 5000
    const column = generate(schema, n)
    const real = (key: string) => source.rows.map(r => r[key]).filter((v): v is number => typeof v === 'number')
    for (const [key, name] of [['Beak Length (mm)', 'Beak_Length_mm'], ['Flipper Length (mm)', 'Flipper_Length_mm'], ['Body Mass (g)', 'Body_Mass_g']] as const) {
      const original = real(key)
      const synthetic = (column(name).filter(v => v !== null) as number[])
      const realCdf = (x: number) => original.filter(v => v <= x).length / original.length
      expect(ksTest(synthetic, realCdf).statistic, name).toBeLessThan(ks2(original.length, synthetic.length))
    }
    const species = column('Species')
    const realShare = source.rows.filter(r => r.Species === 'Adelie').length / source.rows.length
    const synthShare = species.filter(v => v === 'Adelie').length / n
    expect(Math.abs(synthShare - realShare)).toBeLessThan(5 * Math.sqrt(realShare * (1 - realShare) / n) + 0.02)
  })

  it('carries the correlations of the real data', async () => {
    const { source, schema } = await fitted('cars')
    const column = generate(schema, 5000)
    const pairs = [['Weight_in_lbs', 'Miles_per_Gallon', 'Weight_in_lbs', 'Miles_per_Gallon'], ['Horsepower', 'Acceleration', 'Horsepower', 'Acceleration']] as const
    for (const [a, b, realA, realB] of pairs) {
      const realRows = source.rows.filter(r => typeof r[realA] === 'number' && typeof r[realB] === 'number')
      const realR = pearson(normalScores(realRows.map(r => r[realA] as number)), normalScores(realRows.map(r => r[realB] as number)))
      const both = column(a).map((v, i) => [v, column(b)[i]] as const).filter(([x, y]) => x !== null && y !== null) as [number, number][]
      const synthR = pearson(normalScores(both.map(p => p[0])), normalScores(both.map(p => p[1])))
      expect(Math.abs(realR)).toBeGreaterThan(0.6)
      expect(Math.abs(synthR - realR), `${a}/${b}: ${realR} vs ${synthR}`).toBeLessThan(0.1)
    }
  })

  it('re-synthesises free text and never copies it; regenerates ids; keeps null rates', async () => {
    const { source, profile, schema } = await fitted('cars')
    expect(schema.columns.find(c => c.name === 'Name')).toMatchObject({ kind: 'faker' })
    const names = new Set(source.rows.map(r => String(r.Name)))
    const column = generate(schema, 2000)
    expect(column('Name').some(v => names.has(String(v)))).toBe(false)
    const mpgNulls = profile.columns.find(c => c.name === 'Miles_per_Gallon')!.nulls / profile.rows
    expect(schema.columns.find(c => c.name === 'Miles_per_Gallon')!.null_rate).toBeCloseTo(mpgNulls, 10)
    expect(mpgNulls).toBeGreaterThan(0)
  })

  it('is deterministic for a seed, and its schema is a valid, editable schema', async () => {
    const a = await fitted('penguins')
    const b = await fitted('penguins')
    expect(a.schema).toEqual(b.schema)
    expect(datasetSchema.safeParse(JSON.parse(JSON.stringify(a.schema))).success).toBe(true)
    expect(a.schema.correlations?.[0]?.columns).toEqual(expect.arrayContaining(['Species', 'Flipper_Length_mm', 'Body_Mass_g']))
  })

  it('turns headers into column names and reads common date spellings', () => {
    expect(columnNames(['Body Mass (g)', 'Body Mass (g)', '2nd', 'Ünïcode', ''])).toEqual(['Body_Mass_g', 'Body_Mass_g_2', '_2nd', 'Unicode', 'column'])
    const day = Date.UTC(1998, 5, 12)
    for (const text of ['1998-06-12', '6/12/1998', 'Jun 12 1998', 'June 12, 1998', '12 Jun 1998']) expect(parseDateLike(text), text).toBe(day)
  })
})
