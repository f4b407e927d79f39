/**
 * The statistics the reports and the fit share: one-sample KS and chi-square tests, normal scores and
 * Pearson's correlation, frequencies and the contingency tables behind Cramér's V. Pure functions of
 * their inputs; no schema, no rows.
 */
/// <reference path="../../types/jstat.d.ts" />
import jStat from 'jstat'
import { normalQuantile } from '../schema/distributions.ts'

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
