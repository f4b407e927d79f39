/**
 * The evaluator for schema jobs: how well the output matches what the schema declared. Exact counts
 * (nulls, categories) come from every row; distribution tests use the run's seeded sample, so memory
 * stays bounded whatever the output size. The tests themselves are in stats.ts.
 */
import type { CategoricalReport, CellValue, Column, ColumnReport, GenerationSchema, SchemaJobMetrics, ValueSpec } from '../../shared/schema.ts'
import { empiricalLaw, numericLaw, rangeGrid, rangeLaw } from '../schema/laws.ts'
import { DAY_MS } from '../time/calendar.ts'
import { parseDateLike, parseIso, secondsOfDay } from '../time/iso.ts'
import { chiSquareTest, ksTest, normalScores, pearson } from './stats.ts'

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
  if (column.kind === 'date') return column.format === 'YYYY-MM-DD' ? { toNumber: v => parseIso(String(v)), width: DAY_MS } : undefined
  if (column.kind === 'time') return column.format === 'HH:mm:ss' ? { toNumber: v => secondsOfDay(String(v)), width: 1 } : undefined
  if (column.format === 'iso') return { toNumber: v => parseIso(String(v)), width: 1 }
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

/** What a run counted and sampled, as the evaluator reads it (engine/run/generate.ts makes it). */
export interface RunTallies {
  rows: number
  /** Nulls per schema column, over every row. */
  nulls: number[]
  /** Per categorical column index: count per category (schema order); per boolean column: [true, false]. */
  counts: Record<number, number[]>
  /**
   * The seeded sample, ordered by row: every column in schema order (hidden ones the evaluator does not
   * read are null), at most `sampleSize` rows and SAMPLE_MAX_CHARS characters (engine/run/chunk.ts).
   */
  sample: CellValue[][]
}

/** The quality report of a schema job. */
export function evaluateSchemaJob(schema: GenerationSchema, summary: RunTallies): SchemaJobMetrics {
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
function nonFiniteAsNull<T>(report: T): T {
  return JSON.parse(JSON.stringify(report)) as T
}

