/**
 * The quality of look-alike rows against the real sample, with SDMetrics' formulas so the numbers can
 * be reproduced there: Column Shapes (KSComplement for numbers and dates, TVComplement for
 * categories; missing values dropped), Column Pair Trends (CorrelationSimilarity with Pearson for two
 * numeric columns; ContingencySimilarity otherwise, numbers cut into 10 bins), averaged over the
 * pairs related in the real data (|r| > 0.5, Cramér's V > 0.3) with the all-pairs average beside it;
 * quality = mean of the two. Beside it BoundaryAdherence, CategoryAdherence, and privacy:
 * NewRowSynthesis and DCRBaselineProtection, on seeded subsamples so time and memory stay bounded.
 */

import type { CellValue, ColumnProfile, QualityReport } from '../../shared/schema.ts'
import { cramersVOf, frequencies, jointShares } from './stats.ts'
import { parseDateLike } from '../time/iso.ts'
import { parseNumber, readRows } from '../dataset/fit.ts'
import { NULL_TOKENS, type DatasetProfile } from '../dataset/profile.ts'
import { RowRandom, rowHash, seedWords } from '../schema/random.ts'

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

type NewRowSynthesis = NonNullable<QualityReport['privacy']>['new_row_synthesis']
type DcrBaselineProtection = NonNullable<QualityReport['privacy']>['dcr_baseline_protection']

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN)

/**
 * A column as the metrics read it, in typed arrays: numbers (dates as epoch ms; NaN where missing),
 * or category codes (−1 where missing; 0..categories−1 are the real column's labels in order of first
 * appearance, then the labels only synthetic rows have, in theirs, up to size−1).
 */
type CodedColumn =
  | { name: string; kind: 'numerical'; real: Float64Array; synthetic: Float64Array }
  | { name: string; kind: 'categorical'; real: Int32Array; synthetic: Int32Array; categories: number; size: number }

/** A column's values as numbers: NaN where missing or not a number. */
function asNumbers(values: (number | string | null)[]): Float64Array {
  const out = new Float64Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    out[i] = typeof v === 'number' ? v : Number.NaN
  }
  return out
}

/** Codes a column given as values (see CodedColumn). */
function codeColumn(column: QualityColumn): CodedColumn {
  const { name } = column
  if (column.kind === 'numerical') return { name, kind: 'numerical', real: asNumbers(column.real), synthetic: asNumbers(column.synthetic) }
  const dictionary = new Map<string, number>()
  const codeAll = (values: (number | string | null)[]) => {
    const out = new Int32Array(values.length)
    for (let i = 0; i < values.length; i++) {
      const v = values[i]
      if (v === null || v === undefined) {
        out[i] = -1
        continue
      }
      const label = String(v)
      let code = dictionary.get(label)
      if (code === undefined) dictionary.set(label, (code = dictionary.size))
      out[i] = code
    }
    return out
  }
  const real = codeAll(column.real)
  const categories = dictionary.size
  const synthetic = codeAll(column.synthetic)
  return { name, kind: 'categorical', real, synthetic, categories, size: dictionary.size }
}

/** Float64Array.prototype.sort past this many values gives way to a radix sort. */
const RADIX_SORT_MIN = 4096
/** Doubles are stored low word first (true wherever Node runs; checked so the radix sort is never wrong). */
const LITTLE_ENDIAN = new Uint32Array(new Float64Array([-0]).buffer)[1] === 0x80000000

/**
 * Sorts doubles in place (none NaN), in the order Float64Array.prototype.sort gives: an LSD radix sort
 * on their bits, 16 at a time, made order-preserving (negative numbers have every bit flipped, the
 * others their sign bit), skipping the digits every value shares.
 */
export function radixSort(values: Float64Array): Float64Array {
  const n = values.length
  if (n < 2) return values
  const target = new Uint32Array(values.buffer, values.byteOffset, 2 * n)
  let words: Uint32Array = target
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1]!
    if (hi & 0x80000000) {
      words[2 * i + 1] = ~hi
      words[2 * i] = ~words[2 * i]!
    }
    else words[2 * i + 1] = hi | 0x80000000
  }
  let scratch: Uint32Array = new Uint32Array(2 * n)
  const counts = new Uint32Array(1 << 16)
  for (let pass = 0; pass < 4; pass++) {
    const word = pass >> 1 // the low word, then the high one
    const shift = (pass & 1) << 4
    counts.fill(0)
    for (let i = 0; i < n; i++) counts[(words[2 * i + word]! >>> shift) & 0xFFFF]!++
    if (counts[(words[word]! >>> shift) & 0xFFFF] === n) continue
    let sum = 0
    for (let d = 0; d < counts.length; d++) {
      const c = counts[d]!
      counts[d] = sum
      sum += c
    }
    for (let i = 0; i < n; i++) {
      const at = 2 * counts[(words[2 * i + word]! >>> shift) & 0xFFFF]!++
      scratch[at] = words[2 * i]!
      scratch[at + 1] = words[2 * i + 1]!
    }
    ;[words, scratch] = [scratch, words]
  }
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1]!
    if (hi & 0x80000000) {
      target[2 * i + 1] = hi & 0x7FFFFFFF
      target[2 * i] = words[2 * i]!
    }
    else {
      target[2 * i + 1] = ~hi
      target[2 * i] = ~words[2 * i]!
    }
  }
  return values
}

/** The finite numbers among some values, sorted ascending (a new array). */
function sortedFinite(values: ArrayLike<number>): Float64Array {
  let n = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (v - v === 0) n++
  }
  const out = new Float64Array(n)
  let k = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (v - v === 0) out[k++] = v
  }
  return n >= RADIX_SORT_MIN && LITTLE_ENDIAN ? radixSort(out) : out.sort()
}

/** The two-sample KS statistic of two sorted samples: the largest gap between their empirical CDFs. */
function ksStatistic(a: Float64Array, b: Float64Array): number {
  let i = 0
  let j = 0
  let d = 0
  while (i < a.length && j < b.length) {
    const x = Math.min(a[i]!, b[j]!)
    while (i < a.length && a[i] === x) i++
    while (j < b.length && b[j] === x) j++
    d = Math.max(d, Math.abs(i / a.length - j / b.length))
  }
  return d
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

/** The first index of a sorted array whose value is at least `x` (`after`: greater than `x`). */
function searchSorted(sorted: Float64Array, x: number, after = false): number {
  let a = 0
  let b = sorted.length
  while (a < b) {
    const mid = (a + b) >>> 1
    if (sorted[mid]! < x || (after && sorted[mid] === x)) a = mid + 1
    else b = mid
  }
  return a
}

/** BoundaryAdherence of sorted finite values: two binary searches. */
function boundaryOfSorted(real: Float64Array, synthetic: Float64Array): number {
  if (!synthetic.length) return 1
  if (!real.length) return 0
  return (searchSorted(synthetic, real[real.length - 1]!, true) - searchSorted(synthetic, real[0]!)) / synthetic.length
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

/** Some rows (all of them without `rows`) of one side of coded columns, as a table. */
function tableOf(columns: CodedColumn[], side: 'real' | 'synthetic', rows?: number[]): Table {
  const pick = <T extends Float64Array | Int32Array>(values: T): T => {
    if (!rows) return values
    const out = new (values.constructor as new (n: number) => T)(rows.length)
    for (let k = 0; k < rows.length; k++) out[k] = values[rows[k]!]!
    return out
  }
  const numbers: Float64Array[] = []
  const codes: Int32Array[] = []
  for (const column of columns) {
    if (column.kind === 'numerical') numbers.push(pick(column[side]))
    else codes.push(pick(column[side]))
  }
  return { rows: rows?.length ?? columns[0]?.[side].length ?? 0, numbers, codes }
}

/**
 * NewRowSynthesis with SDMetrics' defaults: a synthetic row copies a real one when every categorical
 * value is equal and every number (dates as epoch ms) is within 0.01 × |the synthetic value|, missing
 * values matching only missing ones; the score is the share of synthetic rows that copy none.
 */
export function newRowSynthesis(columns: QualityColumn[], seed = 0): NewRowSynthesis {
  return newRowsOf(columns.map(codeColumn), seed)
}

function newRowsOf(columns: CodedColumn[], seed: number): NewRowSynthesis {
  const syntheticRows = seededSubset(columns[0]?.synthetic.length ?? 0, NEW_ROW_SYNTHETIC_ROWS, seed, 0x5e1)
  const real = tableOf(columns, 'real')
  const synthetic = tableOf(columns, 'synthetic', syntheticRows)
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
export function dcrBaselineProtection(columns: QualityColumn[], seed = 0): DcrBaselineProtection {
  return dcrOf(columns.map(codeColumn), seed)
}

function dcrOf(columns: CodedColumn[], seed: number): DcrBaselineProtection {
  const realAll = columns[0]?.real.length ?? 0
  const realRows = seededSubset(realAll, DCR_REAL_ROWS, seed, 0xdc1)
  const syntheticRows = seededSubset(columns[0]?.synthetic.length ?? 0, DCR_SYNTHETIC_ROWS, seed, 0xdc2)
  const real = tableOf(columns, 'real', realRows)
  const synthetic = tableOf(columns, 'synthetic', syntheticRows)
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
  const random: Table = { rows: count, numbers: [], codes: [] }
  for (const column of columns) {
    if (column.kind !== 'numerical') continue
    let present = 0
    let lo = Infinity
    let hi = -Infinity
    let integers = true
    for (const x of column.real) {
      if (x - x !== 0) continue // missing (or infinite)
      present++
      if (x < lo) lo = x
      if (x > hi) hi = x
      if (!Number.isInteger(x)) integers = false
    }
    const missing = realAll ? 1 - present / realAll : 0
    random.numbers.push(Float64Array.from({ length: count }, () => {
      if (!present || rng.next() < missing) return Number.NaN
      return integers ? rng.int(lo, hi) : lo + rng.next() * (hi - lo)
    }))
  }
  for (const column of columns) {
    if (column.kind !== 'categorical') continue
    let present = 0
    for (const code of column.real) if (code >= 0) present++
    const missing = realAll ? 1 - present / realAll : 0
    const distinct = column.categories
    random.codes.push(Int32Array.from({ length: count }, () => {
      if (!distinct || rng.next() < missing) return -1
      return rng.int(0, distinct - 1)
    }))
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

/** A numeric column ready for correlations: when no value is missing, its mean and the sum of squares about it. */
interface Centred {
  values: Float64Array
  centred?: { mean: number; squares: number }
}

function centred(values: Float64Array): Centred {
  let sum = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (v - v !== 0) return { values } // a missing (or infinite) value: pairwise-complete rows per pair
    sum += v
  }
  const mean = sum / values.length
  let squares = 0
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mean
    squares += d * d
  }
  return { values, centred: { mean, squares } }
}

/** Pearson correlation of two columns over the rows where both are present (one pass over the pair when neither misses a value). */
function correlation(x: Centred, y: Centred): number {
  if (!x.centred || !y.centred || x.values.length < 2) return pearsonPresent(x.values, y.values)
  const a = x.values
  const b = y.values
  const ma = x.centred.mean
  const mb = y.centred.mean
  let sab = 0
  for (let i = 0; i < a.length; i++) sab += (a[i]! - ma) * (b[i]! - mb)
  const denominator = Math.sqrt(x.centred.squares * y.centred.squares)
  return denominator > 0 ? Math.max(-1, Math.min(1, sab / denominator)) : 0
}

/** Numbers as contingency codes: the 10 equal-width bins of the real min..max (SDMetrics' discretisation), -1 where missing. */
function binCodes(values: Float64Array, lo: number, hi: number): Int32Array {
  const width = (hi - lo) / 10 || 1
  const out = new Int32Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    out[i] = v - v === 0 ? Math.max(0, Math.min(9, Math.floor((v - lo) / width))) : -1
  }
  return out
}

/** How often each code occurs (codes 0..size−1; missing ones, −1, counted apart). */
function codeCounts(codes: Int32Array, size: number): { counts: Float64Array; present: number } {
  const counts = new Float64Array(size)
  let present = 0
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!
    if (code >= 0) {
      counts[code]!++
      present++
    }
  }
  return { counts, present }
}

/**
 * The quality report of synthetic columns against real ones (`seed` picks the privacy metrics'
 * subsets), given as values.
 */
export function qualityReport(columns: QualityColumn[], seed = 0): QualityReport {
  return scoreColumns(columns.map(codeColumn), seed)
}

/**
 * The quality report of coded columns. Each column is read a few times in typed arrays: numbers
 * sorted once for KSComplement and BoundaryAdherence, and cut into bins once for the contingency
 * tables; categories counted by code. A million synthetic rows score in a few seconds.
 */
function scoreColumns(columns: CodedColumn[], seed = 0): QualityReport {
  const columnScores: QualityReport['columns'] = {}
  const adherence: NonNullable<QualityReport['adherence']> = {}
  const contingency: { real: Int32Array; synthetic: Int32Array; size: number }[] = []
  const numeric: ({ real: Centred; synthetic: Centred } | undefined)[] = []
  for (const column of columns) {
    if (column.kind === 'numerical') {
      const real = sortedFinite(column.real)
      const synthetic = sortedFinite(column.synthetic)
      columnScores[column.name] = { metric: 'KSComplement', score: 1 - ksStatistic(real, synthetic) }
      adherence[column.name] = { metric: 'BoundaryAdherence', score: boundaryOfSorted(real, synthetic) }
      const [lo, hi] = real.length ? [real[0]!, real[real.length - 1]!] : [Infinity, -Infinity]
      contingency.push({ real: binCodes(column.real, lo, hi), synthetic: binCodes(column.synthetic, lo, hi), size: 10 })
      numeric.push({ real: centred(column.real), synthetic: centred(column.synthetic) })
      continue
    }
    const real = codeCounts(column.real, column.size)
    const synthetic = codeCounts(column.synthetic, column.size)
    // The labels in order of first appearance, the real ones first: the order SDMetrics' sum takes.
    let sum = 0
    for (let k = 0; k < column.size; k++) sum += Math.abs((real.present ? real.counts[k]! / real.present : 0) - (synthetic.present ? synthetic.counts[k]! / synthetic.present : 0))
    columnScores[column.name] = { metric: 'TVComplement', score: 1 - sum / 2 }
    let valid = real.present < column.real.length ? column.synthetic.length - synthetic.present : 0
    for (let k = 0; k < column.categories; k++) valid += synthetic.counts[k]!
    adherence[column.name] = { metric: 'CategoryAdherence', score: column.synthetic.length ? valid / column.synthetic.length : 1 }
    contingency.push(column)
    numeric.push(undefined)
  }
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
      const [a, b] = [contingency[i]!, contingency[j]!]
      const p = jointShares(a.real, a.size, b.real, b.size)
      const q = jointShares(a.synthetic, a.size, b.synthetic, b.size)
      let sum = 0
      for (const [k, share] of p) sum += Math.abs(share - (q.get(k) ?? 0))
      for (const [k, share] of q) if (!p.has(k)) sum += share
      const v = cramersVOf(p, b.size)
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
    adherence,
    privacy: { new_row_synthesis: newRowsOf(columns, seed), dcr_baseline_protection: dcrOf(columns, seed) },
    real_rows: columns[0]?.real.length ?? 0,
    synthetic_rows: columns[0]?.synthetic.length ?? 0,
  }
}

/** Distinct cells a column remembers how it read (categories, days). */
const CACHED_CELLS = 1 << 16

/** How the report reads a profiled column's cells (see fittedQuality); undefined for a column it does not score. */
type CellReader = { kind: 'numerical'; read: (v: unknown) => number } | { kind: 'categorical'; read: (v: unknown) => string | null }

function cellReader(column: ColumnProfile): CellReader | undefined {
  const text = (v: unknown) => {
    const t = typeof v === 'string' ? v.trim() : String(v)
    return NULL_TOKENS.has(t) ? null : t
  }
  if (column.type === 'categorical' || column.type === 'boolean') return { kind: 'categorical', read: v => (v === null || v === undefined ? null : text(v)) }
  if (!['integer', 'number', 'date', 'datetime'].includes(column.type)) return undefined
  const isDate = column.type === 'date' || column.type === 'datetime'
  const epoch = column.type === 'datetime' && column.examples.every(e => /^\d{10}(\d{3})?$/.test(e))
  let parse = isDate && !epoch ? parseDateLike : parseNumber
  if (column.type === 'date') {
    // Days repeat: each distinct text is parsed once (up to a bound).
    const days = new Map<string, number>()
    parse = (t) => {
      let day = days.get(t)
      if (day === undefined) {
        day = parseDateLike(t)
        if (days.size < CACHED_CELLS) days.set(t, day)
      }
      return day
    }
  }
  return {
    kind: 'numerical',
    read: (v) => {
      if (v === null || v === undefined) return Number.NaN
      // Generated numbers (and epoch dates) need no parsing.
      if (typeof v === 'number' && (!isDate || epoch)) return v
      const t = text(v)
      return t === null ? Number.NaN : parse(t)
    },
  }
}

/**
 * Rows coded for the quality report as they come, each scored column in a typed array (numbers, or
 * category codes in order of first appearance): what fittedQuality scores. Feeding rows one by one,
 * a caller can score a million generated rows without holding them.
 */
export class QualityRows {
  readonly columns: { index: number; name: string; reader: CellReader; numbers?: Float64Array; codes?: Int32Array; labels?: Map<string, number>; cells?: Map<unknown, number> }[]
  length = 0
  private capacity: number

  constructor(profile: DatasetProfile, capacity = 1024) {
    this.capacity = Math.max(1, capacity)
    this.columns = profile.columns.flatMap((column, index) => {
      const reader = cellReader(column)
      if (!reader) return []
      return [reader.kind === 'numerical'
        ? { index, name: column.name, reader, numbers: new Float64Array(this.capacity) }
        : { index, name: column.name, reader, codes: new Int32Array(this.capacity), labels: new Map<string, number>(), cells: new Map<unknown, number>() }]
    })
  }

  /** Adds a row (its cells in the profile's column order). */
  add(cells: ArrayLike<unknown>): void {
    const row = this.length
    if (row === this.capacity) this.grow()
    for (const column of this.columns) {
      const v = cells[column.index]
      if (column.reader.kind === 'numerical') {
        column.numbers![row] = column.reader.read(v)
        continue
      }
      // Cells repeat: each distinct one is read once (up to a bound).
      let code = column.cells!.get(v)
      if (code === undefined) {
        const label = column.reader.read(v)
        const labels = column.labels!
        if (label === null) code = -1
        else if ((code = labels.get(label)) === undefined) labels.set(label, (code = labels.size))
        if (column.cells!.size < CACHED_CELLS) column.cells!.set(v, code)
      }
      column.codes![row] = code
    }
    this.length++
  }

  private grow(): void {
    this.capacity *= 2
    for (const column of this.columns) {
      if (column.numbers) {
        const numbers = new Float64Array(this.capacity)
        numbers.set(column.numbers)
        column.numbers = numbers
      }
      if (column.codes) {
        const codes = new Int32Array(this.capacity)
        codes.set(column.codes)
        column.codes = codes
      }
    }
  }
}

/** Real and synthetic rows coded apart, as coded columns: the synthetic codes renumbered after the real ones. */
function codedColumns(real: QualityRows, synthetic: QualityRows): CodedColumn[] {
  return real.columns.map((column, k) => {
    const other = synthetic.columns[k]!
    if (column.numbers) return { name: column.name, kind: 'numerical', real: column.numbers.subarray(0, real.length), synthetic: other.numbers!.subarray(0, synthetic.length) }
    const labels = new Map(column.labels!)
    const categories = labels.size
    // Labels only synthetic rows have get the next codes, in their order of first appearance.
    const renumber = new Int32Array(other.labels!.size)
    for (const [label, code] of other.labels!) {
      let to = labels.get(label)
      if (to === undefined) labels.set(label, (to = labels.size))
      renumber[code] = to
    }
    const codes = new Int32Array(synthetic.length)
    const from = other.codes!
    for (let i = 0; i < codes.length; i++) codes[i] = from[i]! < 0 ? -1 : renumber[from[i]!]!
    return { name: column.name, kind: 'categorical', real: column.codes!.subarray(0, real.length), synthetic: codes, categories, size: labels.size }
  })
}

/**
 * The quality of a job's sampled rows against the dataset its model was fitted to: numbers and dates
 * as numbers, categories and booleans as labels; ids, PII and free text are re-synthesised, so (like
 * SDMetrics, which skips id and PII columns) they are not scored. `sample` is rows, or rows already
 * coded (QualityRows of the same profile).
 */
export async function fittedQuality(path: string, profile: DatasetProfile, sample: CellValue[][] | QualityRows, seed = 0): Promise<QualityReport> {
  let synthetic = sample
  if (Array.isArray(synthetic)) {
    const rows = synthetic
    synthetic = new QualityRows(profile, rows.length)
    for (const cells of rows) synthetic.add(cells)
  }
  const realCells = await readRows(path, profile, seed)
  const real = new QualityRows(profile, realCells.length)
  for (const cells of realCells) real.add(cells)
  return scoreColumns(codedColumns(real, synthetic), seed)
}
