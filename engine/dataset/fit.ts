/**
 * Fitting a real sample: a Gaussian copula written in the schema language, so the fitted model is an
 * ordinary schema the user can read, edit and reuse. Per column a marginal (empirical quantiles for
 * numbers and dates, frequencies for categories), null rates, regenerated ids, and PII re-synthesised
 * with faker (never copied); the correlation of normal scores over the numeric and categorical
 * columns, repaired to positive definite. Seeded, deterministic, and bounded: past FIT_ROWS rows it
 * fits a seeded sample.
 */
import { createReadStream } from 'node:fs'
import { parse } from 'csv-parse'
import { FORBIDDEN_KEYS, type Column, type GenerationSchema, type InferredType, type ValueSpec } from '../../shared/schema.ts'
import { MONTH_FULL_NAMES, MONTH_NAMES } from '../time/calendar.ts'
import { parseDateLike } from '../time/iso.ts'
import { choleskyOrNull, normalQuantile } from '../schema/distributions.ts'
import { contingencyCoder, cramersVOf, jointShares, normalScores, pearson } from '../report/stats.ts'
import { NULL_TOKENS, profileCsv, type DatasetProfile } from './profile.ts'
import { RowRandom, rowHash, seedWords } from '../schema/random.ts'

/** Rows a fit reads at most (a seeded sample of larger files). */
export const FIT_ROWS = 50_000
/** Quantile knots kept per column. */
const KNOTS = 2001
/** Columns in the copula at most (the schema language's limit per group). */
const MAX_COPULA_COLUMNS = 50
/** Categories a column may have to take part in the copula. */
const MAX_COPULA_CATEGORIES = 200

/** The pattern of a date as written (`MM/DD/YYYY`, `MMM D YYYY`, `D MMMM, YYYY`, ...), if it is one the fit can write back. */
function dateShape(text: string): string | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return 'YYYY-MM-DD'
  if (/^\d{1,2}\/\d{1,2}\/\d{4}$/.test(text)) return 'MM/DD/YYYY'
  const day = (digits: string) => (digits.length === 1 ? 'D' : 'DD')
  const month = (word: string) => (MONTH_NAMES.includes(word) ? 'MMM' : MONTH_FULL_NAMES.includes(word) ? 'MMMM' : undefined)
  let m = /^([A-Za-z]+)(\.?) (\d{1,2})(,?) (\d{4})$/.exec(text)
  if (m && month(m[1]!)) return `${month(m[1]!)}${m[2]} ${day(m[3]!)}${m[4]} YYYY`
  m = /^(\d{1,2}) ([A-Za-z]+)(\.?),? (\d{4})$/.exec(text)
  if (m && month(m[2]!)) return `${day(m[1]!)} ${month(m[2]!)}${m[3]}${text.includes(',') ? ',' : ''} YYYY`
  return undefined
}

/**
 * The format a date column is written back in: its values' shared pattern. Days written with one
 * digit somewhere make the day unpadded (`D`); `May` is both a short and a full month name.
 */
function dateFormatOf(texts: string[]): string {
  const shapes = new Set<string>()
  let shortNames = false
  for (const text of new Set(texts)) {
    const shape = dateShape(text)
    if (!shape) return 'YYYY-MM-DD'
    if (/\bMMM\b/.test(shape) && !/\bMay\b/.test(text)) shortNames = true
    shapes.add(shape)
  }
  if (shapes.size === 1) return [...shapes][0]!
  const unified = new Set([...shapes].map(s => (shortNames ? s : s.replace(/\bMMM\b/, 'MMMM')).replace(/\bDD\b/, 'D')))
  return unified.size === 1 ? [...unified][0]! : 'YYYY-MM-DD'
}

/** A number as the profiler recognises them (thousands separators allowed). */
export const parseNumber = (text: string) => Number(text.trim().replaceAll(',', ''))

/** A header as a schema column name: letters, digits and `_`, unique, never a reserved name. */
export function columnNames(headers: string[]): string[] {
  const used = new Set<string>()
  return headers.map((header) => {
    let name = header.normalize('NFD').replace(/[\u0300-\u036F]/g, '').replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 60) || 'column'
    if (/^\d/.test(name)) name = `_${name}`
    if (FORBIDDEN_KEYS.has(name)) name = `${name}_`
    let unique = name
    for (let k = 2; used.has(unique); k++) unique = `${name}_${k}`
    used.add(unique)
    return unique
  })
}

/** `count` order statistics evenly spread over sorted values (all of them when there are fewer). */
function knots(sorted: number[], count = KNOTS): number[] {
  if (sorted.length <= count) return sorted
  return Array.from({ length: count }, (_, i) => {
    const p = (i / (count - 1)) * (sorted.length - 1)
    const lo = Math.floor(p)
    const hi = Math.min(sorted.length - 1, lo + 1)
    return sorted[lo]! + (p - lo) * (sorted[hi]! - sorted[lo]!)
  })
}

/** Digits after the decimal point, the most any value has (at most 6). */
function decimalsOf(texts: string[]): number {
  let decimals = 0
  for (const t of texts) {
    const dot = t.lastIndexOf('.')
    if (dot >= 0 && /^\d+$/.test(t.slice(dot + 1))) decimals = Math.max(decimals, t.length - dot - 1)
  }
  return Math.min(6, decimals)
}

/** The shape of an identifier as a pattern: letters → `?`/`@`, digits → `#`, the rest literal. */
function idPattern(values: string[]): string | undefined {
  const shapes = new Set(values.map(v => v.replace(/[A-Z]/g, '?').replace(/[a-z]/g, '@').replace(/\d/g, '#').replace(/[\\*]/g, c => `\\${c}`)))
  return shapes.size === 1 ? [...shapes][0] : undefined
}

/**
 * A seeded sample of at most FIT_ROWS rows, fed row by row: the rows with the lowest seeded hashes,
 * so the same rows whatever reads the file, in bounded memory.
 */
class RowSample {
  private readonly seed: [number, number]
  private kept: { priority: number; cells: string[] }[] = []
  private threshold = 1

  constructor(seed: number) {
    this.seed = seedWords(seed)
  }

  /** Offers data row `index` (from 0). */
  add(cells: string[], index: number): void {
    // Hashed from 1, as fitted samples always were: the same seed keeps giving the same model.
    const priority = rowHash(this.seed[0], this.seed[1], index + 1, 0xf17)
    if (priority >= this.threshold) return
    this.kept.push({ priority, cells })
    if (this.kept.length >= 2 * FIT_ROWS) {
      this.kept = this.sorted().slice(0, FIT_ROWS)
      this.threshold = this.kept.at(-1)!.priority
    }
  }

  private sorted() {
    return this.kept.sort((a, b) => a.priority - b.priority)
  }

  /** The sampled rows, in sample order. */
  rows(): string[][] {
    return this.sorted().slice(0, FIT_ROWS).map(k => k.cells)
  }
}

/** Reads the rows to fit: all of them, or a seeded sample of FIT_ROWS past that. */
export async function readRows(path: string, profile: DatasetProfile, seed: number): Promise<string[][]> {
  const sample = new RowSample(seed)
  let row = -2
  const parser = createReadStream(path).pipe(parse({ delimiter: profile.delimiter, bom: true, skip_empty_lines: true }))
  for await (const record of parser as AsyncIterable<string[]>) {
    if (++row >= 0) sample.add(record, row)
  }
  return sample.rows()
}

/** Profiles a CSV and fits a model to it, reading the file once (what an upload does). */
export async function profileAndFit(path: string, seed = 0): Promise<{ profile: DatasetProfile; model: GenerationSchema }> {
  const sample = new RowSample(seed)
  const profile = await profileCsv(path, (cells, index) => sample.add(cells, index))
  return { profile, model: await fitCsv(path, profile, seed, sample.rows()) }
}

/** What a copula column's values are drawn from: a marginal fitted to some rows. */
type Marginal = Extract<ValueSpec, { kind: 'empirical' | 'categorical' }>

/** A category label as a cell: integers written plainly become numbers (as the CSV writes them back). */
const categoryValue = (text: string) => (/^-?\d+$/.test(text) && String(Number(text)) === text ? Number(text) : text)

/**
 * A number, date or category column's marginal fitted to some cells (one slice of the rows, or all),
 * with the normal scores of the cells for the copula (0 where missing; none past
 * MAX_COPULA_CATEGORIES categories) and the share of cells that did not parse (`unusable`, nulls in
 * the model). Undefined when no cell holds a usable value.
 */
function fitMarginal(type: InferredType, cells: string[], rng: RowRandom, stream: number): { spec: Marginal; scores?: number[]; unusable?: number } | undefined {
  const present = cells.map(c => !NULL_TOKENS.has(c))
  const texts = cells.filter((_, i) => present[i])
  if (!texts.length) return undefined
  const scoresOf = (values: number[]) => {
    const scores = normalScores(values)
    let k = 0
    return present.map(p => (p ? scores[k++]! : 0))
  }
  if (type === 'integer' || type === 'number' || type === 'date' || type === 'datetime') {
    const epochSeconds = type === 'datetime' && texts.every(t => /^\d{10}$/.test(t))
    const epochMs = type === 'datetime' && texts.every(t => /^\d{13}$/.test(t))
    const isDate = (type === 'date' || type === 'datetime') && !epochSeconds && !epochMs
    const parsed = texts.map(t => (isDate ? parseDateLike(t) : parseNumber(t)))
    // Cells that do not parse (`2024-02-30` in a column typed date by an override) are nulls: left
    // out of the marginal and the copula, and counted in the null rate.
    const unusable = parsed.filter(v => !Number.isFinite(v)).length
    if (unusable) {
      let k = 0
      present.forEach((p, i) => (present[i] = p && Number.isFinite(parsed[k++]!)))
    }
    const numbers = parsed.filter(Number.isFinite)
    if (!numbers.length) return undefined
    const sorted = Array.from(Float64Array.from(numbers).sort())
    const format = type === 'date' ? dateFormatOf(texts) : 'iso'
    const output = isDate ? (type === 'date' ? 'date' : 'datetime') : type === 'number' ? 'number' : 'integer'
    const spec: Marginal = { kind: 'empirical', values: knots(sorted), output, decimals: type === 'number' ? decimalsOf(texts) : 0, ...(isDate ? { format } : {}) }
    return { spec, scores: scoresOf(numbers), unusable: unusable / cells.length }
  }
  const counts = new Map<string, number>()
  for (const t of texts) counts.set(t, (counts.get(t) ?? 0) + 1)
  // By frequency, most frequent first: each takes a slice of [0, 1] in the copula.
  const ordered = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  const spec: Marginal = { kind: 'categorical', categories: ordered.map(([value, weight]) => ({ value: categoryValue(value), weight })) }
  if (ordered.length > MAX_COPULA_CATEGORIES) return { spec }
  const total = texts.length
  const start = new Map<string, [number, number]>()
  let acc = 0
  for (const [value, count] of ordered) {
    start.set(value, [acc / total, count / total])
    acc += count
  }
  rng.setRow(stream)
  const scores = cells.map((c, i) => {
    if (!present[i]) return 0
    const [from, width] = start.get(c)!
    return normalQuantile(Math.min(1 - 1e-12, Math.max(1e-12, from + width * rng.next())))
  })
  return { spec, scores }
}

/** The correlation matrix of normal scores, repaired to positive definite (null if it cannot be). */
function correlationMatrix(scores: number[][]): number[][] | null {
  let matrix = scores.map((a, r) => scores.map((b, c) => (r === c ? 1 : pearson(a, b))))
  // Repair to positive definite by shrinking towards the identity, as little as needed.
  for (let shrink = 0; !choleskyOrNull(matrix) && shrink < 1; shrink += 0.02) {
    const s = shrink + 0.02
    matrix = matrix.map((row, r) => row.map((v, c) => (r === c ? 1 : v * (1 - s))))
  }
  const rounded = matrix.map(row => row.map(v => Math.round(v * 1e6) / 1e6))
  const symmetric = rounded.map((row, r) => row.map((v, c) => (r === c ? 1 : c < r ? v : rounded[c]![r]!)))
  return choleskyOrNull(symmetric) ? symmetric : null
}

interface Fitted {
  column: Column
  type: InferredType
  /** The column's trimmed cells in the fitted rows. */
  cells: string[]
  /** Normal scores of the fitted rows, for the copula (numeric and categorical columns only). */
  scores?: number[]
}

/** Categories a column may have to split the rows into slices with a copula each. */
const MAX_SPLIT_CATEGORIES = 10
/** Mean Cramér's V with the other copula columns above which a categorical column splits the rows. */
const SPLIT_ASSOCIATION = 0.3

/** The cells as contingency codes for Cramér's V: categories as they are, numbers and dates in 10 equal-width bins (as the quality report cuts them). */
function codesOf(fitted: Fitted): { codes: Int32Array; size: number } {
  const categorical = fitted.column.kind === 'categorical'
  const dates = fitted.column.kind === 'empirical' && (fitted.column.output === 'date' || fitted.column.output === 'datetime') && !/^epoch/.test(fitted.column.format ?? '')
  const values = fitted.cells.map(c => (NULL_TOKENS.has(c) ? null : categorical ? c : dates ? parseDateLike(c) : parseNumber(c)))
  const coder = contingencyCoder(categorical ? 'categorical' : 'numerical', values)
  return { codes: Int32Array.from(values, coder.code), size: coder.size() }
}

/**
 * The categorical column (at most MAX_SPLIT_CATEGORIES categories) most associated with the other
 * copula columns (mean Cramér's V above SPLIT_ASSOCIATION), whose slices then get a copula each:
 * penguins' species decide the size of their beaks, which one Gaussian copula cannot carry.
 */
function chooseSplit(inCopula: Fitted[]): Fitted | undefined {
  const candidates = inCopula.filter(f => f.column.kind === 'categorical' && f.column.categories.length >= 2 && f.column.categories.length <= MAX_SPLIT_CATEGORIES)
  if (!candidates.length || inCopula.length < 3) return undefined
  const coded = new Map(inCopula.map(f => [f, codesOf(f)]))
  let best: Fitted | undefined
  let bestAssociation = SPLIT_ASSOCIATION
  for (const candidate of candidates) {
    const others = inCopula.filter(f => f !== candidate)
    const a = coded.get(candidate)!
    const association = others.reduce((sum, f) => {
      const b = coded.get(f)!
      return sum + cramersVOf(jointShares(a.codes, a.size, b.codes, b.size), b.size)
    }, 0) / others.length
    if (association > bestAssociation) {
      best = candidate
      bestAssociation = association
    }
  }
  return best
}

/** Fits a Gaussian copula to a profiled CSV; the result is a schema for look-alike rows. */
export async function fitCsv(path: string, profile: DatasetProfile, seed = 0, sampled?: string[][]): Promise<GenerationSchema> {
  const rows = sampled ?? await readRows(path, profile, seed)
  const names = columnNames(profile.columns.map(c => c.name))
  const rng = new RowRandom(seed)
  const fitted: Fitted[] = profile.columns.map((profiled, index) => {
    const name = names[index]!
    const base = { name, null_rate: profiled.nulls / profile.rows, unique: false, hidden: false }
    const cells = rows.map(r => (r[index] ?? '').trim())
    const texts = cells.filter(c => !NULL_TOKENS.has(c))
    const type: InferredType = profiled.type
    if (['integer', 'number', 'date', 'datetime', 'categorical', 'boolean'].includes(type)) {
      const marginal = fitMarginal(type, cells, rng, index)
      if (marginal) return { column: { ...base, null_rate: Math.min(1, base.null_rate + (marginal.unusable ?? 0)), ...marginal.spec }, type, cells, scores: marginal.scores }
    }
    if (type === 'id') {
      if (texts.every(t => /^\d+$/.test(t))) {
        const start = Math.min(...texts.map(Number))
        return { column: { ...base, null_rate: 0, kind: 'sequence', start: Number.isSafeInteger(start) ? start : 1, step: 1 }, type, cells }
      }
      if (texts.every(t => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(t))) return { column: { ...base, null_rate: 0, kind: 'uuid' }, type, cells }
      const pattern = idPattern(texts)
      if (pattern) return { column: { ...base, null_rate: 0, kind: 'pattern', pattern, unique: true }, type, cells }
      return { column: { ...base, null_rate: 0, kind: 'uuid' }, type, cells }
    }
    // PII and free text are re-synthesised, never copied.
    const method = type === 'email' ? 'internet.email'
      : type === 'phone' ? 'phone.number'
        : type === 'address' ? 'location.streetAddress'
          : type === 'name' ? (/first|given/i.test(name) ? 'person.firstName' : /last|sur|family/i.test(name) ? 'person.lastName' : 'person.fullName')
            : 'lorem.sentence'
    return { column: { ...base, kind: 'faker', method }, type, cells }
  })

  const inCopula = fitted.filter(f => f.scores).slice(0, MAX_COPULA_COLUMNS)
  const schema: GenerationSchema = { locale: 'en', columns: fitted.map(f => f.column) }
  const split = chooseSplit(inCopula)
  if (split) {
    const slices = splitModel(split, inCopula.filter(f => f !== split), rng)
    if (slices) {
      schema.columns = fitted.map(f => slices.columns.get(f) ?? f.column)
      schema.correlations = slices.correlations
      return schema
    }
  }
  const matrix = inCopula.length >= 2 ? correlationMatrix(inCopula.map(f => f.scores!)) : null
  if (matrix) schema.correlations = [{ columns: inCopula.map(f => f.column.name), matrix }]
  return schema
}

/** Rows a slice needs for a copula of its own, per column in it (and at least MIN_SLICE_ROWS). */
const SLICE_ROWS_PER_COLUMN = 5
const MIN_SLICE_ROWS = 30

/**
 * A mixture of copulas: each other copula column becomes `conditional` on the split column, with a
 * marginal per slice (the pooled one as `default`), and each slice with enough rows gets its own
 * correlation group (`on`/`when`); the small slices share the pooled correlations.
 */
function splitModel(split: Fitted, others: Fitted[], rng: RowRandom): { columns: Map<Fitted, Column>; correlations: NonNullable<GenerationSchema['correlations']> } | undefined {
  if (split.column.kind !== 'categorical' || !others.length) return undefined
  const minRows = Math.max(MIN_SLICE_ROWS, SLICE_ROWS_PER_COLUMN * others.length)
  const slices = split.column.categories.map(c => c.value)
  const members = new Map<string, number[]>(slices.map(v => [String(v), []]))
  split.cells.forEach((cell, row) => members.get(String(categoryValue(cell)))?.push(row))
  const large = slices.filter(v => members.get(String(v))!.length >= minRows)
  const small = slices.filter(v => members.get(String(v))!.length < minRows)
  if (!large.length) return undefined
  const cases = new Map<Fitted, { when: string | number; then: Marginal }[]>(others.map(f => [f, []]))
  const correlations: NonNullable<GenerationSchema['correlations']> = []
  const names = others.map(f => f.column.name)
  large.forEach((value, s) => {
    const rows = members.get(String(value))!
    const scores = others.map((f, k) => {
      const marginal = fitMarginal(f.type, rows.map(r => f.cells[r]!), rng, (s + 1) * 0x10000 + k)
      if (marginal) cases.get(f)!.push({ when: value as string | number, then: marginal.spec })
      return marginal?.scores ?? rows.map(() => 0)
    })
    const matrix = others.length >= 2 ? correlationMatrix(scores) : null
    if (matrix) correlations.push({ columns: names, matrix, on: split.column.name, when: value as string | number })
  })
  if (small.length && others.length >= 2) {
    const matrix = correlationMatrix(others.map(f => f.scores!))
    if (matrix) correlations.push({ columns: names, matrix, on: split.column.name, when: small as (string | number)[] })
  }
  const columns = new Map<Fitted, Column>(others.map((f) => {
    if (!cases.get(f)!.length) return [f, f.column]
    const { name, null_rate, unique, hidden } = f.column
    const pooled = { ...f.column } as Record<string, unknown>
    for (const key of ['name', 'null_rate', 'unique', 'hidden']) delete pooled[key]
    return [f, { name, null_rate, unique, hidden, kind: 'conditional', on: split.column.name, cases: cases.get(f)!, default: pooled as Marginal }]
  }))
  return { columns, correlations }
}
