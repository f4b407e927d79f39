/**
 * The quality of look-alike rows against the real sample, with SDMetrics' QualityReport formulas so
 * the numbers can be reproduced there: Column Shapes (KSComplement for numbers and dates,
 * TVComplement for categories; missing values dropped), Column Pair Trends (CorrelationSimilarity
 * with Pearson for two numeric columns; ContingencySimilarity otherwise, numbers cut into 10 bins),
 * averaged over the pairs related in the real data (|r| > 0.5, Cramér's V > 0.3) with the all-pairs
 * average beside it; quality = mean of the two.
 */

import type { CellValue } from '../shared/schema.ts'
import { pearson } from './evaluate.ts'
import { parseDateLike, parseNumber, readRows } from './fit.ts'
import { NULL_TOKENS, type DatasetProfile } from './profile.ts'

export type QualityKind = 'numerical' | 'categorical'

export interface QualityColumn {
  name: string
  kind: QualityKind
  /** Real and synthetic values: numbers (dates as epoch ms) or category labels; null for missing. */
  real: (number | string | null)[]
  synthetic: (number | string | null)[]
}

export interface QualityReport {
  quality_score: number
  column_shapes: number
  column_pair_trends: number
  /** Pair trends averaged over every pair, related in the real data or not. */
  column_pair_trends_all_pairs: number
  columns: Record<string, { metric: 'KSComplement' | 'TVComplement'; score: number }>
  pairs: Record<string, { metric: 'CorrelationSimilarity' | 'ContingencySimilarity'; score: number; real_association: number; related: boolean }>
  real_rows: number
  synthetic_rows: number
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN)
const numbers = (xs: (number | string | null)[]) => xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x))
const labels = (xs: (number | string | null)[]) => xs.filter(x => x !== null).map(String)

/** 1 − the two-sample KS statistic. */
export function ksComplement(real: number[], synthetic: number[]): number {
  const a = Float64Array.from(real).sort()
  const b = Float64Array.from(synthetic).sort()
  let i = 0
  let j = 0
  let d = 0
  while (i < a.length && j < b.length) {
    const x = Math.min(a[i]!, b[j]!)
    while (i < a.length && a[i] === x) i++
    while (j < b.length && b[j] === x) j++
    d = Math.max(d, Math.abs(i / a.length - j / b.length))
  }
  return 1 - d
}

function frequencies(values: string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  for (const [k, c] of counts) counts.set(k, c / values.length)
  return counts
}

/** 1 − the total variation distance between category frequencies. */
export function tvComplement(real: string[], synthetic: string[]): number {
  const p = frequencies(real)
  const q = frequencies(synthetic)
  let sum = 0
  for (const key of new Set([...p.keys(), ...q.keys()])) sum += Math.abs((p.get(key) ?? 0) - (q.get(key) ?? 0))
  return 1 - sum / 2
}

/** Bins a numeric value by the real column's 10 equal-width bins (as SDMetrics discretises). */
function binner(real: number[]): (x: number) => string {
  let lo = Infinity
  let hi = -Infinity
  for (const x of real) {
    if (x < lo) lo = x
    if (x > hi) hi = x
  }
  const width = (hi - lo) / 10 || 1
  return x => String(Math.max(0, Math.min(9, Math.floor((x - lo) / width))))
}

/** Joint frequencies of two label columns over the rows where both are present. */
function joint(a: (string | null)[], b: (string | null)[]): Map<string, number> {
  const pairs: string[] = []
  for (let i = 0; i < a.length; i++) if (a[i] !== null && b[i] !== null) pairs.push(`${a[i]}\u0000${b[i]}`)
  return frequencies(pairs)
}

function cramersV(a: (string | null)[], b: (string | null)[]): number {
  const rows: [string, string][] = []
  for (let i = 0; i < a.length; i++) if (a[i] !== null && b[i] !== null) rows.push([a[i]!, b[i]!])
  const n = rows.length
  if (!n) return 0
  const ca = frequencies(rows.map(r => r[0]))
  const cb = frequencies(rows.map(r => r[1]))
  const cab = frequencies(rows.map(r => `${r[0]}\u0000${r[1]}`))
  let chi2 = 0
  for (const [ka, pa] of ca) {
    for (const [kb, pb] of cb) {
      const expected = pa * pb
      chi2 += ((cab.get(`${ka}\u0000${kb}`) ?? 0) - expected) ** 2 / expected
    }
  }
  const k = Math.min(ca.size, cb.size) - 1
  return k > 0 ? Math.sqrt(chi2 / k) : 0
}

/** The quality report of synthetic columns against real ones. */
export function qualityReport(columns: QualityColumn[]): QualityReport {
  const columnScores: QualityReport['columns'] = {}
  for (const column of columns) {
    columnScores[column.name] = column.kind === 'numerical'
      ? { metric: 'KSComplement', score: ksComplement(numbers(column.real), numbers(column.synthetic)) }
      : { metric: 'TVComplement', score: tvComplement(labels(column.real), labels(column.synthetic)) }
  }
  const pairs: QualityReport['pairs'] = {}
  for (let i = 0; i < columns.length; i++) {
    for (let j = i + 1; j < columns.length; j++) {
      const a = columns[i]!
      const b = columns[j]!
      const key = `${a.name}|${b.name}`
      if (a.kind === 'numerical' && b.kind === 'numerical') {
        const both = (xs: typeof a.real, ys: typeof b.real) => {
          const px: number[] = []
          const py: number[] = []
          xs.forEach((x, k) => {
            const y = ys[k]
            if (typeof x === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y)) {
              px.push(x)
              py.push(y)
            }
          })
          return pearson(px, py)
        }
        const realR = both(a.real, b.real)
        const synthR = both(a.synthetic, b.synthetic)
        pairs[key] = { metric: 'CorrelationSimilarity', score: 1 - Math.abs(realR - synthR) / 2, real_association: realR, related: Math.abs(realR) > 0.5 }
        continue
      }
      const asLabels = (column: QualityColumn, side: 'real' | 'synthetic') => {
        if (column.kind === 'categorical') return column[side].map(v => (v === null ? null : String(v)))
        const bin = binner(numbers(column.real))
        return column[side].map(v => (typeof v === 'number' && Number.isFinite(v) ? bin(v) : null))
      }
      const realA = asLabels(a, 'real')
      const realB = asLabels(b, 'real')
      const p = joint(realA, realB)
      const q = joint(asLabels(a, 'synthetic'), asLabels(b, 'synthetic'))
      let sum = 0
      for (const k of new Set([...p.keys(), ...q.keys()])) sum += Math.abs((p.get(k) ?? 0) - (q.get(k) ?? 0))
      const v = cramersV(realA, realB)
      pairs[key] = { metric: 'ContingencySimilarity', score: 1 - sum / 2, real_association: v, related: v > 0.3 }
    }
  }
  const shapes = mean(Object.values(columnScores).map(c => c.score))
  const allPairs = mean(Object.values(pairs).map(p => p.score))
  const related = Object.values(pairs).filter(p => p.related)
  const trends = related.length ? mean(related.map(p => p.score)) : allPairs
  return {
    quality_score: Number.isNaN(trends) ? shapes : (shapes + trends) / 2,
    column_shapes: shapes,
    column_pair_trends: trends,
    column_pair_trends_all_pairs: allPairs,
    columns: columnScores,
    pairs,
    real_rows: columns[0]?.real.length ?? 0,
    synthetic_rows: columns[0]?.synthetic.length ?? 0,
  }
}

/**
 * The quality of a job's sampled rows against the dataset its model was fitted to: numbers and dates
 * as numbers, categories and booleans as labels; ids, PII and free text are re-synthesised, so (like
 * SDMetrics, which skips id and PII columns) they are not scored.
 */
export async function fittedQuality(path: string, profile: DatasetProfile, sample: CellValue[][], seed = 0): Promise<QualityReport> {
  const real = await readRows(path, profile, seed)
  const columns: QualityColumn[] = []
  profile.columns.forEach((column, i) => {
    const kind: QualityKind | undefined = column.type === 'categorical' || column.type === 'boolean' ? 'categorical'
      : ['integer', 'number', 'date', 'datetime'].includes(column.type) ? 'numerical' : undefined
    if (!kind) return
    const isDate = column.type === 'date' || column.type === 'datetime'
    const epoch = column.type === 'datetime' && column.examples.every(e => /^\d{10}(\d{3})?$/.test(e))
    const asValue = (v: unknown): number | string | null => {
      if (v === null || v === undefined) return null
      const text = String(v).trim()
      if (NULL_TOKENS.has(text)) return null
      if (kind === 'categorical') return text
      return isDate && !epoch ? parseDateLike(text) : parseNumber(text)
    }
    columns.push({ name: column.name, kind, real: real.map(r => asValue(r[i])), synthetic: sample.map(r => asValue(r[i])) })
  })
  return qualityReport(columns)
}
