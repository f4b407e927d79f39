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
import { FORBIDDEN_KEYS, type Column, type DatasetSchema } from '../shared/schema.ts'
import { choleskyOrNull, normalQuantile } from './distributions.ts'
import { normalScores, pearson } from './evaluate.ts'
import { NULL_TOKENS, type DatasetProfile, type InferredType } from './profile.ts'
import { RowRandom, rowHash, seedWords } from './random.ts'

/** Rows a fit reads at most (a seeded sample of larger files). */
export const FIT_ROWS = 50_000
/** Quantile knots kept per column. */
const KNOTS = 2001
/** Columns in the copula at most (the schema language's limit per group). */
const MAX_COPULA_COLUMNS = 50
/** Categories a column may have to take part in the copula. */
const MAX_COPULA_CATEGORIES = 200

const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, sept: 8, oct: 9, nov: 10, dec: 11 }

/** Epoch ms of a date as the profiler recognises them (ISO, MM/DD/YYYY, `Jun 12 1998`, `12 Jun 1998`). */
export function parseDateLike(text: string): number {
  const value = text.trim()
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (m) return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!)
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value)
  if (m) return Date.UTC(+m[3]!, +m[1]! - 1, +m[2]!)
  m = /^([a-z]+)\.? (\d{1,2}),? (\d{4})$/i.exec(value)
  if (m && MONTHS[m[1]!.slice(0, 3).toLowerCase()] !== undefined) return Date.UTC(+m[3]!, MONTHS[m[1]!.slice(0, 3).toLowerCase()]!, +m[2]!)
  m = /^(\d{1,2}) ([a-z]+)\.? (\d{4})$/i.exec(value)
  if (m && MONTHS[m[2]!.slice(0, 3).toLowerCase()] !== undefined) return Date.UTC(+m[3]!, MONTHS[m[2]!.slice(0, 3).toLowerCase()]!, +m[1]!)
  const iso = /T.*([Zz]|[+-]\d\d:?\d\d)$/.test(value) || !/[T ]\d/.test(value) ? value : `${value.replace(' ', 'T')}Z`
  return Date.parse(iso)
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

const decimalsOf = (texts: string[]) => Math.min(6, Math.max(0, ...texts.map(t => (/\.(\d+)$/.exec(t.trim().replaceAll(',', ''))?.[1]?.length ?? 0))))

/** The shape of an identifier as a pattern: letters → `?`/`@`, digits → `#`, the rest literal. */
function idPattern(values: string[]): string | undefined {
  const shapes = new Set(values.map(v => v.replace(/[A-Z]/g, '?').replace(/[a-z]/g, '@').replace(/\d/g, '#').replace(/[\\*]/g, c => `\\${c}`)))
  return shapes.size === 1 ? [...shapes][0] : undefined
}

/** Reads the rows to fit: all of them, or a seeded sample of FIT_ROWS past that. */
export async function readRows(path: string, profile: DatasetProfile, seed: number): Promise<string[][]> {
  const [lo, hi] = seedWords(seed)
  const threshold = Math.min(1, (1.25 * FIT_ROWS) / profile.rows)
  const kept: { priority: number; cells: string[] }[] = []
  let row = -1
  const parser = createReadStream(path).pipe(parse({ delimiter: profile.delimiter, bom: true, skip_empty_lines: true }))
  for await (const record of parser as AsyncIterable<string[]>) {
    if (row++ < 0) continue
    const priority = rowHash(lo, hi, row, 0xf17)
    if (priority < threshold) kept.push({ priority, cells: record })
  }
  kept.sort((a, b) => a.priority - b.priority)
  return kept.slice(0, FIT_ROWS).map(k => k.cells)
}

interface Fitted {
  column: Column
  /** Normal scores of the fitted rows, for the copula (numeric and categorical columns only). */
  scores?: number[]
}

/** Fits a Gaussian copula to a profiled CSV; the result is a schema for look-alike rows. */
export async function fitCsv(path: string, profile: DatasetProfile, seed = 0): Promise<DatasetSchema> {
  const rows = await readRows(path, profile, seed)
  const names = columnNames(profile.columns.map(c => c.name))
  const rng = new RowRandom(seed)
  const fitted: Fitted[] = profile.columns.map((profiled, index) => {
    const name = names[index]!
    const base = { name, null_rate: profiled.nulls / profile.rows, unique: false, hidden: false }
    const cells = rows.map(r => (r[index] ?? '').trim())
    const present = cells.map(c => !NULL_TOKENS.has(c))
    const texts = cells.filter((_, i) => present[i])
    const type: InferredType = profiled.type
    const scoresOf = (values: number[]) => {
      const scores = normalScores(values)
      let k = 0
      return present.map(p => (p ? scores[k++]! : 0))
    }
    if (type === 'integer' || type === 'number' || type === 'date' || type === 'datetime') {
      const epochSeconds = type === 'datetime' && texts.every(t => /^\d{10}$/.test(t))
      const epochMs = type === 'datetime' && texts.every(t => /^\d{13}$/.test(t))
      const isDate = (type === 'date' || type === 'datetime') && !epochSeconds && !epochMs
      const numbers = texts.map(t => (isDate ? parseDateLike(t) : parseNumber(t))).filter(Number.isFinite)
      if (numbers.length) {
        const sorted = [...numbers].sort((a, b) => a - b)
        const format = type === 'date' ? (texts.every(t => /^\d{1,2}\/\d{1,2}\/\d{4}$/.test(t)) ? 'MM/DD/YYYY' : 'YYYY-MM-DD') : 'iso'
        const output = isDate ? (type === 'date' ? 'date' : 'datetime') : type === 'number' ? 'number' : 'integer'
        const column: Column = { ...base, kind: 'empirical', values: knots(sorted), output, decimals: type === 'number' ? decimalsOf(texts) : 0, ...(isDate ? { format } : {}) }
        return { column, scores: scoresOf(texts.map(t => (isDate ? parseDateLike(t) : parseNumber(t)))) }
      }
    }
    if (type === 'categorical' || type === 'boolean') {
      const counts = new Map<string, number>()
      for (const t of texts) counts.set(t, (counts.get(t) ?? 0) + 1)
      // By frequency, most frequent first: each takes a slice of [0, 1] in the copula.
      const ordered = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      const column: Column = {
        ...base,
        kind: 'categorical',
        categories: ordered.map(([value, weight]) => ({ value: /^-?\d+$/.test(value) && String(Number(value)) === value ? Number(value) : value, weight })),
      }
      if (ordered.length > MAX_COPULA_CATEGORIES) return { column }
      const total = texts.length
      const start = new Map<string, [number, number]>()
      let acc = 0
      for (const [value, count] of ordered) {
        start.set(value, [acc / total, count / total])
        acc += count
      }
      rng.setRow(index)
      const scores = cells.map((c, i) => {
        if (!present[i]) return 0
        const [from, width] = start.get(c)!
        return normalQuantile(Math.min(1 - 1e-12, Math.max(1e-12, from + width * rng.next())))
      })
      return { column, scores }
    }
    if (type === 'id') {
      if (texts.every(t => /^\d+$/.test(t))) {
        const start = Math.min(...texts.map(Number))
        return { column: { ...base, null_rate: 0, kind: 'sequence', start: Number.isSafeInteger(start) ? start : 1, step: 1 } }
      }
      if (texts.every(t => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(t))) return { column: { ...base, null_rate: 0, kind: 'uuid' } }
      const pattern = idPattern(texts)
      if (pattern) return { column: { ...base, null_rate: 0, kind: 'pattern', pattern, unique: true } }
      return { column: { ...base, null_rate: 0, kind: 'uuid' } }
    }
    // PII and free text are re-synthesised, never copied.
    const method = type === 'email' ? 'internet.email'
      : type === 'phone' ? 'phone.number'
        : type === 'address' ? 'location.streetAddress'
          : type === 'name' ? (/first|given/i.test(name) ? 'person.firstName' : /last|sur|family/i.test(name) ? 'person.lastName' : 'person.fullName')
            : 'lorem.sentence'
    return { column: { ...base, kind: 'faker', method } }
  })

  const inCopula = fitted.filter(f => f.scores).slice(0, MAX_COPULA_COLUMNS)
  const schema: DatasetSchema = { locale: 'en', columns: fitted.map(f => f.column) }
  if (inCopula.length >= 2) {
    let matrix = inCopula.map(a => inCopula.map(b => (a === b ? 1 : pearson(a.scores!, b.scores!))))
    // Repair to positive definite by shrinking towards the identity, as little as needed.
    for (let shrink = 0; !choleskyOrNull(matrix) && shrink < 1; shrink += 0.02) {
      const s = shrink + 0.02
      matrix = matrix.map((row, r) => row.map((v, c) => (r === c ? 1 : v * (1 - s))))
    }
    const rounded = matrix.map(row => row.map(v => Math.round(v * 1e6) / 1e6))
    const symmetric = rounded.map((row, r) => row.map((v, c) => (r === c ? 1 : c < r ? v : rounded[c]![r]!)))
    if (choleskyOrNull(symmetric)) schema.correlations = [{ columns: inCopula.map(f => f.column.name), matrix: symmetric }]
  }
  return schema
}
