import jStat from 'jstat'
import { describe, expect, it } from 'vitest'
import { generationSchema, type CellValue, type GenerationSchemaInput } from '#shared/schema'
import { compileSchema, SchemaError } from '~~/engine/schema/columns'
import { lawOf } from '~~/engine/schema/distributions'
import { ksTest } from '~~/engine/report/stats'
import { generateColumns, schemaOf } from '../../../support/schemas'

type ColumnInput = GenerationSchemaInput['columns'][number]

const SEED = 20_240_518
const N = 20_000
/** Two-sided z at alpha = 1e-5: with a fixed seed a check fails only when the law is wrong. */
const Z = 4.42
/** KS critical value at alpha = 0.001 (asymptotic; conservative for discrete laws). */
const ksCritical = (n: number) => 1.949 / Math.sqrt(n)

const draws = (column: ColumnInput, n = N, seed = SEED) => generateColumns(schemaOf({ columns: [column] }), n, seed).column(column.name)

/** `f` remembering its values (jstat's reference CDFs take milliseconds a call at λ = 10^6). */
function memo(f: (k: number) => number): (k: number) => number {
  const known = new Map<number, number>()
  return (k) => {
    let value = known.get(k)
    if (value === undefined) known.set(k, value = f(k))
    return value
  }
}

/** Sample mean and (unbiased) variance. */
function moments(values: number[]): { mean: number; variance: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)
  return { mean, variance }
}

/**
 * Checks a sample's mean and variance against the law's, within Z standard errors: sd / √n for the
 * mean, σ² √(2 / (n - 1) + κ / n) for the variance (κ the excess kurtosis).
 */
function expectMoments(values: number[], law: { mean: number; variance: number; kurtosis: number }) {
  const n = values.length
  const { mean, variance } = moments(values)
  expect(Math.abs(mean - law.mean)).toBeLessThan(Z * Math.sqrt(law.variance / n))
  expect(Math.abs(variance - law.variance)).toBeLessThan(Z * law.variance * Math.sqrt(2 / (n - 1) + law.kurtosis / n))
}

/** The issues a schema gets, from zod and then from the engine's compile, as `path: message` (paths as the API gives them). */
function issuesOf(columns: ColumnInput[]): string[] {
  const parsed = generationSchema.safeParse({ columns })
  if (!parsed.success) return parsed.error.issues.map(i => `schema.${i.path.join('.')}: ${i.message}`)
  try {
    compileSchema(parsed.data, { rows: 100, seed: 1 })
    return []
  }
  catch (error) {
    if (!(error instanceof SchemaError)) throw error
    return error.issues.map(i => `${i.path.join('.')}: ${i.message}`)
  }
}

describe('poisson and binomial over their whole range', () => {
  for (const lambda of [0.5, 4.5, 100, 499, 500, 5_000, 123_456.7, 1_000_000]) {
    it(`poisson λ = ${lambda}: mean and variance λ, values that vary, the exact CDF`, () => {
      const values = draws({ name: 'k', kind: 'integer', distribution: { type: 'poisson', lambda } }) as number[]
      expect(values.every(Number.isInteger)).toBe(true)
      expectMoments(values, { mean: lambda, variance: lambda, kurtosis: 1 / lambda })
      expect(new Set(values).size).toBeGreaterThan(Math.min(5, 3 * Math.sqrt(lambda)))
      // P(X ≤ k) = Q(k + 1, λ), the regularized upper incomplete gamma: independent of the table.
      const cdf = memo((k: number) => (k < 0 ? 0 : 1 - jStat.lowRegGamma(Math.floor(k) + 1, lambda)))
      // (At λ = 10^6 jstat takes milliseconds a call: the sample's 4,000 distinct values would take 8 s.)
      if (lambda < 1e6) expect(ksTest(values, cdf, k => cdf(k - 1)).statistic).toBeLessThan(ksCritical(N))
      const law = lawOf({ type: 'poisson', lambda }, undefined, undefined, true)
      for (let z = -6; z <= 6; z += 0.5) {
        const k = Math.max(0, Math.round(lambda + z * Math.sqrt(lambda)))
        expect(Math.abs(law.cdf(k) - cdf(k))).toBeLessThan(1e-7)
      }
    })
  }

  const binomials: [number, number][] = [[12, 0.3], [1_000, 0.5], [2_000, 0.5], [5_000, 0.999], [100_000, 1e-4], [1_000_000, 0.3], [1_000_000, 1e-6], [1_000_000, 0.5]]
  for (const [n, p] of binomials) {
    it(`binomial n = ${n}, p = ${p}: mean np and variance np(1 - p), values that vary, the exact CDF`, () => {
      const values = draws({ name: 'k', kind: 'integer', distribution: { type: 'binomial', n, p } }) as number[]
      const variance = n * p * (1 - p)
      expect(values.every(v => Number.isInteger(v) && v >= 0 && v <= n)).toBe(true)
      expectMoments(values, { mean: n * p, variance, kurtosis: (1 - 6 * p * (1 - p)) / variance })
      expect(new Set(values).size).toBeGreaterThan(Math.min(2, 3 * Math.sqrt(variance)))
      // jstat's binomial CDF goes through the incomplete beta function, not the mass the table sums.
      const cdf = memo((k: number) => jStat.binomial.cdf(k, n, p))
      expect(ksTest(values, cdf, k => cdf(k - 1)).statistic).toBeLessThan(ksCritical(N))
    })
  }

  it('truncates large laws to the column\'s bounds exactly, and refuses bounds that hold none of them', () => {
    const values = draws({ name: 'k', kind: 'integer', min: 1_000_000, max: 1_000_100, distribution: { type: 'poisson', lambda: 1_000_000 } }, 5_000) as number[]
    expect(Math.min(...values)).toBe(1_000_000)
    expect(Math.max(...values)).toBe(1_000_100)
    expect(new Set(values).size).toBeGreaterThan(90)
    expect(issuesOf([{ name: 'k', kind: 'integer', max: 10, distribution: { type: 'poisson', lambda: 1_000_000 } }])).toEqual([expect.stringMatching(/^schema\.columns\.0\.distribution: \[min, max\] holds too little/)])
  })

  it('binomial with p = 0 or 1 gives 0 or n, even for a draw of exactly 0', () => {
    for (const [p, value] of [[0, 0], [1, 2_500]] as const) {
      const law = lawOf({ type: 'binomial', n: 2_500, p }, undefined, undefined, true)
      expect([0, 1e-12, 0.5, 1 - 2 ** -32].map(u => law.quantile(u))).toEqual([value, value, value, value])
    }
  })
})

describe('every distribution over the range the schema accepts', () => {
  it('refuses laws whose values overflow an unbounded column, naming the parameter', () => {
    const cases: [ColumnInput, string][] = [
      [{ name: 'x', kind: 'float', distribution: { type: 'lognormal', mu: 0, sigma: 1_000 } }, 'schema.columns.0.distribution.sigma'],
      [{ name: 'x', kind: 'float', distribution: { type: 'normal', mean: 0, sd: 1e308 } }, 'schema.columns.0.distribution.sd'],
      [{ name: 'x', kind: 'float', distribution: { type: 'normal', mean: 1.7e308, sd: 1e307 } }, 'schema.columns.0.distribution.sd'],
      [{ name: 'x', kind: 'float', distribution: { type: 'exponential', rate: 1e-308 } }, 'schema.columns.0.distribution.rate'],
      [{ name: 'x', kind: 'float', distribution: { type: 'gamma', shape: 2, scale: 1e307 } }, 'schema.columns.0.distribution.scale'],
      [{ name: 'x', kind: 'integer', distribution: { type: 'normal', mean: 0, sd: 1e15 } }, 'schema.columns.0.distribution.sd'],
      [{ name: 'x', kind: 'integer', min: 0, distribution: { type: 'lognormal', mu: 30, sigma: 3 } }, 'schema.columns.0.distribution.sigma'],
    ]
    for (const [column, path] of cases) expect(issuesOf([column]), JSON.stringify(column)).toEqual([expect.stringMatching(new RegExp(`^${path.replaceAll('.', '\\.')}: values of this \\w+ reach beyond`))])
  })

  it('refuses parameters its numerics cannot follow, naming the field', () => {
    const cases: [ColumnInput, string][] = [
      [{ name: 'x', kind: 'float', distribution: { type: 'gamma', shape: 1e6, scale: 1 } }, 'schema.columns.0.distribution.shape'],
      [{ name: 'x', kind: 'float', distribution: { type: 'beta', alpha: 1e300, beta: 2 } }, 'schema.columns.0.distribution.alpha'],
      [{ name: 'x', kind: 'float', distribution: { type: 'beta', alpha: 2, beta: 1e6 } }, 'schema.columns.0.distribution.beta'],
      [{ name: 'x', kind: 'integer', min: -(2 ** 53) + 1, max: 0 }, 'schema.columns.0.min'],
      [{ name: 'x', kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER }, 'schema.columns.0.max'],
      // The CDF cannot tell these bounds apart (normal: 7 sd out; the second: 1e-300 sd wide).
      [{ name: 'x', kind: 'float', min: 7, distribution: { type: 'normal', mean: 0, sd: 1 } }, 'schema.columns.0.distribution'],
      [{ name: 'x', kind: 'float', min: 0, max: 1, distribution: { type: 'normal', mean: 0, sd: 1e300 } }, 'schema.columns.0.distribution'],
    ]
    for (const [column, path] of cases) expect(issuesOf([column]).map(i => i.split(': ')[0]), JSON.stringify(column)).toEqual([path])
  })

  /** Extreme but accepted parameters of every distribution, each with and without bounds. */
  const extremes: ColumnInput[] = [
    { name: 'x', kind: 'float', distribution: { type: 'lognormal', mu: 0, sigma: 1_000 }, max: 1e300 },
    { name: 'x', kind: 'float', distribution: { type: 'lognormal', mu: 700, sigma: 1 }, decimals: 12 },
    { name: 'x', kind: 'float', distribution: { type: 'lognormal', mu: -700, sigma: 50 }, decimals: 12 },
    { name: 'x', kind: 'float', distribution: { type: 'normal', mean: 0, sd: 1e307 } },
    { name: 'x', kind: 'float', distribution: { type: 'normal', mean: -1.7e308, sd: 1e300 }, min: -1.79e308, max: -1e308 },
    { name: 'x', kind: 'float', distribution: { type: 'normal', mean: 0, sd: 1e-300 }, decimals: 12 },
    { name: 'x', kind: 'float', distribution: { type: 'exponential', rate: 1e308 } },
    { name: 'x', kind: 'float', distribution: { type: 'exponential', rate: 1e-300 }, min: 0, max: 1 },
    { name: 'x', kind: 'float', distribution: { type: 'gamma', shape: 1e-300, scale: 1 } },
    { name: 'x', kind: 'float', distribution: { type: 'gamma', shape: 10_000, scale: 1e300 } },
    { name: 'x', kind: 'float', distribution: { type: 'gamma', shape: 0.01, scale: 1e-300 } },
    { name: 'x', kind: 'float', distribution: { type: 'beta', alpha: 1e-300, beta: 1e-300 }, min: -8e307, max: 8e307 },
    { name: 'x', kind: 'float', distribution: { type: 'beta', alpha: 100_000, beta: 100_000 } },
    { name: 'x', kind: 'float', distribution: { type: 'triangular', mode: 0 }, min: -8e307, max: 8e307 },
    { name: 'x', kind: 'float', distribution: { type: 'uniform' }, min: 1e307, max: 1.7e308 },
    { name: 'x', kind: 'float', distribution: { type: 'uniform' }, min: -Number.MAX_VALUE, max: -1e308 },
    { name: 'x', kind: 'integer', distribution: { type: 'uniform' }, min: -(2 ** 52), max: 2 ** 52 },
    { name: 'x', kind: 'integer', distribution: { type: 'normal', mean: 2 ** 52, sd: 1e14 }, max: 2 ** 52 },
    { name: 'x', kind: 'integer', distribution: { type: 'poisson', lambda: 1e-300 } },
    { name: 'x', kind: 'integer', distribution: { type: 'binomial', n: 1_000_000, p: 1 - 1e-12 } },
  ]
  for (const column of extremes) {
    it(`never a null nor a value out of bounds: ${JSON.stringify(column)}`, () => {
      expect(issuesOf([column])).toEqual([])
      const values = draws(column, 2_000) as CellValue[]
      const { min = -Infinity, max = Infinity } = column as { min?: number; max?: number }
      for (const v of values) {
        expect(typeof v === 'number' && Number.isFinite(v), String(v)).toBe(true)
        expect(v as number).toBeGreaterThanOrEqual(min)
        expect(v as number).toBeLessThanOrEqual(max)
      }
    })
  }

  it('every quantile is finite at draws of exactly 0 and 1 (a copula\'s normal score may round to them)', () => {
    const laws = [
      lawOf({ type: 'normal', mean: 3, sd: 2 }, undefined, undefined, false),
      lawOf({ type: 'lognormal', mu: 3, sigma: 2 }, undefined, undefined, false),
      lawOf({ type: 'exponential', rate: 2 }, undefined, undefined, false),
      lawOf({ type: 'normal', mean: 0, sd: 1 }, undefined, -30, false),
    ]
    for (const law of laws) for (const u of [0, 1]) expect(Number.isFinite(law.quantile(u))).toBe(true)
    // The lowest draw of a normal truncated to (-∞, -30] lies below -30, not at the bound.
    expect(laws[3]!.quantile(0)).toBeLessThan(-30.5)
  })

  it('very wide values keep their spread: a uniform near 1.7e308 and a triangular over ±8e307 follow their laws', () => {
    const uniform: ColumnInput = { name: 'x', kind: 'float', min: 1e307, max: 1.7e308 }
    const u = draws(uniform) as number[]
    expect(ksTest(u, x => (x - 1e307) / (1.7e308 - 1e307)).statistic).toBeLessThan(ksCritical(N))
    const triangular: ColumnInput = { name: 'x', kind: 'float', min: -8e307, max: 8e307, distribution: { type: 'triangular', mode: 0 } }
    const t = draws(triangular) as number[]
    const cdf = (x: number) => (x <= 0 ? ((x / 8e307 + 1) ** 2) / 2 : 1 - ((1 - x / 8e307) ** 2) / 2)
    expect(ksTest(t, cdf).statistic).toBeLessThan(ksCritical(N))
  })
})

describe('weights', () => {
  it('refuses category weights whose sum is not finite, on the categories', () => {
    const categories = [{ value: 'a', weight: 1e308 }, { value: 'b', weight: 1e308 }, { value: 'c', weight: 1 }]
    expect(issuesOf([{ name: 'c', kind: 'categorical', categories }])).toEqual([expect.stringMatching(/^schema\.columns\.0\.categories: the weights must sum to a finite number/)])
    const inCase: ColumnInput = { name: 'c', kind: 'conditional', on: 'k', cases: [{ when: 1, then: { kind: 'categorical', categories } }] }
    expect(issuesOf([{ name: 'k', kind: 'integer', min: 0, max: 1 }, inCase])).toEqual([expect.stringMatching(/^schema\.columns\.1\.cases\.0\.then\.categories: /)])
  })

  it('large finite weights keep their proportions', () => {
    const values = draws({ name: 'c', kind: 'categorical', categories: [{ value: 'a', weight: 1e307 }, { value: 'b', weight: 3e307 }] }) as string[]
    const share = values.filter(v => v === 'a').length / N
    expect(Math.abs(share - 0.25)).toBeLessThan(Z * Math.sqrt(0.25 * 0.75 / N))
  })
})
