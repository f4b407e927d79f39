/**
 * The quality of look-alike rows against the real sample, with SDMetrics' formulas so the numbers can
 * be reproduced there: Column Shapes (KSComplement for numbers and dates, TVComplement for
 * categories; missing values dropped), Column Pair Trends (CorrelationSimilarity with Pearson for two
 * numeric columns; ContingencySimilarity otherwise, numbers cut into 10 bins), averaged over the
 * pairs related in the real data (|r| > 0.5, Cramér's V > 0.3) with the all-pairs average beside it;
 * quality = mean of the two. Beside it BoundaryAdherence, CategoryAdherence, and privacy:
 * NewRowSynthesis and DCRBaselineProtection, on seeded subsamples so time and memory stay bounded.
 */

import type { CellValue, QualityReport } from '../shared/schema.ts'
import { contingencyCoder, cramersVOf, frequencies, jointShares } from './evaluate.ts'
import { parseDateLike } from './datetime.ts'
import { parseNumber, readRows } from './fit.ts'
import { NULL_TOKENS, type DatasetProfile } from './profile.ts'
import { RowRandom, rowHash, seedWords } from './random.ts'

export type { QualityReport }

/** Synthetic rows NewRowSynthesis checks at most (a seeded subset of the evaluator's sample). */
export const NEW_ROW_SYNTHETIC_ROWS = 10_000
/** Synthetic (and random baseline) rows whose distance to the closest real record is measured. */
export const DCR_SYNTHETIC_ROWS = 2000
/** Real rows the distances are measured against at most (a seeded subset). */
export const DCR_REAL_ROWS = 5000

export type QualityKind = 'numerical' | 'categorical'

export interface QualityColumn {
  name: string
  kind: QualityKind
  /** Real and synthetic values: numbers (dates as epoch ms) or category labels; null for missing. */
  real: (number | string | null)[]
  synthetic: (number | string | null)[]
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN)
/** The finite numbers among some values. */
function numbers(xs: (number | string | null)[]): Float64Array {
  let n = 0
  for (const x of xs) if (typeof x === 'number' && Number.isFinite(x)) n++
  const out = new Float64Array(n)
  let k = 0
  for (const x of xs) if (typeof x === 'number' && Number.isFinite(x)) out[k++] = x
  return out
}
const labels = (xs: (number | string | null)[]) => xs.filter(x => x !== null).map(String)

/** 1 − the two-sample KS statistic. */
export function ksComplement(real: number[] | Float64Array, synthetic: number[] | Float64Array): number {
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

/** 1 − the total variation distance between category frequencies. */
export function tvComplement(real: string[], synthetic: string[]): number {
  const p = frequencies(real)
  const q = frequencies(synthetic)
  let sum = 0
  for (const key of new Set([...p.keys(), ...q.keys()])) sum += Math.abs((p.get(key) ?? 0) - (q.get(key) ?? 0))
  return 1 - sum / 2
}

/** BoundaryAdherence: the share of synthetic values (missing ones dropped) within the real min..max. */
export function boundaryAdherence(real: number[] | Float64Array, synthetic: number[] | Float64Array): number {
  let lo = Infinity
  let hi = -Infinity
  for (const x of real) {
    if (x < lo) lo = x
    if (x > hi) hi = x
  }
  // No synthetic value at all: none is out of bounds.
  if (!synthetic.length) return 1
  let inside = 0
  for (const x of synthetic) if (x >= lo && x <= hi) inside++
  return inside / synthetic.length
}

/** CategoryAdherence: the share of synthetic values that are real categories (missing ones count when the real column has some). */
export function categoryAdherence(real: (string | null)[], synthetic: (string | null)[]): number {
  if (!synthetic.length) return 1
  const categories = new Set<string>()
  let nullable = false
  for (const v of real) {
    if (v === null) nullable = true
    else categories.add(v)
  }
  let valid = 0
  for (const v of synthetic) if (v === null ? nullable : categories.has(v)) valid++
  return valid / synthetic.length
}

/** `k` of `n` row indexes picked by a seeded hash (all of them when n <= k), ascending. */
function seededSubset(n: number, k: number, seed: number, salt: number): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i)
  const [lo, hi] = seedWords(seed)
  const priority = new Float64Array(n)
  for (let i = 0; i < n; i++) priority[i] = rowHash(lo, hi, i, salt)
  // The k lowest priorities: only the rows under a generous threshold are sorted.
  for (let threshold = Math.min(1, (1.5 * k) / n + 1e-3); ; threshold = Math.min(1, threshold * 2)) {
    const candidates: number[] = []
    for (let i = 0; i < n; i++) if (priority[i]! < threshold) candidates.push(i)
    if (candidates.length >= k || threshold === 1) return candidates.sort((a, b) => priority[a]! - priority[b]!).slice(0, k).sort((a, b) => a - b)
  }
}

/** Rows as columns of numbers (NaN for missing) and category codes (-1 for missing). */
interface Table {
  rows: number
  numbers: Float64Array[]
  codes: Int32Array[]
}

/**
 * Encodes real and synthetic rows with shared category codes: codes 0..n−1 are the n categories of the
 * whole real column (`categories`), synthetic labels unseen in the real data get codes of their own.
 */
function encodeTables(columns: QualityColumn[], realRows: number[], syntheticRows: number[]): { real: Table; synthetic: Table; categories: number[] } {
  const numeric = columns.filter(c => c.kind === 'numerical')
  const categorical = columns.filter(c => c.kind === 'categorical')
  const dictionaries = categorical.map((c) => {
    const dictionary = new Map<string, number>()
    for (const v of c.real) if (v !== null && !dictionary.has(String(v))) dictionary.set(String(v), dictionary.size)
    return dictionary
  })
  const categories = dictionaries.map(d => d.size)
  const asNumber = (v: number | string | null) => (typeof v === 'number' ? v : Number.NaN)
  const encode = (side: 'real' | 'synthetic', rows: number[]): Table => ({
    rows: rows.length,
    numbers: numeric.map(c => Float64Array.from(rows, i => asNumber(c[side][i] ?? null))),
    codes: categorical.map((c, k) => Int32Array.from(rows, (i) => {
      const v = c[side][i]
      if (v === null || v === undefined) return -1
      const label = String(v)
      const dictionary = dictionaries[k]!
      let code = dictionary.get(label)
      if (code === undefined) dictionary.set(label, (code = dictionary.size))
      return code
    })),
  })
  return { real: encode('real', realRows), synthetic: encode('synthetic', syntheticRows), categories }
}

/**
 * NewRowSynthesis with SDMetrics' defaults: a synthetic row copies a real one when every categorical
 * value is equal and every number (dates as epoch ms) is within 0.01 × |the synthetic value|, missing
 * values matching only missing ones; the score is the share of synthetic rows that copy none.
 */
export function newRowSynthesis(columns: QualityColumn[], seed = 0): NonNullable<QualityReport['privacy']>['new_row_synthesis'] {
  const realCount = columns[0]?.real.length ?? 0
  const syntheticRows = seededSubset(columns[0]?.synthetic.length ?? 0, NEW_ROW_SYNTHETIC_ROWS, seed, 0x5e1)
  const { real, synthetic } = encodeTables(columns, Array.from({ length: realCount }, (_, i) => i), syntheticRows)
  // Real rows grouped by their categories and which numbers are missing; in a group, sorted by the
  // first number present, so a synthetic row looks only at the real rows near it.
  const keyOf = (t: Table, i: number) => `${t.codes.map(c => c[i]).join(',')}|${t.numbers.map(n => (Number.isNaN(n[i]!) ? 0 : 1)).join('')}`
  const groups = new Map<string, number[]>()
  for (let i = 0; i < real.rows; i++) {
    const key = keyOf(real, i)
    const group = groups.get(key)
    if (group) group.push(i)
    else groups.set(key, [i])
  }
  const index = new Map<string, { pivot: number; rows: Int32Array; values: Float64Array }>()
  for (const [key, rows] of groups) {
    const pivot = real.numbers.findIndex(n => !Number.isNaN(n[rows[0]!]!))
    if (pivot >= 0) rows.sort((a, b) => real.numbers[pivot]![a]! - real.numbers[pivot]![b]!)
    index.set(key, { pivot, rows: Int32Array.from(rows), values: Float64Array.from(rows, r => (pivot >= 0 ? real.numbers[pivot]![r]! : 0)) })
  }
  let matched = 0
  for (let i = 0; i < synthetic.rows; i++) {
    const group = index.get(keyOf(synthetic, i))
    if (!group) continue
    if (group.pivot < 0) {
      matched++
      continue
    }
    const s = synthetic.numbers[group.pivot]![i]!
    const tolerance = Math.abs(0.01 * s)
    let a = 0
    let b = group.values.length
    while (a < b) {
      const mid = (a + b) >>> 1
      if (group.values[mid]! < s - tolerance) a = mid + 1
      else b = mid
    }
    let found = false
    for (let k = a; !found && k < group.values.length && group.values[k]! <= s + tolerance; k++) {
      const r = group.rows[k]!
      found = synthetic.numbers.every((column, c) => {
        const x = column[i]!
        return Number.isNaN(x) || Math.abs(real.numbers[c]![r]! - x) <= Math.abs(0.01 * x)
      })
    }
    if (found) matched++
  }
  const rows = synthetic.rows
  return { score: rows ? (rows - matched) / rows : 1, num_new_rows: rows - matched, num_matched_rows: matched, synthetic_rows: rows, real_rows: real.rows }
}

/** Median of some numbers (mean of the middle two for an even count). */
function median(values: Float64Array): number {
  if (!values.length) return Number.NaN
  const sorted = Float64Array.from(values).sort()
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/**
 * Each row's distance to its closest record in `real`, as SDMetrics measures it: per column, numbers
 * |a − b| / the real range (at most 1), categories 0 if equal else 1, a missing value 0 against a
 * missing one and 1 against a value; the row's distance is the mean over columns.
 */
function closestDistances(rows: Table, real: Table, ranges: number[]): Float64Array {
  const numeric = rows.numbers.length
  const categorical = rows.codes.length
  const width = numeric + categorical
  const out = new Float64Array(rows.rows)
  if (!width) return out
  // Row-major copies of the real rows: the inner loop reads one row's cells side by side.
  const realNumbers = new Float64Array(real.rows * numeric)
  const realCodes = new Int32Array(real.rows * categorical)
  for (let r = 0; r < real.rows; r++) {
    for (let c = 0; c < numeric; c++) realNumbers[r * numeric + c] = real.numbers[c]![r]!
    for (let c = 0; c < categorical; c++) realCodes[r * categorical + c] = real.codes[c]![r]!
  }
  const inverse = Float64Array.from(ranges, range => (range > 0 ? 1 / range : Infinity))
  const a = new Float64Array(numeric)
  const code = new Int32Array(categorical)
  for (let i = 0; i < rows.rows; i++) {
    for (let c = 0; c < numeric; c++) a[c] = rows.numbers[c]![i]!
    for (let c = 0; c < categorical; c++) code[c] = rows.codes[c]![i]!
    let best = Infinity
    for (let r = 0; r < real.rows && best > 0; r++) {
      let sum = 0
      // Categories first: cheap, and often enough to rule a record out.
      const codeBase = r * categorical
      for (let c = 0; c < categorical && sum < best; c++) if (code[c] !== realCodes[codeBase + c]) sum++
      const base = r * numeric
      for (let c = 0; c < numeric && sum < best; c++) {
        const x = a[c]!
        const y = realNumbers[base + c]!
        if (x !== x || y !== y) sum += (x !== x) === (y !== y) ? 0 : 1 // NaN is a missing value
        else if (x !== y) sum += Math.min(1, Math.abs(x - y) * inverse[c]!)
      }
      if (sum < best) best = sum
    }
    out[i] = best / width
  }
  return out
}

/**
 * DCRBaselineProtection (SDMetrics): the median distance of synthetic rows to their closest real
 * record, against the same for random rows (each number uniform within the real min..max, each
 * category uniform over the real ones, missing at the real rate); score = min(1, synthetic / random).
 * Seeded subsets keep the pairwise distances bounded.
 */
export function dcrBaselineProtection(columns: QualityColumn[], seed = 0): NonNullable<QualityReport['privacy']>['dcr_baseline_protection'] {
  const realAll = columns[0]?.real.length ?? 0
  const realRows = seededSubset(realAll, DCR_REAL_ROWS, seed, 0xdc1)
  const syntheticRows = seededSubset(columns[0]?.synthetic.length ?? 0, DCR_SYNTHETIC_ROWS, seed, 0xdc2)
  const { real, synthetic, categories } = encodeTables(columns, realRows, syntheticRows)
  const ranges = real.numbers.map((column) => {
    let lo = Infinity
    let hi = -Infinity
    for (const x of column) {
      if (x < lo) lo = x
      if (x > hi) hi = x
    }
    return hi > lo ? hi - lo : 0
  })
  // The random baseline, from the whole real sample's bounds, categories and missing rates.
  const rng = new RowRandom(seed)
  rng.setRow(0)
  const count = synthetic.rows
  const numeric = columns.filter(c => c.kind === 'numerical')
  const categorical = columns.filter(c => c.kind === 'categorical')
  const random: Table = {
    rows: count,
    numbers: numeric.map((column) => {
      const values = numbers(column.real)
      const missing = realAll ? 1 - values.length / realAll : 0
      let lo = Infinity
      let hi = -Infinity
      for (const x of values) {
        if (x < lo) lo = x
        if (x > hi) hi = x
      }
      const integers = values.every(Number.isInteger)
      return Float64Array.from({ length: count }, () => {
        if (!values.length || rng.next() < missing) return Number.NaN
        return integers ? rng.int(lo, hi) : lo + rng.next() * (hi - lo)
      })
    }),
    codes: categorical.map((column, k) => {
      const present = column.real.filter(v => v !== null).length
      const missing = realAll ? 1 - present / realAll : 0
      const distinct = categories[k]!
      return Int32Array.from({ length: count }, () => {
        if (!distinct || rng.next() < missing) return -1
        return rng.int(0, distinct - 1)
      })
    }),
  }
  const medianSynthetic = median(closestDistances(synthetic, real, ranges))
  const medianRandom = median(closestDistances(random, real, ranges))
  return {
    score: medianRandom > 0 ? Math.min(1, medianSynthetic / medianRandom) : null,
    median_dcr_synthetic: medianSynthetic,
    median_dcr_random: medianRandom,
    synthetic_rows: synthetic.rows,
    real_rows: real.rows,
  }
}

/** A column as numbers (NaN where missing or not a number) for correlations. */
function asNumbers(values: (number | string | null)[]): Float64Array {
  const out = new Float64Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    out[i] = typeof v === 'number' ? v : Number.NaN
  }
  return out
}

/** Codes of values, in a typed array. */
function codeAll(values: (number | string | null)[], code: (v: number | string | null) => number): Int32Array {
  const out = new Int32Array(values.length)
  for (let i = 0; i < values.length; i++) out[i] = code(values[i]!)
  return out
}

/** A column as contingency codes (categories by label, numbers by the real column's 10 bins; -1 where missing). */
function codes(column: QualityColumn): { real: Int32Array; synthetic: Int32Array; size: number } {
  const coder = contingencyCoder(column.kind, column.real)
  const real = codeAll(column.real, coder.code)
  return { real, synthetic: codeAll(column.synthetic, coder.code), size: coder.size() }
}

/** Pearson correlation over the rows where both numbers are present (one pass, shifted by the first pair for precision). */
function pearsonPresent(x: Float64Array, y: Float64Array): number {
  let n = 0
  let x0 = Number.NaN
  let y0 = Number.NaN
  let sx = 0
  let sy = 0
  let sxx = 0
  let syy = 0
  let sxy = 0
  for (let i = 0; i < x.length; i++) {
    let a = x[i]!
    let b = y[i]!
    if (a - a !== 0 || b - b !== 0) continue // NaN or infinite
    if (n === 0) {
      x0 = a
      y0 = b
    }
    a -= x0
    b -= y0
    n++
    sx += a
    sy += b
    sxx += a * a
    syy += b * b
    sxy += a * b
  }
  if (n < 2) return 0
  const saa = sxx - (sx * sx) / n
  const sbb = syy - (sy * sy) / n
  const sab = sxy - (sx * sy) / n
  return saa > 0 && sbb > 0 ? Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb))) : 0
}

/** A numeric column ready for correlations: when no value is missing, centred on its mean with its sum of squares. */
interface Centred {
  values: Float64Array
  centred?: { values: Float64Array; squares: number }
}

function centred(values: Float64Array): Centred {
  let sum = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (v - v !== 0) return { values } // a missing (or infinite) value: pairwise-complete rows per pair
    sum += v
  }
  const mean = sum / values.length
  const out = new Float64Array(values.length)
  let squares = 0
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mean
    out[i] = d
    squares += d * d
  }
  return { values, centred: { values: out, squares } }
}

/** Pearson correlation of two columns over the rows where both are present (one multiply-add per row when neither misses a value). */
function correlation(x: Centred, y: Centred): number {
  if (!x.centred || !y.centred || x.values.length < 2) return pearsonPresent(x.values, y.values)
  const a = x.centred.values
  const b = y.centred.values
  let sab = 0
  for (let i = 0; i < a.length; i++) sab += a[i]! * b[i]!
  const denominator = Math.sqrt(x.centred.squares * y.centred.squares)
  return denominator > 0 ? Math.max(-1, Math.min(1, sab / denominator)) : 0
}

/**
 * The quality report of synthetic columns against real ones (`seed` picks the privacy metrics'
 * subsets). Columns are coded once as typed arrays, so a million synthetic rows score in seconds.
 */
export function qualityReport(columns: QualityColumn[], seed = 0): QualityReport {
  const finite = columns.map(c => (c.kind === 'numerical' ? { real: numbers(c.real), synthetic: numbers(c.synthetic) } : undefined))
  const columnScores: QualityReport['columns'] = {}
  columns.forEach((column, i) => {
    const values = finite[i]
    columnScores[column.name] = values
      ? { metric: 'KSComplement', score: ksComplement(values.real, values.synthetic) }
      : { metric: 'TVComplement', score: tvComplement(labels(column.real), labels(column.synthetic)) }
  })
  const coded = columns.map(codes)
  const numeric = columns.map(c => (c.kind === 'numerical' ? { real: centred(asNumbers(c.real)), synthetic: centred(asNumbers(c.synthetic)) } : undefined))
  const pairs: QualityReport['pairs'] = {}
  for (let i = 0; i < columns.length; i++) {
    for (let j = i + 1; j < columns.length; j++) {
      const key = `${columns[i]!.name}|${columns[j]!.name}`
      const [x, y] = [numeric[i], numeric[j]]
      if (x && y) {
        const realR = correlation(x.real, y.real)
        const synthR = correlation(x.synthetic, y.synthetic)
        pairs[key] = { metric: 'CorrelationSimilarity', score: 1 - Math.abs(realR - synthR) / 2, real_association: realR, related: Math.abs(realR) > 0.5 }
        continue
      }
      const [a, b] = [coded[i]!, coded[j]!]
      const p = jointShares(a.real, a.size, b.real, b.size)
      const q = jointShares(a.synthetic, a.size, b.synthetic, b.size)
      let sum = 0
      for (const [k, share] of p) sum += Math.abs(share - (q.get(k) ?? 0))
      for (const [k, share] of q) if (!p.has(k)) sum += share
      const v = cramersVOf(p, b.size)
      pairs[key] = { metric: 'ContingencySimilarity', score: 1 - sum / 2, real_association: v, related: v > 0.3 }
    }
  }
  const adherence: NonNullable<QualityReport['adherence']> = {}
  for (const [i, column] of columns.entries()) {
    const values = finite[i]
    adherence[column.name] = values
      ? { metric: 'BoundaryAdherence', score: boundaryAdherence(values.real, values.synthetic) }
      : { metric: 'CategoryAdherence', score: categoryAdherence(column.real.map(v => (v === null ? null : String(v))), column.synthetic.map(v => (v === null ? null : String(v)))) }
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
    adherence,
    privacy: { new_row_synthesis: newRowSynthesis(columns, seed), dcr_baseline_protection: dcrBaselineProtection(columns, seed) },
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
      // Generated numbers (and epoch dates) need no parsing.
      if (typeof v === 'number' && kind === 'numerical' && (!isDate || epoch)) return v
      const text = typeof v === 'string' ? v.trim() : String(v)
      if (NULL_TOKENS.has(text)) return null
      if (kind === 'categorical') return text
      return isDate && !epoch ? parseDateLike(text) : parseNumber(text)
    }
    const synthetic = new Array<number | string | null>(sample.length)
    for (let r = 0; r < sample.length; r++) synthetic[r] = asValue(sample[r]![i])
    columns.push({ name: column.name, kind, real: real.map(r => asValue(r[i])), synthetic })
  })
  return qualityReport(columns, seed)
}
