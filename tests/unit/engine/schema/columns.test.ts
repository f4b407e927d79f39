import { describe, expect, it } from 'vitest'
import jStat from 'jstat'
import type { CellValue, Column, GenerationSchemaInput } from '#shared/schema'
import { compileSchema, SchemaError } from '~~/engine/schema/columns'
import { numericLaw } from '~~/engine/schema/laws'
import { normalCdf, normalQuantile } from '~~/engine/schema/distributions'
import { chiSquareTest, ksTest } from '~~/engine/report/stats'
import { RowRandom } from '~~/engine/schema/random'
import { isoString } from '~~/engine/time/iso'
import { schemaOf } from '../../../support/schemas'

const SEED = 20260101
const N = 20_000
/** KS critical value at alpha = 0.001 for a sample of n (asymptotic): a fixed-seed tolerance from n. */
const ksCritical = (n: number) => 1.949 / Math.sqrt(n)
/** Allowed gap of a proportion estimated from n draws: 5 standard errors. */
const proportionTolerance = (p: number, n: number) => 5 * Math.sqrt((p * (1 - p)) / n)

function sampleColumn(column: GenerationSchemaInput['columns'][number], n = N, seed = SEED): { values: CellValue[]; column: Column } {
  const schema = schemaOf({ columns: [column] })
  const compiled = compileSchema(schema)
  const rng = new RowRandom(seed)
  const out: CellValue[] = [null]
  const values: CellValue[] = []
  for (let row = 0; row < n; row++) {
    compiled.fillRow(rng, row, out)
    values.push(out[0]!)
  }
  return { values, column: schema.columns[0]! }
}

const numbers = (values: CellValue[]) => values.filter((v): v is number => typeof v === 'number')

describe('column kinds', () => {
  it('sequence counts from start by step', () => {
    const { values } = sampleColumn({ name: 'id', kind: 'sequence', start: 100, step: -2 }, 5)
    expect(values).toEqual([100, 98, 96, 94, 92])
  })

  it('uuid gives unique RFC 9562 version-4 ids', () => {
    const { values } = sampleColumn({ name: 'id', kind: 'uuid' }, 10_000)
    for (const v of values) expect(v).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(new Set(values).size).toBe(values.length)
  })

  it('faker calls the method by path with its arguments, in the schema locale', () => {
    const { values } = sampleColumn({ name: 'code', kind: 'faker', method: 'string.numeric', args: [6] }, 200)
    for (const v of values) expect(v).toMatch(/^\d{6}$/)
    const en = sampleColumn({ name: 'city', kind: 'faker', method: 'location.city' }, 50).values
    const again = sampleColumn({ name: 'city', kind: 'faker', method: 'location.city' }, 50).values
    expect(again).toEqual(en)
    const de = compileSchema(schemaOf({ locale: 'de', columns: [{ name: 'country', kind: 'faker', method: 'location.country' }] }))
    const out: CellValue[] = [null]
    const rng = new RowRandom(SEED)
    const germanCountries = new Set<CellValue>()
    for (let row = 0; row < 300; row++) {
      de.fillRow(rng, row, out)
      germanCountries.add(out[0]!)
    }
    expect(germanCountries.has('Deutschland') || germanCountries.has('Österreich') || germanCountries.has('Frankreich')).toBe(true)
  })

  it('faker rejects unknown methods and locales with the column path', () => {
    expect(() => compileSchema(schemaOf({ columns: [{ name: 'a', kind: 'integer', min: 0, max: 1 }, { name: 'x', kind: 'faker', method: 'person.nope' }] })))
      .toThrow(expect.objectContaining({ issues: [{ path: ['schema', 'columns', 1, 'method'], message: expect.stringContaining('person.nope') }] }))
    expect(() => compileSchema(schemaOf({ columns: [{ name: 'x', kind: 'faker', method: 'constructor.call' }] }))).toThrow(SchemaError)
    expect(() => compileSchema(schemaOf({ columns: [{ name: 'x', kind: 'faker', method: 'helpers.constructor' }] }))).toThrow(SchemaError)
    expect(() => compileSchema(schemaOf({ locale: 'xx_YY', columns: [{ name: 'x', kind: 'uuid' }] }))).toThrow(/unknown faker locale/)
  })

  it('integer uniform covers [min, max] evenly (chi-square)', () => {
    const { values } = sampleColumn({ name: 'die', kind: 'integer', min: 1, max: 6 })
    const counts = [1, 2, 3, 4, 5, 6].map(face => values.filter(v => v === face).length)
    expect(counts.reduce((a, b) => a + b, 0)).toBe(N)
    expect(chiSquareTest(counts, new Array(6).fill(1 / 6)).p_value).toBeGreaterThan(0.001)
  })

  it('integer normal follows the truncated, discretised normal (chi-square per value)', () => {
    const { values, column } = sampleColumn({ name: 'age', kind: 'integer', min: 18, max: 90, distribution: { type: 'normal', mean: 30, sd: 10 } })
    const law = numericLaw(column as Extract<Column, { kind: 'integer' }>)
    const support = Array.from({ length: 73 }, (_, i) => 18 + i)
    const counts = support.map(k => values.filter(v => v === k).length)
    const expected = support.map(k => law.cdf(k + 0.5) - law.cdf(k - 0.5))
    expect(Math.min(...numbers(values))).toBeGreaterThanOrEqual(18)
    expect(Math.max(...numbers(values))).toBeLessThanOrEqual(90)
    expect(chiSquareTest(counts, expected).p_value).toBeGreaterThan(0.001)
  })

  it('float uniform and normal match their declared CDFs (KS)', () => {
    for (const spec of [
      { name: 'u', kind: 'float' as const, min: -5, max: 5, decimals: 6 },
      { name: 'n', kind: 'float' as const, distribution: { type: 'normal' as const, mean: 100, sd: 15 }, decimals: 6 },
      { name: 't', kind: 'float' as const, min: 0, max: 50, distribution: { type: 'normal' as const, mean: 10, sd: 20 }, decimals: 6 },
    ]) {
      const { values, column } = sampleColumn(spec)
      const law = numericLaw(column as Extract<Column, { kind: 'float' }>)
      expect(ksTest(numbers(values), law.cdf).statistic, spec.name).toBeLessThan(ksCritical(N))
    }
  })

  it('float rounds to its decimals and stays within bounds', () => {
    const { values } = sampleColumn({ name: 'price', kind: 'float', min: 1, max: 2, decimals: 2 }, 2000)
    for (const v of numbers(values)) {
      expect(Math.round(v * 100) / 100).toBe(v)
      expect(v).toBeGreaterThanOrEqual(1)
      expect(v).toBeLessThanOrEqual(2)
    }
  })

  it('a KS test of a wrong distribution fails, so the checks above can fail', () => {
    const { values } = sampleColumn({ name: 'n', kind: 'float', distribution: { type: 'normal', mean: 0, sd: 1 }, decimals: 6 })
    const wrong = (x: number) => jStat.normal.cdf(x, 0.1, 1)
    expect(ksTest(numbers(values), wrong).statistic).toBeGreaterThan(ksCritical(N))
  })

  it('boolean is true with its probability', () => {
    const { values } = sampleColumn({ name: 'b', kind: 'boolean', probability: 0.3 })
    const share = values.filter(v => v === true).length / N
    expect(Math.abs(share - 0.3)).toBeLessThan(proportionTolerance(0.3, N))
    expect(values.every(v => typeof v === 'boolean')).toBe(true)
  })

  it('categorical follows its weights (chi-square)', () => {
    const categories = [{ value: 'a', weight: 5 }, { value: 'b', weight: 3 }, { value: 7, weight: 1 }, { value: true, weight: 1 }]
    const { values } = sampleColumn({ name: 'c', kind: 'categorical', categories })
    const counts = categories.map(c => values.filter(v => v === c.value).length)
    expect(counts.reduce((a, b) => a + b, 0)).toBe(N)
    expect(chiSquareTest(counts, [0.5, 0.3, 0.1, 0.1]).p_value).toBeGreaterThan(0.001)
  })

  it('datetime is uniform over its inclusive range, in each format', () => {
    const start = Date.parse('2024-01-01T00:00:00Z')
    const end = Date.parse('2024-03-01T00:00:00Z')
    const iso = sampleColumn({ name: 'at', kind: 'datetime', start: '2024-01-01T00:00:00Z', end: '2024-03-01T00:00:00Z' })
    const ms = iso.values.map(v => Date.parse(String(v)))
    for (const v of iso.values) expect(v).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(Math.min(...ms)).toBeGreaterThanOrEqual(start)
    expect(Math.max(...ms)).toBeLessThanOrEqual(end)
    expect(ksTest(ms, x => (x - start) / (end - start)).statistic).toBeLessThan(ksCritical(N))
    const dates = sampleColumn({ name: 'd', kind: 'date', start: '2024-01-01', end: '2024-01-31' }, 500).values
    for (const v of dates) expect(v).toMatch(/^2024-01-(0[1-9]|[12]\d|3[01])$/)
    const epoch = sampleColumn({ name: 'e', kind: 'datetime', start: '2024-01-01', end: '2024-01-02', format: 'epoch' }, 500).values
    for (const v of epoch) expect(typeof v === 'number' && v >= start && v <= start + 86_400_000).toBe(true)
  })

  it('null_rate nulls that share of rows on any kind', () => {
    for (const column of [
      { name: 'a', kind: 'integer' as const, min: 0, max: 9, null_rate: 0.2 },
      { name: 'b', kind: 'faker' as const, method: 'person.lastName', null_rate: 0.05 },
      { name: 'c', kind: 'uuid' as const, null_rate: 0.5 },
    ]) {
      const { values } = sampleColumn(column, 10_000)
      const share = values.filter(v => v === null).length / values.length
      expect(Math.abs(share - column.null_rate), column.name).toBeLessThan(proportionTolerance(column.null_rate, values.length))
    }
  })

  it('normalQuantile inverts the normal CDF', () => {
    for (const p of [1e-6, 0.01, 0.2, 0.5, 0.8, 0.99, 1 - 1e-6]) expect(jStat.normal.cdf(normalQuantile(p), 0, 1)).toBeCloseTo(p, 8)
  })

  it('normalCdf agrees with jstat to 1e-15 and keeps 8 significant digits in the far tail, where jstat cancels to 0', () => {
    for (let x = -8; x <= 8; x += 0.0137) expect(Math.abs(normalCdf(x) - jStat.normal.cdf(x, 0, 1))).toBeLessThan(1e-15)
    // Φ(-10) and Φ(-20), where 1 + erf cancels: reference values from R's pnorm.
    expect(normalCdf(-10) / 7.619853024160527e-24).toBeCloseTo(1, 8)
    expect(normalCdf(-20) / 2.753624118606233e-89).toBeCloseTo(1, 8)
    expect(normalCdf(10)).toBe(1)
    expect(normalCdf(0)).toBe(0.5)
  })
})

describe('isoString', () => {
  it('formats exactly like Date#toISOString, including leap days, the epoch and years 0 and 9999', () => {
    const rng = new RowRandom(5)
    rng.setRow(0)
    // Also the first and last days of the date cache (1900-01-01 to 2199-12-31) and the days just outside it.
    const instants = [0, -1, 951_782_400_000, 951_868_799_999, 253_402_300_799_999, -62_167_219_200_000, 1_709_164_800_000,
      -2_208_988_800_000, -2_208_988_800_001, 7_258_118_399_999, 7_258_118_400_000]
    for (let i = 0; i < 200_000; i++) instants.push(Math.floor((rng.next() * 2 - 0.5) * 8e12))
    for (const ms of [...instants, ...instants]) expect(isoString(ms)).toBe(new Date(ms).toISOString())
  })
})
