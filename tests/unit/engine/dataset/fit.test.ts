import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generationSchema, type GenerationSchema } from '#shared/schema'
import { ksTest, normalScores, pearson } from '~~/engine/report/stats'
import { dateFormatter } from '~~/engine/time/pattern'
import { parseDateLike } from '~~/engine/time/iso'
import { columnNames, FIT_ROWS, fitCsv, profileAndFit, readRows } from '~~/engine/dataset/fit'
import { profileCsv } from '~~/engine/dataset/profile'
import { generateColumns } from '../../../support/schemas'
import { tempDataDir } from '../../../support/data-dir'
import { vegaCsv } from '../../../support/vega'

async function fitted(name: 'cars' | 'penguins') {
  const source = vegaCsv(name)
  const profile = await profileCsv(source.path)
  const schema = generationSchema.parse(await fitCsv(source.path, profile, 1))
  return { source, profile, schema }
}

const generate = (schema: GenerationSchema, n: number, seed = 5) => generateColumns(schema, n, seed).column

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
    expect(generationSchema.safeParse(JSON.parse(JSON.stringify(a.schema))).success).toBe(true)
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
    const path = new URL('../../../../node_modules/vega-datasets/data/seattle-weather.csv', import.meta.url).pathname
    const weather = generationSchema.parse(await fitCsv(path, await profileCsv(path), 1))
    // The weather kind is related to precipitation only: one copula over every column.
    expect(weather.correlations!.map(g => g.on)).toEqual([undefined])
  })

  it('turns headers into column names and reads common date spellings', () => {
    expect(columnNames(['Body Mass (g)', 'Body Mass (g)', '2nd', 'Ünïcode', ''])).toEqual(['Body_Mass_g', 'Body_Mass_g_2', '_2nd', 'Unicode', 'column'])
    const day = Date.UTC(1998, 5, 12)
    for (const text of ['1998-06-12', '6/12/1998', 'Jun 12 1998', 'June 12, 1998', '12 Jun 1998']) expect(parseDateLike(text), text).toBe(day)
  })
  it('writes dates with month names back in the source\'s format (MMM, MMMM, unpadded days)', async () => {
    expect(dateFormatter('MMM D YYYY')(Date.UTC(1998, 5, 5))).toBe('Jun 5 1998')
    expect(dateFormatter('MMMM DD, YYYY')(Date.UTC(1998, 8, 12))).toBe('September 12, 1998')
    expect(dateFormatter('D MMM YYYY')(Date.UTC(2001, 0, 31))).toBe('31 Jan 2001')
    const dir = tempDataDir('sdaas-dates-')
    const days = Array.from({ length: 300 }, (_, i) => Date.UTC(1998, 0, 1) + i * 86_400_000 * 1.3)
    const cases: [string, (ms: number) => string, RegExp][] = [
      ['MMM D YYYY', dateFormatter('MMM D YYYY'), /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [1-9]\d? \d{4}$/],
      ['MMMM D, YYYY', dateFormatter('MMMM D, YYYY'), /^(January|February|March|April|May|June|July|August|September|October|November|December) [1-9]\d?, \d{4}$/],
      ['DD MMM YYYY', dateFormatter('DD MMM YYYY'), /^\d{2} [A-Z][a-z]{2} \d{4}$/],
    ]
    for (const [format, write, shape] of cases) {
      const path = join(dir, `${format.replace(/\W/g, '_')}.csv`)
      writeFileSync(path, `when,amount\n${days.map((d, i) => `"${write(Math.floor(d / 86_400_000) * 86_400_000)}",${i % 17}`).join('\n')}\n`)
      const profile = await profileCsv(path)
      expect(profile.columns[0]!.type, format).toBe('date')
      const schema = generationSchema.parse(await fitCsv(path, profile, 1))
      expect(schema.columns[0], format).toMatchObject({ kind: 'empirical', output: 'date', format })
      const when = generate(schema, 500)('when').filter(v => v !== null) as string[]
      expect(when.length).toBe(500)
      for (const value of when) {
        expect(value, format).toMatch(shape)
        const ms = parseDateLike(value)
        expect(ms).toBeGreaterThanOrEqual(Math.floor(days[0]! / 86_400_000) * 86_400_000)
        expect(ms).toBeLessThanOrEqual(days.at(-1)!)
      }
    }
  })
  it('samples the same seeded rows whether it reads the file once with the profile or again on its own', async () => {
    const path = join(tempDataDir('sdaas-sample-'), 'big.csv')
    const n = FIT_ROWS + 12_345
    writeFileSync(path, `x,label\n${Array.from({ length: n }, (_, i) => `${(i * 7919) % 100_003},${['a', 'b', 'c'][i % 3]}`).join('\n')}\n`)
    const once = await profileAndFit(path, 3)
    expect(once.profile.rows).toBe(n)
    const rows = await readRows(path, once.profile, 3)
    expect(rows.length).toBe(FIT_ROWS)
    expect(await fitCsv(path, once.profile, 3)).toEqual(once.model)
    // Another seed, another sample.
    expect((await readRows(path, once.profile, 4)).slice(0, 50)).not.toEqual(rows.slice(0, 50))
  })
})
