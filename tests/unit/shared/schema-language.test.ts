import { describe, expect, it } from 'vitest'
import type { Column, GenerationSchemaInput } from '#shared/schema'
import { compileSchema, SchemaError } from '~~/engine/schema/columns'
import { numericLaw, rangeLaw } from '~~/engine/schema/laws'
import { chiSquareTest, ksTest, normalScores, pearson } from '~~/engine/report/stats'
import { generateColumns, schemaOf } from '../../support/schemas'

const SEED = 77
/** KS critical value at alpha = 0.001 (asymptotic): a tolerance from the sample size. */
const ksCritical = (n: number) => 1.949 / Math.sqrt(n)

/** Generates `n` rows of a schema; returns the output columns by name. */
const generate = (input: GenerationSchemaInput, n: number, seed = SEED) => generateColumns(schemaOf(input), n, seed)

const issuesOf = (input: GenerationSchemaInput, rows = 100) => {
  try {
    compileSchema(schemaOf(input), { rows, seed: 1 })
    return []
  }
  catch (error) {
    if (!(error instanceof SchemaError)) throw error
    return error.issues.map(i => ({ path: i.path.join('.'), message: i.message }))
  }
}

describe('distributions', () => {
  const N = 20_000
  const continuous: [string, object, number?, number?][] = [
    ['lognormal', { type: 'lognormal', mu: 3, sigma: 0.5 }],
    ['exponential', { type: 'exponential', rate: 0.2 }],
    ['gamma', { type: 'gamma', shape: 2.5, scale: 3 }],
    ['beta on [10, 20]', { type: 'beta', alpha: 2, beta: 5 }, 10, 20],
    ['triangular', { type: 'triangular', mode: 3 }, 0, 10],
    ['truncated lognormal', { type: 'lognormal', mu: 3, sigma: 1 }, 10, 40],
  ]
  for (const [label, distribution, min, max] of continuous) {
    it(`float ${label} matches its declared CDF (KS)`, () => {
      const spec = { name: 'x', kind: 'float' as const, distribution, min, max, decimals: 8 } as GenerationSchemaInput['columns'][number]
      const { column } = generate({ columns: [spec] }, N)
      const law = numericLaw(schemaOf({ columns: [spec] }).columns[0] as Extract<Column, { kind: 'float' }>)
      const values = column('x') as number[]
      if (min !== undefined) expect(Math.min(...values)).toBeGreaterThanOrEqual(min)
      if (max !== undefined) expect(Math.max(...values)).toBeLessThanOrEqual(max)
      expect(ksTest(values, law.cdf).statistic).toBeLessThan(ksCritical(N))
    })
  }

  for (const [label, distribution, max] of [['poisson', { type: 'poisson', lambda: 4.5 }, 30], ['binomial', { type: 'binomial', n: 12, p: 0.3 }, 12]] as const) {
    it(`integer ${label} matches its probabilities (chi-square)`, () => {
      const spec = { name: 'k', kind: 'integer' as const, distribution } as GenerationSchemaInput['columns'][number]
      const { column } = generate({ columns: [spec] }, N)
      const law = numericLaw(schemaOf({ columns: [spec] }).columns[0] as Extract<Column, { kind: 'integer' }>)
      const values = column('k') as number[]
      const support = Array.from({ length: max + 1 }, (_, k) => k)
      expect(values.every(v => Number.isInteger(v) && v >= 0 && v <= max)).toBe(true)
      const counts = support.map(k => values.filter(v => v === k).length)
      const expected = support.map(k => law.cdf(k) - law.cdf(k - 1))
      // Pool the sparse tail so every expected count is at least 5.
      const keep = expected.map(e => e * N >= 5)
      const pooledCounts = [...counts.filter((_, i) => keep[i]), counts.filter((_, i) => !keep[i]).reduce((a, b) => a + b, 0)]
      const pooledExpected = [...expected.filter((_, i) => keep[i]), expected.filter((_, i) => !keep[i]).reduce((a, b) => a + b, 0)]
      expect(chiSquareTest(pooledCounts, pooledExpected).p_value).toBeGreaterThan(0.001)
    })
  }

  it('rejects discrete distributions on floats and missing bounds', () => {
    expect(() => schemaOf({ columns: [{ name: 'x', kind: 'float', distribution: { type: 'poisson', lambda: 2 } }] })).toThrow(/discrete/)
    expect(() => schemaOf({ columns: [{ name: 'x', kind: 'float', distribution: { type: 'triangular', mode: 2 } }] })).toThrow(/needs both min and max/)
  })
})

describe('ids, patterns, dates and times', () => {
  it('pattern fills each class from its characters', () => {
    const { column } = generate({ columns: [{ name: 'code', kind: 'pattern', pattern: 'ORD-##?@*-\\#' }] }, 2000)
    for (const v of column('code')) expect(v).toMatch(/^ORD-\d\d[A-Z][a-z][A-Z0-9]-#$/)
    expect(new Set(column('code')).size).toBeGreaterThan(1900)
  })

  it('datetime writes ISO in a time zone with its offset, custom patterns and epoch seconds', () => {
    const { column } = generate({ columns: [
      { name: 'berlin', kind: 'datetime', start: '2024-01-01T00:00:00Z', end: '2024-12-31T23:59:59Z', timezone: 'Europe/Berlin' },
      { name: 'custom', kind: 'datetime', start: '2024-07-01T00:00:00Z', end: '2024-07-01T23:59:59Z', format: 'DD/MM/YYYY HH:mm', timezone: 'America/New_York' },
      { name: 'secs', kind: 'datetime', start: '2024-01-01T00:00:00Z', end: '2024-01-02T00:00:00Z', format: 'epoch_seconds' },
    ] }, 3000)
    for (const v of column('berlin') as string[]) {
      // The range is in UTC: its last hour is already 2025 in Berlin.
      expect(v).toMatch(/^(2024-\d\d-\d\dT\d\d|2025-01-01T00):\d\d:\d\d\.\d{3}\+0[12]:00$/)
      // Winter is +01:00 and summer +02:00 in Berlin.
      const month = Number(v.slice(5, 7))
      if (month === 1 || month === 12) expect(v.endsWith('+01:00')).toBe(true)
      if (month === 7) expect(v.endsWith('+02:00')).toBe(true)
    }
    for (const v of column('custom') as string[]) expect(v).toMatch(/^(30\/06|01\/07)\/2024 \d\d:\d\d$/)
    for (const v of column('secs') as number[]) expect(Number.isInteger(v) && v >= 1704067200 && v <= 1704153600).toBe(true)
  })

  it('a skewed distribution over a date range puts more dates where it peaks', () => {
    const { column } = generate({ columns: [{ name: 'd', kind: 'date', start: '2020-01-01', end: '2020-12-31', distribution: { type: 'beta', alpha: 5, beta: 1 } }] }, 5000)
    const secondHalf = (column('d') as string[]).filter(d => d >= '2020-07-01').length / 5000
    // P(beta(5,1) > 0.5) = 1 - 0.5^5.
    expect(Math.abs(secondHalf - (1 - 0.5 ** 5))).toBeLessThan(5 * Math.sqrt(0.03 * 0.97 / 5000))
    const schema = schemaOf({ columns: [{ name: 'd', kind: 'date', start: '2020-01-01', end: '2020-12-31', distribution: { type: 'beta', alpha: 5, beta: 1 } }] })
    expect(rangeLaw(schema.columns[0] as Extract<Column, { kind: 'date' }>).cdf(0.5)).toBeCloseTo(0.5 ** 5, 10)
  })

  it('time of day stays within its range, in its format', () => {
    const { column } = generate({ columns: [{ name: 't', kind: 'time', start: '09:00', end: '17:30' }, { name: 'hm', kind: 'time', start: '00:00', end: '23:59', format: 'HH:mm' }] }, 2000)
    for (const v of column('t') as string[]) expect(v >= '09:00:00' && v <= '17:30:00' && /^\d\d:\d\d:\d\d$/.test(v)).toBe(true)
    for (const v of column('hm') as string[]) expect(v).toMatch(/^([01]\d|2[0-3]):[0-5]\d$/)
  })
})

describe('columns that read other columns', () => {
  it('template interpolates columns and faker tokens, with filters', () => {
    const { column } = generate({ columns: [
      { name: 'email', kind: 'template', template: '{{first | alnum}}.{{last | lower}}@{{internet.domainName}}' },
      { name: 'first', kind: 'categorical', categories: [{ value: 'José' }, { value: 'Zoë Ann' }] },
      { name: 'last', kind: 'categorical', categories: [{ value: 'Smith' }] },
      { name: 'label', kind: 'template', template: 'Customer {{first | upper}} ({{missing_ok}})' },
      { name: 'missing_ok', kind: 'integer', min: 1, max: 1, null_rate: 1 },
    ] }, 200)
    for (const v of column('email') as string[]) expect(v).toMatch(/^(jose|zoeann)\.smith@[a-z0-9.-]+\.[a-z]+$/)
    for (const v of column('label') as string[]) expect(v).toMatch(/^Customer (JOSÉ|ZOË ANN) \(\)$/)
  })

  it('a filtered column drawn from a faker list gives the filter of the row\'s own value, even after other columns drew from the same list', () => {
    const alnum = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036F]/g, '').replace(/[^A-Za-z0-9]/g, '').toLowerCase()
    for (const locale of ['en', 'de']) {
      const { column } = generate({ locale, columns: [
        { name: 'first', kind: 'faker', method: 'person.firstName', null_rate: 0.1 },
        { name: 'last', kind: 'faker', method: 'person.lastName' },
        // Both draw first names after `first` and before `handle`.
        { name: 'city', kind: 'faker', method: 'location.city' },
        { name: 'other', kind: 'template', template: '{{person.firstName}}' },
        { name: 'handle', kind: 'template', template: '{{first | alnum}}|{{last | alnum}}|{{city | upper}}|{{other}}' },
      ] }, 3000)
      const handles = column('handle') as string[]
      handles.forEach((handle, i) => {
        const at = (name: string) => (column(name)[i] ?? null) as string | null
        const [first, last, city, other] = [at('first'), at('last'), at('city'), at('other')] as const
        expect(handle, locale).toBe(`${first === null ? '' : alnum(first)}|${alnum(last!)}|${city === null ? '' : city.toUpperCase()}|${other}`)
      })
      // en's double-barrelled last names are built, not picked from the table: the other path.
      if (locale === 'en') expect((column('last') as string[]).some(l => l.includes('-'))).toBe(true)
    }
  })

  it('derived computes expressions over other columns, whatever their order in the schema', () => {
    const { column } = generate({ columns: [
      { name: 'total', kind: 'derived', expression: 'quantity * unit_price', decimals: 2 },
      { name: 'quantity', kind: 'integer', min: 1, max: 9 },
      { name: 'unit_price', kind: 'float', min: 1, max: 100, decimals: 2 },
      { name: 'size', kind: 'derived', expression: 'quantity >= 5 ? "large" : "small"' },
    ] }, 500)
    column('total').forEach((total, i) => {
      expect(total).toBe(Math.round(Number(column('quantity')[i]) * Number(column('unit_price')[i]) * 100) / 100)
      expect(column('size')[i]).toBe(Number(column('quantity')[i]) >= 5 ? 'large' : 'small')
    })
  })

  it('conditional draws from the case matching the other column', () => {
    const { column } = generate({ columns: [
      { name: 'level', kind: 'categorical', categories: [{ value: 'junior' }, { value: 'senior' }, { value: 'intern' }] },
      { name: 'salary', kind: 'conditional', on: 'level', cases: [
        { when: 'junior', then: { kind: 'integer', min: 40_000, max: 60_000 } },
        { when: ['senior', 'lead'], then: { kind: 'integer', min: 90_000, max: 140_000 } },
      ] },
      { name: 'note', kind: 'conditional', on: 'level', cases: [{ when: 'intern', then: { kind: 'template', template: 'intern of {{level}}' } }], default: { kind: 'pattern', pattern: 'N-##' } },
    ] }, 3000)
    column('level').forEach((level, i) => {
      const salary = column('salary')[i]
      if (level === 'junior') expect(salary).toBeGreaterThanOrEqual(40_000)
      if (level === 'junior') expect(salary).toBeLessThanOrEqual(60_000)
      if (level === 'senior') expect(salary).toBeGreaterThanOrEqual(90_000)
      if (level === 'intern') expect(salary).toBeNull()
      expect(column('note')[i]).toMatch(level === 'intern' ? /^intern of intern$/ : /^N-\d\d$/)
    })
  })

  it('hidden columns feed others but are not written', () => {
    const { compiled, column } = generate({ columns: [
      { name: 'base', kind: 'integer', min: 1, max: 10, hidden: true },
      { name: 'double', kind: 'derived', expression: 'base * 2' },
    ] }, 50)
    expect(compiled.names).toEqual(['double'])
    expect(compiled.outputIndex).toEqual([1])
    column('double').forEach((v, i) => expect(v).toBe(Number(column('base')[i]) * 2))
  })

  it('reports unknown references and cycles naming the columns', () => {
    expect(issuesOf({ columns: [{ name: 'a', kind: 'derived', expression: 'b + 1' }] })).toEqual([{ path: 'schema.columns.0.expression', message: 'unknown column "b"' }])
    expect(issuesOf({ columns: [{ name: 'a', kind: 'template', template: '{{nope}}' }] })).toEqual([{ path: 'schema.columns.0.template', message: 'unknown column "nope"' }])
    expect(issuesOf({ columns: [{ name: 'a', kind: 'conditional', on: 'ghost', cases: [{ when: 1, then: { kind: 'uuid' } }] }] })).toEqual([{ path: 'schema.columns.0.on', message: 'unknown column "ghost"' }])
    const cycle = issuesOf({ columns: [
      { name: 'a', kind: 'derived', expression: 'c + 1' },
      { name: 'b', kind: 'derived', expression: 'a + 1' },
      { name: 'c', kind: 'derived', expression: 'b + 1' },
    ] })
    expect(cycle).toHaveLength(1)
    expect(cycle[0]!.message).toMatch(/cycle: (a → c → b → a|b → a → c → b|c → b → a → c)/)
    expect(issuesOf({ columns: [{ name: 'a', kind: 'derived', expression: 'a + 1' }] })[0]!.message).toMatch(/cycle: a → a/)
    expect(issuesOf({ columns: [{ name: 'a', kind: 'derived', expression: 'nosuchfn(1)' }] })[0]!.path).toBe('schema.columns.0.expression')
    expect(issuesOf({ columns: [{ name: 'a', kind: 'template', template: '{{x | shout}}' }, { name: 'x', kind: 'uuid' }] })[0]!.message).toMatch(/unknown filter "shout"/)
  })
})

describe('unique', () => {
  it('draws integer, pattern, categorical, date and time values without repeats, reproducibly', () => {
    const input: GenerationSchemaInput = { columns: [
      { name: 'n', kind: 'integer', min: 1, max: 5000, unique: true },
      { name: 'code', kind: 'pattern', pattern: 'A-###', unique: true },
      { name: 'cat', kind: 'categorical', categories: Array.from({ length: 1000 }, (_, i) => ({ value: `c${i}` })), unique: true },
      { name: 'day', kind: 'date', start: '2020-01-01', end: '2023-12-31', unique: true },
      { name: 't', kind: 'time', start: '00:00', end: '23:59:59', unique: true },
      { name: 'maybe', kind: 'integer', min: 1, max: 2000, unique: true, null_rate: 0.3 },
    ] }
    const rows = 1000
    const { column } = generate(input, rows)
    for (const name of ['n', 'code', 'cat', 'day', 't']) expect(new Set(column(name)).size, name).toBe(rows)
    const present = column('maybe').filter(v => v !== null)
    expect(new Set(present).size).toBe(present.length)
    expect(column('n')).toEqual(generate(input, rows).column('n'))
    expect(column('n')).not.toEqual(generate(input, rows, SEED + 1).column('n'))
    // Every value of a space exactly as large as the rows is used once.
    const full = generate({ columns: [{ name: 'x', kind: 'integer', min: 10, max: 19, unique: true }] }, 10).column('x')
    expect([...full].sort((a, b) => Number(a) - Number(b))).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19])
  })

  it('is a clear error when the value space is smaller than the rows, or the kind cannot be unique', () => {
    expect(issuesOf({ columns: [{ name: 'n', kind: 'integer', min: 1, max: 50, unique: true }] }, 51)).toEqual([{ path: 'schema.columns.0.unique', message: 'only 50 distinct values exist, fewer than the 51 rows asked' }])
    expect(issuesOf({ columns: [{ name: 'c', kind: 'pattern', pattern: '##', unique: true }] }, 101)[0]!.message).toMatch(/only 100 distinct values/)
    expect(issuesOf({ columns: [{ name: 'f', kind: 'faker', method: 'person.firstName', unique: true }] })[0]).toEqual({ path: 'schema.columns.0.unique', message: expect.stringMatching(/not available for faker columns/) })
    expect(issuesOf({ columns: [{ name: 'n', kind: 'integer', min: 1, max: 1000, unique: true, distribution: { type: 'normal', mean: 5, sd: 1 } }] })[0]!.message).toMatch(/use a uniform distribution/)
  })
})

describe('correlations (Gaussian copula)', () => {
  const matrix = [[1, 0.8, -0.5], [0.8, 1, -0.3], [-0.5, -0.3, 1]]
  const input: GenerationSchemaInput = {
    columns: [
      { name: 'height', kind: 'float', distribution: { type: 'normal', mean: 170, sd: 10 }, decimals: 3 },
      { name: 'weight', kind: 'float', distribution: { type: 'lognormal', mu: 4.2, sigma: 0.2 }, decimals: 3 },
      { name: 'visits', kind: 'integer', min: 0, max: 1000, distribution: { type: 'exponential', rate: 0.05 } },
      { name: 'free', kind: 'float', min: 0, max: 1, decimals: 6 },
    ],
    correlations: [{ columns: ['height', 'weight', 'visits'], matrix }],
  }

  it('achieves the requested correlation of normal scores while every column keeps its marginal', () => {
    const n = 20_000
    const { column } = generate(input, n)
    const names = ['height', 'weight', 'visits']
    const scores = names.map(name => normalScores(column(name) as number[]))
    // Standard error of a correlation estimate is about (1 - r^2) / sqrt(n); allow 5 of them (+ ties in the integer column).
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < r; c++) {
        const requested = matrix[r]![c]!
        expect(Math.abs(pearson(scores[r]!, scores[c]!) - requested), `${names[r]}/${names[c]}`).toBeLessThan(5 * (1 - requested ** 2) / Math.sqrt(n) + 0.01)
      }
    }
    const schema = schemaOf(input)
    for (const [i, name] of [[0, 'height'], [1, 'weight']] as const) {
      const law = numericLaw(schema.columns[i] as Extract<Column, { kind: 'float' }>)
      expect(ksTest(column(name) as number[], law.cdf).statistic, name).toBeLessThan(ksCritical(n))
    }
    expect(Math.abs(pearson(normalScores(column('free') as number[]), scores[0]!))).toBeLessThan(5 / Math.sqrt(n))
  })

  it('rejects matrices that are not square, symmetric, unit-diagonal or positive definite, and non-numeric columns', () => {
    const withMatrix = (m: number[][], columns = ['height', 'weight', 'visits']) => issuesOf({ ...input, correlations: [{ columns, matrix: m }] })
    expect(withMatrix([[1, 0.5], [0.5, 1]])[0]!.message).toMatch(/must be 3×3/)
    expect(withMatrix([[1, 0.5, 0], [0.4, 1, 0], [0, 0, 1]])[0]).toEqual({ path: 'schema.correlations.0.matrix.1.0', message: expect.stringMatching(/symmetric/) })
    expect(withMatrix([[1, 0, 0], [0, 0.9, 0], [0, 0, 1]])[0]!.path).toBe('schema.correlations.0.matrix.1.1')
    expect(withMatrix([[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]])[0]!.message).toMatch(/not positive definite.*height, weight, visits/)
    expect(withMatrix([[1, 0], [0, 1]], ['height', 'nope'])[0]).toEqual({ path: 'schema.correlations.0.columns.1', message: 'unknown column "nope"' })
    expect(issuesOf({ columns: [{ name: 'a', kind: 'uuid' }, { name: 'b', kind: 'float', min: 0, max: 1 }], correlations: [{ columns: ['a', 'b'], matrix: [[1, 0], [0, 1]] }] })[0]!.message).toMatch(/"a" is a uuid column/)
  })
})

describe('conditioned correlation groups (a mixture of copulas)', () => {
  const input: GenerationSchemaInput = {
    columns: [
      { name: 'kind', kind: 'categorical', categories: [{ value: 'a', weight: 2 }, { value: 'b', weight: 1 }, { value: 'c', weight: 1 }] },
      { name: 'x', kind: 'float', distribution: { type: 'normal', mean: 0, sd: 1 }, decimals: 6 },
      // A conditional column in a group: the case chosen for the row draws from the copula.
      { name: 'y', kind: 'conditional', on: 'kind', cases: [
        { when: 'a', then: { kind: 'float', distribution: { type: 'normal', mean: 10, sd: 1 }, decimals: 6 } },
        { when: 'b', then: { kind: 'float', distribution: { type: 'normal', mean: -10, sd: 2 }, decimals: 6 } },
      ], default: { kind: 'float', min: 0, max: 1, decimals: 6 } },
    ],
    correlations: [
      { columns: ['x', 'y'], matrix: [[1, 0.9], [0.9, 1]], on: 'kind', when: 'a' },
      { columns: ['x', 'y'], matrix: [[1, -0.8], [-0.8, 1]], on: 'kind', when: ['b'] },
    ],
  }

  it('gives each slice its own correlation, each case its own marginal, and leaves other slices independent', () => {
    const n = 12_000
    const { column } = generate(input, n)
    const kinds = column('kind')
    for (const [slice, requested] of [['a', 0.9], ['b', -0.8], ['c', 0]] as const) {
      const rows = kinds.flatMap((k, i) => (k === slice ? [i] : []))
      const x = rows.map(i => column('x')[i] as number)
      const y = rows.map(i => column('y')[i] as number)
      const r = pearson(normalScores(x), normalScores(y))
      expect(Math.abs(r - requested), `${slice}: ${r}`).toBeLessThan(5 * (1 - requested ** 2) / Math.sqrt(rows.length) + 0.01)
      if (slice === 'b') expect(ksTest(y, numericLaw({ kind: 'float', distribution: { type: 'normal', mean: -10, sd: 2 }, decimals: 6 }).cdf).statistic).toBeLessThan(ksCritical(rows.length))
      if (slice === 'c') expect(y.every(v => v >= 0 && v <= 1)).toBe(true)
    }
    // The whole column x keeps its marginal.
    const law = numericLaw({ kind: 'float', distribution: { type: 'normal', mean: 0, sd: 1 }, decimals: 6 })
    expect(ksTest(column('x') as number[], law.cdf).statistic).toBeLessThan(ksCritical(n))
  })

  it('rejects overlapping slices, a group conditioned on its own column, unknown columns, and on without when', () => {
    const groups = (correlations: unknown[]) => issuesOf({ ...input, correlations } as GenerationSchemaInput)
    const m = [[1, 0.5], [0.5, 1]]
    expect(groups([{ columns: ['x', 'y'], matrix: m, on: 'kind', when: 'a' }, { columns: ['x', 'y'], matrix: m, on: 'kind', when: ['b', 'a'] }])[0])
      .toEqual({ path: 'schema.correlations.1.columns.0', message: '"x" is already in correlation group 0 for the same value of its on column' })
    expect(groups([{ columns: ['x', 'y'], matrix: m }, { columns: ['x', 'y'], matrix: m, on: 'kind', when: 'b' }])[0]!.message).toMatch(/"x" is already in correlation group 0/)
    expect(groups([{ columns: ['kind', 'x'], matrix: m, on: 'kind', when: 'a' }])[0]).toEqual({ path: 'schema.correlations.0.on', message: expect.stringMatching(/cannot be both/) })
    expect(groups([{ columns: ['x', 'y'], matrix: m, on: 'nope', when: 'a' }])[0]).toEqual({ path: 'schema.correlations.0.on', message: 'unknown column "nope"' })
    expect(() => schemaOf({ ...input, correlations: [{ columns: ['x', 'y'], matrix: m, on: 'kind' }] })).toThrow(/on and when go together/)
  })

  it('orders the columns of a conditioned group after the column it is on, wherever they are declared', () => {
    const reordered = { ...input, columns: [input.columns[2]!, input.columns[1]!, input.columns[0]!] }
    const a = generate(input, 500).column('y')
    expect(generate(reordered, 500).column('y')).toEqual(a)
  })
})

describe('unique columns beside columns whose type is probed', () => {
  it('compiles when the rows are fewer than the type probe would look at', () => {
    // A faker column's type is probed from the first rows; a unique column with exactly `rows` values must not be asked for more.
    const { column } = generate({ columns: [{ name: 'n', kind: 'integer', min: 1, max: 5, unique: true }, { name: 'f', kind: 'faker', method: 'number.int', args: [9] }] }, 5)
    expect([...column('n')].sort()).toEqual([1, 2, 3, 4, 5])
  })
})

describe('reproducible whatever the clock or the server time zone', () => {
  it('faker relative dates count from a fixed reference date', async () => {
    const input: GenerationSchemaInput = { columns: [{ name: 'd', kind: 'faker', method: 'date.recent' }] }
    const first = generate(input, 50).column('d')
    await new Promise(resolve => setTimeout(resolve, 20))
    expect(generate(input, 50).column('d')).toEqual(first)
    for (const v of first as string[]) expect(v < '2025-01-01T00:00:00.000Z' && v > '2024-12-30').toBe(true)
  })

  it('reads date-times without an offset as UTC, not in the server zone', () => {
    const previous = process.env.TZ
    process.env.TZ = 'America/New_York'
    try {
      const values = generate({ columns: [{ name: 't', kind: 'datetime', start: '2024-01-01T00:00:00', end: '2024-01-01T00:00:10' }] }, 200).column('t') as string[]
      for (const v of values) expect(v >= '2024-01-01T00:00:00.000Z' && v <= '2024-01-01T00:00:10.000Z').toBe(true)
    }
    finally {
      if (previous === undefined) delete process.env.TZ
      else process.env.TZ = previous
    }
  })
})

describe('unique refuses what could repeat', () => {
  it('refuses formats that merge values, and sequences past exact integers', () => {
    expect(issuesOf({ columns: [{ name: 't', kind: 'datetime', start: '2024-01-01T00:00:00Z', end: '2024-01-01T00:10:00Z', format: 'epoch_seconds', unique: true }] })[0]).toEqual({ path: 'schema.columns.0.unique', message: expect.stringMatching(/iso or epoch/) })
    expect(issuesOf({ columns: [{ name: 'd', kind: 'date', start: '2024-01-01', end: '2024-12-31', format: 'MM/DD', unique: true }] })[0]!.path).toBe('schema.columns.0.unique')
    expect(issuesOf({ columns: [{ name: 's', kind: 'sequence', start: 9007199254740990, unique: true }] })[0]!.path).toBe('schema.columns.0.start')
    expect(() => schemaOf({ columns: [{ name: 'c', kind: 'categorical', categories: [{ value: 1 }, { value: '1' }] }] })).toThrow(/duplicate category/)
  })
})

describe('faker arguments', () => {
  it('refuses sizes that would build gigantic values', () => {
    expect(() => schemaOf({ columns: [{ name: 'a', kind: 'faker', method: 'string.alpha', args: [{ length: 300_000_000 }] }] })).toThrow(/at most 10000/)
    expect(() => schemaOf({ columns: [{ name: 'a', kind: 'faker', method: 'lorem.paragraphs', args: [1e8] }] })).toThrow(/at most 10000/)
    expect(() => schemaOf({ columns: [{ name: 'a', kind: 'faker', method: 'number.int', args: [{ min: 0, max: 1e12 }] }] })).not.toThrow()
  })
})
