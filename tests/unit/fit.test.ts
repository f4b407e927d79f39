import { describe, expect, it } from 'vitest'
import { datasetSchema, type DatasetSchema } from '#shared/schema'
import { ksTest, normalScores, pearson } from '~~/engine/evaluate'
import { parseDateLike } from '~~/engine/datetime'
import { columnNames, fitCsv } from '~~/engine/fit'
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
    expect(a.schema.correlations?.[0]?.columns).toEqual(expect.arrayContaining(['Flipper_Length_mm', 'Body_Mass_g']))
  })

  it('splits the rows by a category the other columns depend on: a copula and marginals per slice', async () => {
    const { source, schema } = await fitted('penguins')
    // Species decides the size of a penguin: one copula per species, the columns conditional on it.
    expect(schema.columns.find(c => c.name === 'Species')).toMatchObject({ kind: 'categorical' })
    expect(schema.columns.find(c => c.name === 'Body_Mass_g')).toMatchObject({ kind: 'conditional', on: 'Species', default: { kind: 'empirical' } })
    expect(schema.correlations!.map(g => [g.on, g.when])).toEqual([['Species', 'Adelie'], ['Species', 'Gentoo'], ['Species', 'Chinstrap']])
    const n = 6000
    const column = generate(schema, n)
    const species = column('Species')
    for (const kind of ['Adelie', 'Gentoo', 'Chinstrap']) {
      const realRows = source.rows.filter(r => r.Species === kind && typeof r['Body Mass (g)'] === 'number' && typeof r['Flipper Length (mm)'] === 'number')
      const rows = species.flatMap((s, i) => (s === kind && column('Body_Mass_g')[i] !== null && column('Flipper_Length_mm')[i] !== null ? [i] : []))
      const mass = rows.map(i => column('Body_Mass_g')[i] as number)
      const real = realRows.map(r => r['Body Mass (g)'] as number)
      const realCdf = (x: number) => real.filter(v => v <= x).length / real.length
      expect(ksTest(mass, realCdf).statistic, kind).toBeLessThan(ks2(real.length, mass.length))
      // Within a species, mass and flipper length keep their (weaker) correlation.
      const realR = pearson(normalScores(real), normalScores(realRows.map(r => r['Flipper Length (mm)'] as number)))
      const synthR = pearson(normalScores(mass), normalScores(rows.map(i => column('Flipper_Length_mm')[i] as number)))
      expect(Math.abs(synthR - realR), `${kind}: ${realR} vs ${synthR}`).toBeLessThan(0.1)
      // Gentoo live on Biscoe only.
      if (kind === 'Gentoo') expect(new Set(rows.map(i => column('Island')[i]))).toEqual(new Set(['Biscoe']))
    }
  })

  it('gives slices too small for a copula of their own the pooled correlations, and does not split unrelated columns', async () => {
    const { schema } = await fitted('cars')
    // 3 and 5 cylinders: 4 and 3 cars.
    expect(schema.correlations!.map(g => g.when)).toEqual([4, 8, 6, [3, 5]])
    const path = new URL('../../node_modules/vega-datasets/data/seattle-weather.csv', import.meta.url).pathname
    const weather = datasetSchema.parse(await fitCsv(path, await profileCsv(path), 1))
    // The weather kind is related to precipitation only: one copula over every column.
    expect(weather.correlations!.map(g => g.on)).toEqual([undefined])
  })

  it('turns headers into column names and reads common date spellings', () => {
    expect(columnNames(['Body Mass (g)', 'Body Mass (g)', '2nd', 'Ünïcode', ''])).toEqual(['Body_Mass_g', 'Body_Mass_g_2', '_2nd', 'Unicode', 'column'])
    const day = Date.UTC(1998, 5, 12)
    for (const text of ['1998-06-12', '6/12/1998', 'Jun 12 1998', 'June 12, 1998', '12 Jun 1998']) expect(parseDateLike(text), text).toBe(day)
  })
})
