/**
 * Numeric distributions: sampling by inverse CDF (one uniform draw per value, so truncation needs no
 * rejection loop) and the CDFs the evaluator tests the output against.
 */
/// <reference path="../types/jstat.d.ts" />
import jStat from 'jstat'
import type { Column } from '../shared/schema.ts'

type NumericColumn = Extract<Column, { kind: 'integer' | 'float' }>

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity
  if (p >= 1) return Infinity
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239]
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1]
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416]
  const low = 0.02425
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p))
    return -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
  }
  const q = p - 0.5
  const r = q * q
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
}

/** Standard normal CDF (jstat). */
export function normalCdf(x: number): number {
  return jStat.normal.cdf(x, 0, 1)
}

/**
 * The continuous distribution behind a numeric column, on the interval it is drawn from: integers
 * are drawn continuously on [min - 0.5, max + 0.5] and rounded, so the same law describes both.
 */
export interface ContinuousLaw {
  /** Maps a uniform u in [0, 1) to a value. */
  quantile(u: number): number
  /** P(X <= x). */
  cdf(x: number): number
}

/** The law a numeric column samples from, truncated to its bounds. */
export function lawOf(column: NumericColumn): ContinuousLaw {
  const widen = column.kind === 'integer' ? 0.5 : 0
  const lo = column.min === undefined ? -Infinity : column.min - widen
  const hi = column.max === undefined ? Infinity : column.max + widen
  const dist = column.distribution
  if (dist.type === 'uniform') {
    const span = hi - lo
    return {
      quantile: u => lo + u * span,
      cdf: x => (x <= lo ? 0 : x >= hi ? 1 : (x - lo) / span),
    }
  }
  const pLo = normalCdf((lo - dist.mean) / dist.sd)
  const pHi = normalCdf((hi - dist.mean) / dist.sd)
  const mass = pHi - pLo
  return {
    quantile: u => {
      const x = dist.mean + dist.sd * normalQuantile(pLo + u * mass)
      return Math.min(hi, Math.max(lo, x))
    },
    cdf: x => (x <= lo ? 0 : x >= hi ? 1 : (normalCdf((x - dist.mean) / dist.sd) - pLo) / mass),
  }
}

/**
 * The CDF of a column's values as written: for integers, the law's mass up to k + 0.5; for floats,
 * the law itself (rounding to `decimals` is far below what a KS test of a sample can see).
 */
export function declaredCdf(column: NumericColumn): (x: number) => number {
  const law = lawOf(column)
  if (column.kind === 'float') return law.cdf
  return x => law.cdf(Math.floor(x) + 0.5)
}
