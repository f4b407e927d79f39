/// <reference path="../../types/jstat.d.ts" />
/**
 * Distributions: each becomes a law with a quantile function (one uniform draw per value, so
 * truncation to bounds is exact and needs no rejection loop) and the CDF the evaluator tests against.
 */
import jStat from 'jstat'
import { MAX_INTEGER_BOUND, type Distribution } from '../../shared/schema.ts'

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity
  if (p >= 1) return Infinity
  const low = 0.02425
  if (p < low || p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p))
    const x = (((((-7.784894002430293e-3 * q - 3.223964580411365e-1) * q - 2.400758277161838) * q - 2.549732539343734) * q + 4.374664141464968) * q + 2.938163982698783)
      / ((((7.784695709041462e-3 * q + 3.224671290700398e-1) * q + 2.445134137142996) * q + 3.754408661907416) * q + 1)
    return p < low ? x : -x
  }
  const q = p - 0.5
  const r = q * q
  return ((((((-3.969683028665376e1 * r + 2.209460984245205e2) * r - 2.759285104469687e2) * r + 1.38357751867269e2) * r - 3.066479806614716e1) * r + 2.506628277459239) * q)
    / (((((-5.447609879822406e1 * r + 1.615858368580409e2) * r - 1.556989798598866e2) * r + 6.680131188771972e1) * r - 1.328068155288572e1) * r + 1)
}

/**
 * Standard normal CDF: Hart's double-precision algorithm 5666 as given by G. West, "Better
 * approximations to cumulative normal functions" (2005): one exp and a rational function, several
 * times faster than jstat's erf series (the copula calls it for every correlated value).
 */
export function normalCdf(x: number): number {
  const a = x < 0 ? -x : x
  if (a > 37) return x > 0 ? 1 : 0
  const e = Math.exp(-a * a / 2)
  let tail: number
  if (a < 7.07106781186547) {
    const num = ((((((3.52624965998911e-2 * a + 0.700383064443688) * a + 6.37396220353165) * a + 33.912866078383) * a + 112.079291497871) * a + 221.213596169931) * a + 220.206867912376)
    const den = (((((((8.83883476483184e-2 * a + 1.75566716318264) * a + 16.064177579207) * a + 86.7807322029461) * a + 296.564248779674) * a + 637.333633378831) * a + 793.826512519948) * a + 440.413735824752)
    tail = (e * num) / den
  }
  else tail = e / (a + 1 / (a + 2 / (a + 3 / (a + 4 / (a + 0.65))))) / 2.506628274631
  return x > 0 ? 1 - tail : tail
}

/** A distribution restricted to an interval, as sampled and as tested. */
export interface Law {
  /** Maps a uniform u in [0, 1) to a value in the interval. */
  quantile(u: number): number
  /** P(X <= x). */
  cdf(x: number): number
  /** True when values are integers by nature (poisson, binomial). */
  discrete: boolean
  /** Why draws could not follow the law as declared (see lawOf); the schema is then refused. */
  problem?: LawProblem
}

interface BaseLaw {
  quantile(p: number): number
  cdf(x: number): number
  /** The natural support when no bound is given. */
  lo: number
  hi: number
}

/** Quantile by binary search and CDF by lookup over a cumulative table whose index 0 is the value `first`. */
function discreteFromTable(table: Float64Array, first: number): Pick<BaseLaw, 'quantile' | 'cdf'> {
  const last = table.length - 1
  return {
    cdf: k => (k < first ? 0 : k >= first + last ? 1 : table[Math.floor(k) - first]!),
    quantile: (p) => {
      let a = 0
      let b = last
      while (a < b) {
        const mid = (a + b) >>> 1
        // `> 0`: a draw of exactly 0 must not land on values without mass (jstat's table starts at k = 0).
        if (table[mid]! >= p && table[mid]! > 0) b = mid
        else a = mid + 1
      }
      return first + a
    },
  }
}

/**
 * The cumulative table of an integer-valued law on [0, hi] from jstat's probability mass, or null
 * where that mass is not exact: jstat computes it as λ^k e^-λ / k! and C(n, k) p^k (1-p)^(n-k), which
 * overflow (Infinity / Infinity = NaN) from λ ≈ 100 and n ≈ 1030 on. Kept for the laws where every
 * term is finite and they sum to 1 within what a 32-bit uniform resolves, so the seeded outputs of
 * those laws stay what they were, byte for byte.
 */
function directTable(pmf: (k: number) => number, hi: number): Float64Array | null {
  const table = new Float64Array(hi + 1)
  let acc = 0
  for (let k = 0; k <= hi; k++) {
    const mass = pmf(k)
    if (!Number.isFinite(mass)) return null
    table[k] = acc = Math.min(1, acc + mass)
  }
  return acc >= 1 - 2 ** -32 ? table : null
}

/** Mass, relative to the mode's, below which the tables built from the mode stop (the tail left out is far below 2^-53). */
const NEGLIGIBLE_RELATIVE_MASS = 1e-40

/**
 * The cumulative table of a unimodal integer law built outwards from its mode with the ratio
 * p(k+1) / p(k), then normalised: no factorial, power or exp is ever formed, so nothing overflows
 * whatever λ or n, and the table spans only the values holding mass (about ±14 standard deviations),
 * not [0, n]. A normal approximation would be cheaper still but is off by about skewness / 6 in the
 * CDF near the mode (0.7% for λ = 500), which a KS test of a million rows sees; this is exact.
 */
function tableFromMode(mode: number, lo: number, hi: number, ratioUp: (k: number) => number): { table: Float64Array; first: number } {
  const up: number[] = []
  for (let k = mode, w = 1; k < hi; k++) {
    w *= ratioUp(k)
    if (!(w > NEGLIGIBLE_RELATIVE_MASS)) break
    up.push(w)
  }
  const down: number[] = []
  for (let k = mode, w = 1; k > lo; k--) {
    w /= ratioUp(k - 1)
    if (!(w > NEGLIGIBLE_RELATIVE_MASS)) break
    down.push(w)
  }
  const weights = [...down.reverse(), 1, ...up]
  let total = 0
  for (const w of weights) total += w
  const table = new Float64Array(weights.length)
  let acc = 0
  weights.forEach((w, i) => (table[i] = acc = Math.min(1, acc + w / total)))
  table[table.length - 1] = 1
  return { table, first: mode - down.length }
}

function poissonLaw(lambda: number): BaseLaw {
  // Beyond 12 standard deviations the remaining mass is below 1e-30.
  const hi = Math.ceil(lambda + 12 * Math.sqrt(lambda) + 20)
  const direct = directTable(k => jStat.poisson.pdf(k, lambda), hi)
  if (direct) return { lo: 0, hi, ...discreteFromTable(direct, 0) }
  const { table, first } = tableFromMode(Math.floor(lambda), 0, Infinity, k => lambda / (k + 1))
  return { lo: 0, hi: first + table.length - 1, ...discreteFromTable(table, first) }
}

function binomialLaw(n: number, p: number): BaseLaw {
  const direct = directTable(k => jStat.binomial.pdf(k, n, p), n)
  if (direct) return { lo: 0, hi: n, ...discreteFromTable(direct, 0) }
  const odds = p / (1 - p)
  const { table, first } = tableFromMode(Math.min(n, Math.floor((n + 1) * p)), 0, n, k => ((n - k) / (k + 1)) * odds)
  return { lo: 0, hi: n, ...discreteFromTable(table, first) }
}

/** Points of the quantile tables of laws whose exact inverse is slow (gamma, beta). */
const QUANTILE_TABLE_POINTS = 4096

/**
 * The quantile function of a law with a slow inverse, tabulated once and linearly interpolated. The
 * CDF stays exact; the interpolation moves probabilities by less than 1 / QUANTILE_TABLE_POINTS / 4,
 * far below what a KS test of even millions of values can see.
 */
function tabulatedQuantile(inverse: (p: number) => number): (p: number) => number {
  const table = new Float64Array(QUANTILE_TABLE_POINTS + 1)
  for (let i = 0; i <= QUANTILE_TABLE_POINTS; i++) table[i] = inverse(Math.min(1 - 1e-12, Math.max(1e-12, i / QUANTILE_TABLE_POINTS)))
  return (p) => {
    const x = p * QUANTILE_TABLE_POINTS
    const i = Math.min(QUANTILE_TABLE_POINTS - 1, Math.floor(x))
    return table[i]! + (x - i) * (table[i + 1]! - table[i]!)
  }
}

/**
 * `value`, or where it overflowed (a triangular's products past 1.3e154), `scaled()`: the same formula
 * on ratios, which stays finite. The first form is kept wherever it is finite so outputs stay as they were.
 */
function finiteOr(value: number, scaled: () => number): number {
  return Number.isFinite(value) ? value : scaled()
}

function baseLaw(d: Distribution, min: number | undefined, max: number | undefined): BaseLaw {
  switch (d.type) {
    case 'uniform': {
      const lo = min!
      const span = max! - lo
      return { lo, hi: max!, quantile: p => lo + p * span, cdf: x => (x - lo) / span }
    }
    case 'normal':
      return { lo: -Infinity, hi: Infinity, quantile: p => d.mean + d.sd * normalQuantile(p), cdf: x => normalCdf((x - d.mean) / d.sd) }
    case 'lognormal':
      return { lo: 0, hi: Infinity, quantile: p => Math.exp(d.mu + d.sigma * normalQuantile(p)), cdf: x => (x <= 0 ? 0 : normalCdf((Math.log(x) - d.mu) / d.sigma)) }
    case 'exponential':
      return { lo: 0, hi: Infinity, quantile: p => -Math.log1p(-p) / d.rate, cdf: x => (x <= 0 ? 0 : -Math.expm1(-d.rate * x)) }
    case 'gamma':
      return { lo: 0, hi: Infinity, quantile: tabulatedQuantile(p => jStat.gamma.inv(p, d.shape, d.scale)), cdf: x => (x <= 0 ? 0 : jStat.gamma.cdf(x, d.shape, d.scale)) }
    case 'beta': {
      // Beta lives on [0, 1]; bounds rescale it rather than truncate it.
      const lo = min ?? 0
      const span = (max ?? 1) - lo
      return {
        lo, hi: lo + span,
        quantile: (inverse => (p: number) => lo + span * inverse(p))(tabulatedQuantile(p => jStat.beta.inv(p, d.alpha, d.beta))),
        cdf: x => jStat.beta.cdf(Math.min(1, Math.max(0, (x - lo) / span)), d.alpha, d.beta),
      }
    }
    case 'triangular': {
      const a = min!
      const b = max!
      const c = d.mode
      const fc = b > a ? (c - a) / (b - a) : 0.5
      return {
        lo: a, hi: b,
        quantile: p => finiteOr(p < fc ? a + Math.sqrt(p * (b - a) * (c - a)) : b - Math.sqrt((1 - p) * (b - a) * (b - c)),
          () => (p < fc ? a + (b - a) * Math.sqrt(p * fc) : b - (b - a) * Math.sqrt((1 - p) * (1 - fc)))),
        cdf: x => (x <= a ? 0 : x >= b ? 1 : finiteOr(x <= c ? ((x - a) ** 2) / ((b - a) * (c - a)) : 1 - ((b - x) ** 2) / ((b - a) * (b - c)),
          () => (x <= c ? ((x - a) / (b - a)) * ((x - a) / (c - a)) : 1 - ((b - x) / (b - a)) * ((b - x) / (b - c))))),
      }
    }
    case 'poisson':
      return poissonLaw(d.lambda)
    case 'binomial':
      return binomialLaw(d.n, d.p)
  }
}

/**
 * Smallest share of the probability below the top of [min, max] that [min, max] must hold: a draw is
 * `pLo + u * mass` in doubles, so a smaller mass leaves fewer than about a million distinct draws.
 */
const MIN_RELATIVE_MASS = 2 ** 20 * Number.EPSILON

/** Where a quantile is infinite (a normal's at 0 and 1), it is taken 2^-53 of the mass inside the ends instead. */
const P_EDGE = 2 ** -53

/** The parameter that stretches each distribution's values, named when they overflow. */
const SCALE_FIELD: Partial<Record<Distribution['type'], string>> = { normal: 'sd', lognormal: 'sigma', exponential: 'rate', gamma: 'scale' }

/** Why a law cannot be drawn as declared, and the field of the column to change. */
export interface LawProblem {
  path: string[]
  message: string
}

/**
 * The law of a column's values: `distribution` truncated to [min, max] (for integers, drawn
 * continuously on [min - 0.5, max + 0.5] and rounded, so the same law describes both). `problem` says
 * when draws could not follow it: [min, max] holds too little of its probability to resolve, its
 * values overflow what the column holds on a side left unbounded (±Number.MAX_VALUE for floats,
 * ±2^52 for integers: there they would be clamped, or written as null), or it cannot be computed.
 * Quantiles are monotone, so their two ends decide this for every draw.
 */
export function lawOf(distribution: Distribution, min: number | undefined, max: number | undefined, integer: boolean): Law {
  const discrete = distribution.type === 'poisson' || distribution.type === 'binomial'
  const widen = integer && !discrete ? 0.5 : 0
  const from = min === undefined ? undefined : min - widen
  const to = max === undefined ? undefined : max + widen
  const base = baseLaw(distribution, from, to)
  const lo = Math.max(base.lo, from ?? -Infinity)
  const hi = Math.min(base.hi, to ?? Infinity)
  // For a discrete law, the mass below `lo` is everything up to lo - 1.
  const pLo = discrete ? base.cdf(lo - 1) : lo === -Infinity ? 0 : base.cdf(lo)
  const pHi = hi === Infinity ? 1 : base.cdf(hi)
  const mass = pHi - pLo
  if (!(mass > 0 && mass >= MIN_RELATIVE_MASS * pHi)) {
    // The bounds hold (almost) no probability: fall back to the bounds themselves.
    const message = `[min, max] holds too little of this ${distribution.type}'s probability (${mass > 0 ? mass : 'below what doubles resolve'}) for draws to follow it: widen the bounds or move the distribution`
    return { discrete, quantile: () => (Number.isFinite(lo) ? lo : hi), cdf: x => (x < lo ? 0 : 1), problem: { path: ['distribution'], message } }
  }
  const quantile = (u: number) => {
    const p = pLo + u * mass
    let x = base.quantile(p)
    if (!Number.isFinite(x)) x = base.quantile(u < 0.5 ? pLo + mass * P_EDGE : Math.min(1 - P_EDGE, pLo + mass * (1 - P_EDGE)))
    return x < lo ? lo : x > hi ? hi : x
  }
  return {
    discrete,
    quantile,
    cdf: x => (x < lo ? 0 : x >= hi ? 1 : Math.min(1, Math.max(0, (base.cdf(x) - pLo) / mass))),
    problem: rangeProblem(distribution, quantile(0), quantile(1), integer ? { min, max, limit: MAX_INTEGER_BOUND } : { min, max, limit: Number.MAX_VALUE }),
  }
}

/** The problem of a law whose lowest and highest draws are `first` and `last`, if it has one (see lawOf). */
function rangeProblem(distribution: Distribution, first: number, last: number, column: { min?: number; max?: number; limit: number }): LawProblem | undefined {
  if (Number.isNaN(first) || Number.isNaN(last)) return { path: ['distribution'], message: `${distribution.type} cannot be computed with these parameters` }
  const below = column.min === undefined && !(first >= -column.limit)
  const above = column.max === undefined && !(last <= column.limit)
  if (!below && !above) return undefined
  const field = SCALE_FIELD[distribution.type]
  return {
    path: field ? ['distribution', field] : ['distribution'],
    message: `values of this ${distribution.type} reach beyond ${above ? '' : '-'}${column.limit}, more than the column holds: give it ${above ? 'a max' : 'a min'}${field ? ` or a ${field === 'rate' ? 'larger' : 'smaller'} ${field}` : ''}`,
  }
}

/**
 * The lower-triangular Cholesky factor (row-major) of a symmetric matrix, or null when the matrix is
 * not positive definite (no Gaussian vector has these correlations).
 */
export function choleskyOrNull(matrix: number[][]): Float64Array | null {
  const n = matrix.length
  const factor = new Float64Array(n * n)
  for (let r = 0; r < n; r++) {
    for (let c = 0; c <= r; c++) {
      let sum = matrix[r]![c]!
      for (let k = 0; k < c; k++) sum -= factor[r * n + k]! * factor[c * n + k]!
      if (r === c) {
        if (sum <= 1e-12) return null
        factor[r * n + r] = Math.sqrt(sum)
      }
      else factor[r * n + c] = sum / factor[c * n + c]!
    }
  }
  return factor
}
