/**
 * The evaluator for schema jobs: how well the output matches what the schema declared. Exact counts
 * (nulls, categories) come from every row; distribution tests use the run's seeded sample, so memory
 * stays bounded whatever the output size. This is where the KS and chi-square metrics live.
 */
/// <reference path="../../types/jstat.d.ts" />
import jStat from 'jstat'
import type { CategoricalReport, CellValue, Column, ColumnReport, DatasetSchema, SchemaJobMetrics, TestResult, ValueSpec } from '../../shared/schema.ts'
import { empiricalLaw, numericLaw, rangeGrid, rangeLaw } from '../schema/laws.ts'
import { DAY_MS, parseDateLike, secondsOfDay } from '../time/datetime.ts'
import { normalQuantile } from '../schema/distributions.ts'
import type { GenerationSummary } from '../run/generate.ts'

/**
 * Kolmogorov's limiting distribution: P(√n·D > λ), with Stephens' small-sample correction applied by
 * the caller.
 */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda <= 0) return 1
  let sum = 0
  for (let k = 1; k <= 100; k++) {
    const term = 2 * (k % 2 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda)
    sum += term
    if (Math.abs(term) < 1e-12) break
  }
  return Math.min(1, Math.max(0, sum))
}

/**
 * One-sample KS test. `cdfAt(x)` is P(X <= x) and `cdfBefore(x)` is P(X < x): equal for continuous
 * laws, different for discrete ones (integers, dates), where the test is then conservative.
 */
export function ksTest(values: number[], cdfAt: (x: number) => number, cdfBefore: (x: number) => number = cdfAt): { statistic: number; p_value: number } {
  const n = values.length
  if (n === 0) return { statistic: 0, p_value: 1 }
  const sorted = Float64Array.from(values).sort()
  let d = 0
  for (let i = 0; i < n;) {
    const x = sorted[i]!
    let j = i
    while (j < n && sorted[j] === x) j++
    d = Math.max(d, Math.abs(i / n - cdfBefore(x)), Math.abs(j / n - cdfAt(x)))
    i = j
  }
  const sqrtN = Math.sqrt(n)
  return { statistic: d, p_value: kolmogorovSurvival((sqrtN + 0.12 + 0.11 / sqrtN) * d) }
}

/** Pearson's chi-square goodness of fit of observed counts against expected proportions. */
export function chiSquareTest(observed: number[], expectedShare: number[]): { statistic: number; p_value: number; df: number } {
  const total = observed.reduce((a, b) => a + b, 0)
  const cells = observed.map((o, i) => ({ o, e: expectedShare[i]! * total })).filter(c => c.e > 0)
  const statistic = cells.reduce((sum, { o, e }) => sum + ((o - e) ** 2) / e, 0)
  const df = Math.max(1, cells.length - 1)
  return { statistic, df, p_value: total === 0 ? 1 : 1 - jStat.chisquare.cdf(statistic, df) }
}

interface TestableLaw {
  at(x: number): number
  before(x: number): number
  toNumber(v: CellValue): number
}

/**
 * How a written date/time value maps back to the grid it was drawn on: the number it stands for (ms,
 * or seconds for times) and how wide a step of the grid one written value covers.
 */
function writtenValue(column: Extract<ValueSpec, { kind: 'datetime' | 'date' | 'time' }>): { toNumber(v: CellValue): number; width: number } | undefined {
  if (column.kind === 'date') return column.format === 'YYYY-MM-DD' ? { toNumber: v => Date.parse(String(v)), width: DAY_MS } : undefined
  if (column.kind === 'time') return column.format === 'HH:mm:ss' ? { toNumber: v => secondsOfDay(String(v)), width: 1 } : undefined
  if (column.format === 'iso') return { toNumber: v => Date.parse(String(v)), width: 1 }
  if (column.format === 'epoch') return { toNumber: Number, width: 1 }
  if (column.format === 'epoch_seconds') return { toNumber: v => Number(v) * 1000, width: 1000 }
  return undefined // a custom pattern is not parsed back
}

/** The declared CDF pair of a column whose values can be tested with KS, as numbers. */
function declaredLaw(column: Column | ValueSpec): TestableLaw | undefined {
  if (column.kind === 'integer' || column.kind === 'float') {
    const law = numericLaw(column)
    if (column.kind === 'float') return { at: law.cdf, before: law.cdf, toNumber: Number }
    if (law.discrete) return { at: law.cdf, before: x => law.cdf(x - 1), toNumber: Number }
    return { at: x => law.cdf(x + 0.5), before: x => law.cdf(x - 0.5), toNumber: Number }
  }
  if (column.kind === 'empirical' && (column.output === 'number' || column.output === 'integer')) {
    const law = empiricalLaw(column.values)
    if (column.output === 'number') return { at: law.cdf, before: law.cdf, toNumber: Number }
    return { at: x => law.cdf(x + 0.5), before: x => law.cdf(x - 0.5), toNumber: Number }
  }
  if (column.kind === 'datetime' || column.kind === 'date' || column.kind === 'time') {
    const written = writtenValue(column)
    if (!written) return undefined
    const law = rangeLaw(column)
    const grid = rangeGrid(column)
    const total = grid.count * grid.unit
    return {
      toNumber: written.toNumber,
      at: x => law.cdf((x + written.width - grid.start) / total),
      before: x => law.cdf((x - grid.start) / total),
    }
  }
  return undefined
}

function summarise(values: number[]) {
  const n = values.length
  let min = Infinity
  let max = -Infinity
  let sum = 0
  for (const v of values) {
    sum += v
    if (v < min) min = v
    if (v > max) max = v
  }
  const mean = sum / n
  const variance = values.reduce((acc, v) => acc + (v - mean) ** 2, 0) / Math.max(1, n - 1)
  return { mean, sd: Math.sqrt(variance), min, max }
}

const HISTOGRAM_BINS = 20

function histogram(values: number[], at: (x: number) => number, before: (x: number) => number) {
  const { min, max } = summarise(values)
  const width = (max - min) / HISTOGRAM_BINS || 1
  const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) => min + i * width)
  const observed = new Array<number>(HISTOGRAM_BINS).fill(0)
  for (const v of values) observed[Math.min(HISTOGRAM_BINS - 1, Math.floor((v - min) / width))]!++
  const mass = at(max) - before(min) || 1
  const expected = observed.map((_, i) => {
    const lo = i === 0 ? before(min) : at(edges[i]!)
    const hi = i === HISTOGRAM_BINS - 1 ? at(max) : at(edges[i + 1]!)
    return ((hi - lo) / mass) * values.length
  })
  return { edges, observed, expected }
}

const valueKey = (v: CellValue) => String(v)

/**
 * Van der Waerden normal scores: Φ⁻¹((rank − ½) / n), ties sharing their average rank. Ranks come
 * from a numeric sort of the values and a binary search per value (no comparator calls). NaN equals
 * nothing: each NaN ranks alone, after the numbers, in the order given.
 */
export function normalScores(values: number[]): number[] {
  const n = values.length
  const sorted = Float64Array.from(values).sort()
  let nan = sorted.findIndex(Number.isNaN)
  const scores = new Array<number>(n)
  for (let k = 0; k < n; k++) {
    const v = values[k]!
    // The value's tie block is sorted[i] up to sorted[j - 1].
    let i: number
    let j: number
    if (Number.isNaN(v)) j = (i = nan++) + 1
    else {
      i = 0
      j = nan < 0 ? n : nan
      for (let hi = j; i < hi;) {
        const mid = (i + hi) >>> 1
        if (sorted[mid]! < v) i = mid + 1
        else hi = mid
      }
      for (let lo = i; lo < j;) {
        const mid = (lo + j) >>> 1
        if (sorted[mid]! <= v) lo = mid + 1
        else j = mid
      }
    }
    scores[k] = normalQuantile(((i + j + 1) / 2 - 0.5) / n)
  }
  return scores
}

/** Pearson correlation (0 when either side is constant). */
export function pearson(a: number[], b: number[]): number {
  const n = a.length
  if (n < 2) return 0
  const ma = a.reduce((x, y) => x + y, 0) / n
  const mb = b.reduce((x, y) => x + y, 0) / n
  let sab = 0
  let saa = 0
  let sbb = 0
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb)
    saa += (a[i]! - ma) ** 2
    sbb += (b[i]! - mb) ** 2
  }
  return saa && sbb ? sab / Math.sqrt(saa * sbb) : 0
}

/** A value as the number a copula orders it by: categories (and booleans) by their declared position. */
function copulaNumber(spec: Column | ValueSpec): (v: CellValue) => number {
  if (spec.kind === 'categorical') {
    const position = new Map<CellValue, number>(spec.categories.map((c, k) => [c.value, k]))
    return v => position.get(v) ?? Number.NaN
  }
  if (spec.kind === 'boolean') return v => (v === true ? 0 : 1)
  // Fitted dates are written in the source's format: read back in it (epoch numbers as they are).
  if (spec.kind === 'empirical' && (spec.output === 'date' || spec.output === 'datetime') && !/^epoch/.test(spec.format ?? '')) return v => parseDateLike(String(v))
  return declaredLaw(spec)?.toNumber ?? Number
}

/** The quality report of a schema job. */
export function evaluateSchemaJob(schema: DatasetSchema, summary: GenerationSummary): SchemaJobMetrics {
  const { sample, rows } = summary
  const columns: Record<string, ColumnReport> = {}
  const categoricals: Record<string, CategoricalReport> = {}
  const ksComplements: number[] = []

  schema.columns.forEach((column, index) => {
    // Hidden columns are not in the output, so the report leaves them out (correlations still use them).
    if (column.hidden) return
    const values = sample.map(r => r[index]!).filter(v => v !== null)
    const report: ColumnReport = {
      kind: column.kind,
      null_rate: { declared: column.null_rate, observed: rows ? summary.nulls[index]! / rows : 0 },
      distinct_ratio: values.length ? new Set(values).size / values.length : 1,
    }
    const law = declaredLaw(column)
    const numbers = law ? values.map(law.toNumber).filter(Number.isFinite) : []
    if (law && numbers.length) {
      const ks = ksTest(numbers, law.at, law.before)
      report.ks = { ...ks, sample_size: numbers.length }
      report.summary = summarise(numbers)
      report.histogram = histogram(numbers, law.at, law.before)
      ksComplements.push(1 - ks.statistic)
    }
    columns[column.name] = report

    const counts = summary.counts[index]
    // A unique categorical column is drawn without replacement, not by its weights.
    if (counts && !column.unique && (column.kind === 'categorical' || column.kind === 'boolean')) {
      const labels = column.kind === 'categorical' ? column.categories.map(c => valueKey(c.value)) : ['true', 'false']
      const weights = column.kind === 'categorical' ? column.categories.map(c => c.weight) : [column.probability, 1 - column.probability]
      const totalWeight = weights.reduce((a, b) => a + b, 0)
      const declaredShare = weights.map(w => w / totalWeight)
      const nonNull = counts.reduce((a, b) => a + b, 0)
      const observedShare = counts.map(c => (nonNull ? c / nonNull : 0))
      categoricals[column.name] = {
        declared: Object.fromEntries(labels.map((l, i) => [l, declaredShare[i]!])),
        observed: Object.fromEntries(labels.map((l, i) => [l, observedShare[i]!])),
        tv_distance: observedShare.reduce((acc, o, i) => acc + Math.abs(o - declaredShare[i]!), 0) / 2,
        chi_square: chiSquareTest(counts, declaredShare),
      }
    }
  })

  const correlations = (schema.correlations ?? []).map((group) => {
    const indexes = group.columns.map(name => schema.columns.findIndex(c => c.name === name))
    const on = group.on === undefined ? -1 : schema.columns.findIndex(c => c.name === group.on)
    const when = new Set<CellValue>(Array.isArray(group.when) ? group.when : [group.when ?? null])
    // Numbers as written; categories (and booleans) by their position in the declared order, which is
    // how the copula gives them slices of [0, 1]; a conditional column as its case for the row.
    const toNumbers = indexes.map((i) => {
      const column = schema.columns[i]!
      if (column.kind !== 'conditional') return copulaNumber(column)
      const cases = new Map<CellValue, (v: CellValue) => number>()
      for (const c of column.cases) {
        const convert = copulaNumber(c.then)
        for (const value of Array.isArray(c.when) ? c.when : [c.when]) if (!cases.has(value)) cases.set(value, convert)
      }
      const fallback = column.default ? copulaNumber(column.default) : Number
      const onIndex = schema.columns.findIndex(c => c.name === column.on)
      return (v: CellValue, row: CellValue[]) => (cases.get(row[onIndex] ?? null) ?? fallback)(v)
    })
    const rowsWithValues = sample.filter(r => (on < 0 || when.has(r[on] ?? null)) && indexes.every(i => r[i] !== null))
    const scores = indexes.map((i, k) => normalScores(rowsWithValues.map(r => toNumbers[k]!(r[i]!, r))))
    const achieved = scores.map(a => scores.map(b => pearson(a, b)))
    const maxError = Math.max(...achieved.flatMap((row, r) => row.map((v, c) => Math.abs(v - group.matrix[r]![c]!))))
    const condition = group.on === undefined ? {} : { on: group.on, when: [...when] }
    return { columns: group.columns, ...condition, requested: group.matrix, achieved, max_abs_error: maxError, sample_size: rowsWithValues.length }
  })

  const rowKeys = new Set(sample.map(r => JSON.stringify(r)))
  const duplicateRows = sample.length - rowKeys.size
  return nonFiniteAsNull({
    kind: 'schema',
    rows,
    sample_size: sample.length,
    utility: {
      ks_complement: ksComplements.length ? ksComplements.reduce((a, b) => a + b, 0) / ksComplements.length : null,
      columns,
    },
    categoricals,
    correlations,
    privacy_lite: { sample_size: sample.length, duplicate_rows: duplicateRows, duplicate_rate: sample.length ? duplicateRows / sample.length : 0 },
  })
}

/**
 * `report` with every NaN or ±Infinity (a statistic that is undefined: a law that cannot be evaluated,
 * a sum that overflows) written as null, which is what the report's schema expects there: JSON has no
 * other way to say it. Applies to any report (schema jobs' and the quality report).
 */
export function nonFiniteAsNull<T>(report: T): T {
  return JSON.parse(JSON.stringify(report)) as T
}

/** Share of each distinct value. */
export function frequencies(values: string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  for (const [k, c] of counts) counts.set(k, c / values.length)
  return counts
}

/**
 * Codes for contingency tables, as SDMetrics discretises: categories by label (in order of first
 * appearance, the real values first), numbers by the real column's 10 equal-width bins; -1 for a
 * missing value. `size` is the number of codes so far.
 */
export function contingencyCoder(kind: 'numerical' | 'categorical', real: ArrayLike<number | string | null>): { code: (v: number | string | null) => number; size: () => number } {
  if (kind === 'numerical') {
    let lo = Infinity
    let hi = -Infinity
    for (let i = 0; i < real.length; i++) {
      const x = real[i]
      if (typeof x !== 'number' || !Number.isFinite(x)) continue
      if (x < lo) lo = x
      if (x > hi) hi = x
    }
    const width = (hi - lo) / 10 || 1
    return { code: v => (typeof v === 'number' && Number.isFinite(v) ? Math.max(0, Math.min(9, Math.floor((v - lo) / width))) : -1), size: () => 10 }
  }
  const dictionary = new Map<string, number>()
  const code = (v: number | string | null) => {
    if (v === null) return -1
    const label = String(v)
    let c = dictionary.get(label)
    if (c === undefined) dictionary.set(label, (c = dictionary.size))
    return c
  }
  for (let i = 0; i < real.length; i++) code(real[i]!)
  return { code, size: () => dictionary.size }
}

/** Shares of each (a, b) code pair over the rows where both are present, keyed a × sizeB + b. */
export function jointShares(a: Int32Array, sizeA: number, b: Int32Array, sizeB: number): Map<number, number> {
  const shares = new Map<number, number>()
  let n = 0
  if (sizeA * sizeB <= 1 << 16) {
    // Small tables (the usual case) count in a typed array.
    const counts = new Float64Array(sizeA * sizeB)
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!
      const y = b[i]!
      if (x >= 0 && y >= 0) {
        counts[x * sizeB + y]!++
        n++
      }
    }
    for (let k = 0; k < counts.length; k++) if (counts[k]) shares.set(k, counts[k]! / n)
    return shares
  }
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!
    const y = b[i]!
    if (x < 0 || y < 0) continue
    const key = x * sizeB + y
    shares.set(key, (shares.get(key) ?? 0) + 1)
    n++
  }
  for (const [key, count] of shares) shares.set(key, count / n)
  return shares
}

/** Cramér's V from joint shares: φ² = Σ p(a,b)² / (p(a) p(b)) − 1 over the observed cells, V = √(φ² / (min(ka, kb) − 1)). */
export function cramersVOf(shares: Map<number, number>, sizeB: number): number {
  const pa = new Map<number, number>()
  const pb = new Map<number, number>()
  for (const [key, p] of shares) {
    const x = Math.floor(key / sizeB)
    const y = key - x * sizeB
    pa.set(x, (pa.get(x) ?? 0) + p)
    pb.set(y, (pb.get(y) ?? 0) + p)
  }
  let phi2 = -1
  for (const [key, p] of shares) {
    const x = Math.floor(key / sizeB)
    phi2 += (p * p) / (pa.get(x)! * pb.get(key - x * sizeB)!)
  }
  const k = Math.min(pa.size, pb.size) - 1
  return k > 0 ? Math.sqrt(Math.max(0, phi2) / k) : 0
}
