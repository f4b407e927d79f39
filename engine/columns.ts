/**
 * Column kinds: each column of a schema compiles to a sampler that draws its value for the current
 * row from the row's random stream (or from the copula, or a permutation for unique columns). This
 * is where a column kind is sampled; `compileSchema` also resolves dependencies between columns.
 */
import type { Faker } from '@faker-js/faker'
import type { CellValue, Column, DatasetSchema, ValueSpec } from '../shared/schema.ts'
import { choleskyOrNull, normalCdf, normalQuantile, type Law } from './distributions.ts'
import { DAY_MS, dateFormatter, datetimeFormatter, isoString, isValidDatetimeFormat, timeFormatter } from './datetime.ts'
import { empiricalLaw, numericLaw, rangeGrid, rangeLaw } from './laws.ts'
import { loadedLocale } from './locales.ts'
import { compileExpression, ExpressionError } from './expression.ts'
import { fastFakerMethods, ValueTable, type FastMethod, type PartsSource } from './fast-faker.ts'
import { createPermutation, type Permutation } from './permutation.ts'
import { RowRandom, seedWords } from './random.ts'

type Path = (string | number)[]

/** A problem with a schema that only the engine can see (unknown references, cycles, ...). */
export class SchemaError extends Error {
  readonly issues: { path: Path; message: string }[]
  constructor(issues: { path: Path; message: string }[]) {
    super(issues.map(i => `${i.path.join('.')}: ${i.message}`).join('; '))
    this.name = 'SchemaError'
    this.issues = issues
  }
}

/** What a sampler sees: the row's stream, its index, the cells filled so far, copula uniforms. */
export interface RowState {
  rng: RowRandom
  row: number
  cells: CellValue[]
  uniforms: Float64Array
}

/** Draws one value for the current row. */
export type Sampler = (state: RowState) => CellValue

/** The type a column's values have in typed formats (Parquet, SQL). */
export type OutputType = 'integer' | 'number' | 'string' | 'boolean' | 'timestamp' | 'date'

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

function uuidFrom(rng: RowRandom): string {
  const w0 = rng.next32()
  const w1 = (rng.next32() & 0xffff0fff) | 0x00004000 // version 4
  const w2 = (rng.next32() & 0x3fffffff) | 0x80000000 // RFC 9562 variant
  const w3 = rng.next32()
  const h = (w: number, shift: number) => HEX[(w >>> shift) & 0xff]!
  return `${h(w0, 24)}${h(w0, 16)}${h(w0, 8)}${h(w0, 0)}-${h(w1, 24)}${h(w1, 16)}-${h(w1, 8)}${h(w1, 0)}-`
    + `${h(w2, 24)}${h(w2, 16)}-${h(w2, 8)}${h(w2, 0)}${h(w3, 24)}${h(w3, 16)}${h(w3, 8)}${h(w3, 0)}`
}

function roundTo(value: number, decimals: number): number {
  const scale = 10 ** decimals
  const scaled = value * scale
  // Beyond 1.8e308 / 10^decimals the product overflows; such values have no decimals left to round.
  return Number.isFinite(scaled) ? Math.round(scaled) / scale : value
}

/** A column's law, or a SchemaError naming the field that keeps its draws from following it. */
function drawableLaw(law: Law, at: Path): Law {
  if (law.problem) throw new SchemaError([{ path: [...at, ...law.problem.path], message: law.problem.message }])
  return law
}

/** Longest text a cell may hold; a longer faker value fails the job rather than the machine. */
export const MAX_CELL_CHARS = 100_000

/** Turns whatever a faker method or expression returns into a cell. */
function toCell(value: unknown): CellValue {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') {
    if (value.length > MAX_CELL_CHARS) throw new Error(`a value of ${value.length} characters is longer than the ${MAX_CELL_CHARS} a cell may hold`)
    return value
  }
  if (typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Date) return value.toISOString()
  return JSON.stringify(value)
}

/** What faker's relative date methods count from (see README). */
export const FAKER_REFERENCE_DATE = '2025-01-01T00:00:00.000Z'

/**
 * A faker instance for the locale (loaded beforehand with `loadLocale`) whose randomness is the current
 * row's stream, with fast paths for hot methods.
 */
function createRowFaker(locale: string): { faker: Faker; fast: Map<string, FastMethod>; bind(rng: RowRandom): void } {
  let current: RowRandom | undefined
  const localeFaker = loadedLocale(locale)
  if (!localeFaker) throw new SchemaError([{ path: ['schema', 'locale'], message: `unknown faker locale "${locale}"` }])
  const FakerClass = localeFaker.constructor as typeof Faker
  const faker = new FakerClass({ locale: localeFaker.rawDefinitions, randomizer: { next: () => current!.next(), seed: () => {} } })
  // faker's relative dates (date.recent, date.past, ...) count from "now" by default: a fixed instant
  // keeps output reproducible, on any day and after a restart.
  faker.setDefaultRefDate(FAKER_REFERENCE_DATE)
  return { faker, fast: fastFakerMethods(faker, () => current!), bind: (rng) => { current = rng } }
}

const FORBIDDEN_MEMBERS = new Set(['constructor', 'prototype', '__proto__', 'seed', 'setDefaultRefDate', 'rawDefinitions', 'definitions'])

/** Resolves `module.method` on faker, refusing anything that is not a plain faker method. */
function fakerMethod(faker: Faker, path: string, at: Path, fast?: Map<string, FastMethod>): () => CellValue {
  const [moduleName, methodName] = path.split('.') as [string, string]
  const fakerModule: unknown = FORBIDDEN_MEMBERS.has(moduleName) || !Object.hasOwn(faker, moduleName) ? undefined : (faker as unknown as Record<string, unknown>)[moduleName]
  const method: unknown = fakerModule && typeof fakerModule === 'object' && !FORBIDDEN_MEMBERS.has(methodName) && !methodName.startsWith('_')
    ? (fakerModule as Record<string, unknown>)[methodName]
    : undefined
  if (typeof method !== 'function') throw new SchemaError([{ path: at, message: `"${path}" is not a faker method` }])
  const quick = fast?.get(path)
  if (quick) return quick
  const call = method as (...a: unknown[]) => unknown
  return () => toCell(call.call(fakerModule))
}

function fakerCall(faker: Faker, path: string, args: unknown[], at: Path, fast: Map<string, FastMethod>): () => CellValue {
  if (!args.length) return fakerMethod(faker, path, at, fast)
  const [moduleName, methodName] = path.split('.') as [string, string]
  fakerMethod(faker, path, at) // validates the path
  const fakerModule = (faker as unknown as Record<string, Record<string, (...a: unknown[]) => unknown>>)[moduleName]!
  const method = fakerModule[methodName]!
  // Each call gets its own copy of list arguments: helpers.shuffle with inplace (the one faker method
  // that changes an argument) would otherwise carry its shuffle over to later rows, chunks and runs.
  if (args.some(Array.isArray)) return () => toCell(method.apply(fakerModule, args.map(arg => (Array.isArray(arg) ? arg.slice() : arg))))
  return () => toCell(method.apply(fakerModule, args))
}

// ---- patterns -------------------------------------------------------------------------------

const CLASSES: Record<string, string> = {
  '#': '0123456789',
  '?': 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  '@': 'abcdefghijklmnopqrstuvwxyz',
  '*': 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
}

/** A pattern as literal text and character classes. */
function parsePattern(pattern: string): (string | string[])[] {
  const parts: (string | string[])[] = []
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!
    if (ch === '\\' && i + 1 < pattern.length) parts.push(pattern[++i]!)
    else if (CLASSES[ch]) parts.push(Array.from(CLASSES[ch]!))
    else parts.push(ch)
  }
  return parts
}

// ---- templates ------------------------------------------------------------------------------

const PLAIN_ALNUM = /^[A-Za-z0-9]*$/

const FILTERS: Record<string, (s: string) => string> = {
  lower: s => s.toLowerCase(),
  upper: s => s.toUpperCase(),
  /** Lowercase ASCII letters and digits only: "José O'Neil" → "joseoneil". */
  alnum: s => (PLAIN_ALNUM.test(s) ? s : s.normalize('NFD').replace(/[\u0300-\u036F]/g, '').replace(/[^A-Za-z0-9]/g, '')).toLowerCase(),
  /** URL slug: "José O'Neil" → "jose-o-neil". */
  slug: s => s.normalize('NFD').replace(/[\u0300-\u036F]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, ''),
}

const SMALL_INTEGERS = Array.from({ length: 1000 }, (_, i) => String(i))

/** A cell as template text: '' for null, small integers from a table (String converts each time). */
function cellText(value: CellValue | undefined): string {
  if (typeof value === 'string') return value
  if (value === null || value === undefined) return ''
  if (typeof value === 'number' && value >= 0 && value < 1000 && Number.isInteger(value)) return SMALL_INTEGERS[value]!
  return String(value)
}

interface TemplateToken { text?: string; column?: string; faker?: string; filters: ((s: string) => string)[] }

function parseTemplate(template: string, at: Path): TemplateToken[] {
  const tokens: TemplateToken[] = []
  const re = /\{\{\s*([^}]*?)\s*\}\}/g
  let last = 0
  for (let m = re.exec(template); m; m = re.exec(template)) {
    if (m.index > last) tokens.push({ text: template.slice(last, m.index), filters: [] })
    const [ref, ...filterNames] = m[1]!.split('|').map(s => s.trim())
    const filters = filterNames.map((name) => {
      const filter = FILTERS[name]
      if (!filter) throw new SchemaError([{ path: at, message: `unknown filter "${name}" (use ${Object.keys(FILTERS).join(', ')})` }])
      return filter
    })
    if (!ref || !/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9]*)?$/.test(ref)) throw new SchemaError([{ path: at, message: `"{{${m[1]}}}" is neither a column nor a faker method` }])
    tokens.push(ref.includes('.') ? { faker: ref, filters } : { column: ref, filters })
    last = m.index + m[0].length
  }
  if (last < template.length) tokens.push({ text: template.slice(last), filters: [] })
  return tokens
}

/** Kinds whose value can come from the copula's uniform for the column. */
const COPULA_KINDS = new Set(['integer', 'float', 'datetime', 'date', 'time', 'empirical', 'categorical', 'boolean', 'conditional'])

// ---- compile ----------------------------------------------------------------------------------

interface Context {
  faker: Faker
  fast: Map<string, FastMethod>
  index: Map<string, number>
  /** Every column once compiled (templates look up the tables of the columns they filter). */
  columns?: CompiledValue[]
  rows: number
  seed: number
}

/** Where a sampler gets its uniform from: the row stream, or the copula's draw for this column. */
type UniformSource = (state: RowState) => number
const fromStream: UniformSource = state => state.rng.next()

interface CompiledValue {
  sampler: Sampler
  /** Columns this value reads (by name), for the dependency order. */
  references: { name: string; path: Path }[]
  type: OutputType | undefined
  /** When values are entries of a fixed list: the list, and the index of the value last drawn (-1: not from the list). */
  table?: ValueTable
  /** When values are ISO 8601 UTC text of instants: their formatter, and a switch to return the epoch ms instead. */
  instant?: DeferredInstant
  /** When values are concatenations (templates, faker patterns): the pieces of the last one. */
  pieces?: PartsSource
  /** Templates: from now on the sampler only fills the pieces and returns undefined (see CompiledSchema.deferTexts). */
  deferText?: () => void
}

/** An ISO 8601 UTC datetime column's formatting, which encoders that write instants from numbers can defer. */
interface DeferredInstant {
  /** The text of an instant, as the column writes it. */
  text(ms: number): string
  /** From now on the sampler returns epoch ms instead of text. */
  defer(): void
}

export { ValueTable }

function valueSpace(spec: ValueSpec): number | undefined {
  switch (spec.kind) {
    case 'integer': return spec.distribution.type === 'uniform' ? spec.max! - spec.min! + 1 : undefined
    case 'categorical': return spec.categories.length
    case 'pattern': return parsePattern(spec.pattern).reduce<number>((n, part) => n * (typeof part === 'string' ? 1 : part.length), 1)
    case 'datetime':
    case 'date':
    case 'time': return spec.distribution.type === 'uniform' ? rangeGrid(spec).count : undefined
    default: return undefined
  }
}

/** A sampler drawing without replacement: row i takes the value at position perm(i) of the space. */
function uniqueSampler(spec: ValueSpec, ctx: Context, columnIndex: number, at: Path): CompiledValue | undefined {
  if (spec.kind === 'sequence') {
    const last = spec.start + (ctx.rows - 1) * spec.step
    if (!Number.isSafeInteger(last)) throw new SchemaError([{ path: [...at, 'start'], message: `the sequence would pass ${Number.MAX_SAFE_INTEGER}, where numbers stop being exact` }])
    return undefined // unique by construction
  }
  const coarse = (spec.kind === 'datetime' && spec.format !== 'iso' && spec.format !== 'epoch')
    || (spec.kind === 'date' && !['YYYY', 'MM', 'DD'].every(t => spec.format.includes(t)))
    || (spec.kind === 'time' && !['HH', 'mm', 'ss'].every(t => spec.format.includes(t)))
  if (coarse) throw new SchemaError([{ path: [...at, 'unique'], message: `unique ${spec.kind} values need a format that writes them in full (${spec.kind === 'datetime' ? 'iso or epoch' : spec.kind === 'date' ? 'with YYYY, MM and DD' : 'with HH, mm and ss'})` }])
  if (spec.kind === 'uuid') return undefined // 122 random bits: collisions are out of reach
  const space = valueSpace(spec)
  if (space === undefined) {
    const why = ['integer', 'datetime', 'date', 'time'].includes(spec.kind)
      ? `unique ${spec.kind} values are drawn uniformly without replacement: use a uniform distribution`
      : `unique is not available for ${spec.kind} columns (use sequence, uuid, pattern, integer, categorical, datetime, date or time, or a template that includes a unique column)`
    throw new SchemaError([{ path: [...at, 'unique'], message: why }])
  }
  if (space < ctx.rows) throw new SchemaError([{ path: [...at, 'unique'], message: `only ${space} distinct values exist, fewer than the ${ctx.rows} rows asked` }])
  const [lo, hi] = seedWords(ctx.seed)
  const perm: Permutation = createPermutation(Math.min(space, 2 ** 52), [lo ^ 0x1234567, hi ^ columnIndex, (lo + columnIndex * 0x9e3779b9) >>> 0, 0xdeadbeef ^ columnIndex])
  switch (spec.kind) {
    case 'integer': {
      const min = spec.min!
      return { sampler: s => min + perm.at(s.row), references: [], type: 'integer' }
    }
    case 'categorical': {
      const values = spec.categories.map(c => c.value)
      const table = new ValueTable(values)
      return { sampler: s => values[table.code = perm.at(s.row)]!, references: [], type: categoricalType(values), table }
    }
    case 'pattern': {
      const parts = parsePattern(spec.pattern)
      return {
        sampler: (s) => {
          let rest = perm.at(s.row)
          const out = new Array<string>(parts.length)
          for (let i = parts.length - 1; i >= 0; i--) {
            const part = parts[i]!
            if (typeof part === 'string') out[i] = part
            else {
              out[i] = part[rest % part.length]!
              rest = Math.floor(rest / part.length)
            }
          }
          return out.join('')
        },
        references: [],
        type: 'string',
      }
    }
    default: {
      const range = spec as Extract<ValueSpec, { kind: 'datetime' | 'date' | 'time' }>
      const grid = rangeGrid(range)
      const { format, instant } = rangeFormatter(range)
      return { sampler: s => format(grid.start + perm.at(s.row) * grid.unit), references: [], type: rangeType(range), instant }
    }
  }
}

function categoricalType(values: CellValue[]): OutputType {
  if (values.every(v => typeof v === 'boolean')) return 'boolean'
  if (values.every(v => typeof v === 'number')) return values.every(v => Number.isInteger(v)) ? 'integer' : 'number'
  return 'string'
}

/** A range column's formatter; for ISO 8601 UTC datetimes, one whose formatting can be deferred. */
function rangeFormatter(spec: Extract<ValueSpec, { kind: 'datetime' | 'date' | 'time' }>): { format: (n: number) => CellValue; instant?: DeferredInstant } {
  if (spec.kind === 'date') return { format: dateFormatter(spec.format) }
  if (spec.kind === 'time') return { format: timeFormatter(spec.format) }
  const format = datetimeFormatter(spec.format, spec.timezone)
  if (spec.format !== 'iso' || (spec.timezone !== 'UTC' && spec.timezone !== 'Etc/UTC')) return { format }
  let deferred = false
  return {
    format: n => (deferred ? n : format(n)),
    instant: { text: isoString, defer: () => { deferred = true } },
  }
}

function rangeTypeOfFormat(kind: 'date' | 'datetime', format = kind === 'date' ? 'YYYY-MM-DD' : 'iso'): OutputType {
  if (kind === 'date') return format === 'YYYY-MM-DD' ? 'date' : 'string'
  return format === 'iso' || format === 'epoch' ? 'timestamp' : format === 'epoch_seconds' ? 'integer' : 'string'
}

function rangeType(spec: Extract<ValueSpec, { kind: 'datetime' | 'date' | 'time' }>): OutputType {
  if (spec.kind === 'date') return spec.format === 'YYYY-MM-DD' ? 'date' : 'string'
  if (spec.kind === 'time') return 'string'
  if (spec.format === 'epoch_seconds') return 'integer'
  return spec.format === 'iso' || spec.format === 'epoch' ? 'timestamp' : 'string'
}

function compileValue(spec: ValueSpec, ctx: Context, at: Path, uniform: UniformSource): CompiledValue {
  const plain = (sampler: Sampler, type: OutputType | undefined): CompiledValue => ({ sampler, references: [], type })
  switch (spec.kind) {
    case 'sequence': {
      const { start, step } = spec
      return plain(s => start + s.row * step, 'integer')
    }
    case 'uuid':
      return plain(s => uuidFrom(s.rng), 'string')
    case 'pattern': {
      const parts = parsePattern(spec.pattern)
      return plain((s) => {
        let text = ''
        for (const part of parts) text += typeof part === 'string' ? part : part[Math.floor(s.rng.next() * part.length)]!
        return text
      }, 'string')
    }
    case 'faker': {
      const call = fakerCall(ctx.faker, spec.method, spec.args ?? [], [...at, 'method'], ctx.fast)
      const fast = spec.args?.length ? undefined : ctx.fast.get(spec.method)
      return { sampler: call, references: [], type: undefined, table: fast?.table, pieces: fast?.pieces }
    }
    case 'integer': {
      const law = drawableLaw(numericLaw(spec), at)
      const lo = spec.min ?? -Number.MAX_SAFE_INTEGER
      const hi = spec.max ?? Number.MAX_SAFE_INTEGER
      return plain(s => Math.min(hi, Math.max(lo, Math.round(law.quantile(uniform(s))))), 'integer')
    }
    case 'float': {
      const law = drawableLaw(numericLaw(spec), at)
      const { decimals } = spec
      const lo = spec.min ?? -Infinity
      const hi = spec.max ?? Infinity
      return plain(s => Math.min(hi, Math.max(lo, roundTo(law.quantile(uniform(s)), decimals))), 'number')
    }
    case 'boolean': {
      const { probability } = spec
      return plain(s => uniform(s) < probability, 'boolean')
    }
    case 'categorical': {
      const values = spec.categories.map(c => c.value)
      const total = spec.categories.reduce((sum, c) => sum + c.weight, 0)
      let acc = 0
      const cumulative = Float64Array.from(spec.categories, c => (acc += c.weight / total))
      const last = values.length - 1
      const table = new ValueTable(values)
      return {
        sampler: (s) => {
          const u = uniform(s)
          let a = 0
          let b = last
          while (a < b) {
            const mid = (a + b) >>> 1
            if (u < cumulative[mid]!) b = mid
            else a = mid + 1
          }
          table.code = a
          return values[a]!
        },
        references: [],
        type: categoricalType(values),
        table,
      }
    }
    case 'datetime':
    case 'date':
    case 'time': {
      if (spec.kind === 'datetime' && !isValidDatetimeFormat(spec.format)) {
        throw new SchemaError([{ path: [...at, 'format'], message: 'must be iso, epoch, epoch_seconds or a pattern with YYYY MM DD HH mm ss SSS Z' }])
      }
      const law = drawableLaw(rangeLaw(spec), at)
      const grid = rangeGrid(spec)
      const { format, instant } = rangeFormatter(spec)
      const last = grid.count - 1
      return { sampler: s => format(grid.start + Math.min(last, Math.floor(law.quantile(uniform(s)) * grid.count)) * grid.unit), references: [], type: rangeType(spec), instant }
    }
    case 'empirical': {
      const law = empiricalLaw(spec.values)
      const { decimals } = spec
      if (spec.output === 'integer') return plain(s => Math.round(law.quantile(uniform(s))), 'integer')
      if (spec.output === 'number') return plain(s => roundTo(law.quantile(uniform(s)), decimals), 'number')
      const format = spec.output === 'date' ? dateFormatter(spec.format ?? 'YYYY-MM-DD') : datetimeFormatter(spec.format ?? 'iso', 'UTC')
      const toDay = spec.output === 'date' ? (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS : (ms: number) => Math.round(ms)
      return plain(s => format(toDay(law.quantile(uniform(s)))), spec.output === 'date' ? rangeTypeOfFormat('date', spec.format) : rangeTypeOfFormat('datetime', spec.format))
    }
    case 'template': {
      const tokens = parseTemplate(spec.template, [...at, 'template'])
      const references: CompiledValue['references'] = []
      const parts = tokens.map((token) => {
        const { filters } = token
        const filter = filters.length === 0 ? (text: string) => text : filters.length === 1 ? filters[0]! : (text: string) => filters.reduce((t, f) => f(t), text)
        if (token.text !== undefined) return token.text
        if (token.faker) {
          const call = fakerMethod(ctx.faker, token.faker, [...at, 'template'], ctx.fast)
          return () => filter(String(call() ?? ''))
        }
        references.push({ name: token.column!, path: [...at, 'template'] })
        // Unknown names are reported by dependencyOrder, before any row is made.
        const slot = ctx.index.get(token.column!) ?? -1
        if (!filters.length) return (s: RowState) => cellText(s.cells[slot])
        const text = (value: CellValue | undefined) => filter(cellText(value))
        // A filtered column whose values come from a list: the filter runs once per list entry.
        let table: ValueTable | undefined
        let filtered: string[] | undefined
        let resolved = false
        return (s: RowState) => {
          if (!resolved) {
            resolved = true
            table = ctx.columns?.[slot]?.table
            filtered = table?.values.map(text)
          }
          const value = s.cells[slot]
          if (table) {
            const code = table.code
            if (code >= 0 && table.values[code] === value) return filtered![code]!
          }
          return text(value)
        }
      })
      // The pieces of the last value.
      const pieces = parts.map(part => (typeof part === 'string' ? part : ''))
      let last = ''
      let deferred = false
      return {
        sampler: (s) => {
          if (deferred) {
            for (let i = 0; i < parts.length; i++) {
              const part = parts[i]!
              if (typeof part !== 'string') pieces[i] = part(s)
            }
            return undefined as unknown as CellValue // a deferred text: the pieces hold it
          }
          let text = ''
          for (let i = 0; i < parts.length; i++) {
            const part = parts[i]!
            if (typeof part === 'string') text += part
            else text += (pieces[i] = part(s))
          }
          return (last = text)
        },
        references,
        type: 'string',
        pieces: { text: () => last, parts: () => pieces },
        deferText: () => { deferred = true },
      }
    }
    case 'derived': {
      let expression
      try {
        expression = compileExpression(spec.expression)
      }
      catch (error) {
        if (error instanceof ExpressionError) throw new SchemaError([{ path: [...at, 'expression'], message: error.message }])
        throw error
      }
      const refs = expression.references
      // Unknown names get -1 here and are reported by dependencyOrder.
      const slots = Int32Array.from(refs, name => ctx.index.get(name) ?? -1)
      const { decimals } = spec
      const compiled = expression
      let state: RowState
      const get = (i: number) => state.cells[slots[i]!] ?? null
      return {
        sampler: (s) => {
          state = s
          const value = toCell(compiled.evaluate(get))
          return typeof value === 'number' && decimals !== undefined ? roundTo(value, decimals) : value
        },
        references: refs.map(name => ({ name, path: [...at, 'expression'] })),
        type: spec.type === 'datetime' ? 'timestamp' : spec.type,
      }
    }
  }
}

/** A column compiled for generation. */
interface CompiledColumn extends CompiledValue {
  name: string
  nullRate: number
  hidden: boolean
}

function compileColumn(column: Column, ctx: Context, columnIndex: number, uniform: UniformSource): CompiledColumn {
  const at: Path = ['schema', 'columns', columnIndex]
  const meta = { name: column.name, nullRate: column.null_rate, hidden: column.hidden }
  if (column.kind === 'conditional') {
    if (column.unique) throw new SchemaError([{ path: [...at, 'unique'], message: 'unique is not available for conditional columns' }])
    const cases = new Map<CellValue, CompiledValue>()
    // In a correlation group, the chosen case draws from the copula.
    const compiledCases = column.cases.map((c, i) => compileValue(c.then, ctx, [...at, 'cases', i, 'then'], uniform))
    column.cases.forEach((c, i) => {
      for (const value of Array.isArray(c.when) ? c.when : [c.when]) if (!cases.has(value)) cases.set(value, compiledCases[i]!)
    })
    const fallback = column.default ? compileValue(column.default, ctx, [...at, 'default'], uniform) : undefined
    const all = [...compiledCases, ...(fallback ? [fallback] : [])]
    const onName = column.on
    const onSlot = ctx.index.get(onName) ?? -1 // unknown: reported by dependencyOrder
    const types = new Set(all.map(c => c.type))
    return {
      ...meta,
      sampler: (s) => {
        const chosen = cases.get(s.cells[onSlot] ?? null) ?? fallback
        return chosen ? chosen.sampler(s) : null
      },
      references: [{ name: onName, path: [...at, 'on'] }, ...all.flatMap(c => c.references)],
      type: types.size === 1 ? [...types][0] : undefined,
    }
  }
  const unique = column.unique ? uniqueSampler(column, ctx, columnIndex, at) : undefined
  return { ...meta, ...(unique ?? compileValue(column, ctx, at, uniform)) }
}

/** Orders columns so each comes after the columns it reads; a cycle is a SchemaError naming them. */
function dependencyOrder(columns: CompiledColumn[], index: Map<string, number>): number[] {
  const dependsOn = columns.map((column) => {
    const deps = new Set<number>()
    for (const ref of column.references) {
      const target = index.get(ref.name)
      if (target === undefined) throw new SchemaError([{ path: ref.path, message: `unknown column "${ref.name}"` }])
      deps.add(target)
    }
    return deps
  })
  const order: number[] = []
  const state = new Array<0 | 1 | 2>(columns.length).fill(0) // unvisited, in progress, done
  const visit = (i: number, trail: number[]) => {
    if (state[i] === 2) return
    if (state[i] === 1) {
      const cycle = [...trail.slice(trail.indexOf(i)), i].map(j => columns[j]!.name)
      throw new SchemaError([{ path: ['schema', 'columns', i], message: `columns depend on each other in a cycle: ${cycle.join(' → ')}` }])
    }
    state[i] = 1
    for (const dep of dependsOn[i]!) visit(dep, [...trail, i])
    state[i] = 2
    order.push(i)
  }
  columns.forEach((_, i) => visit(i, []))
  return order
}

interface CopulaGroup {
  columns: number[]
  /** Lower-triangular Cholesky factor, row-major. */
  factor: Float64Array
  /** A conditioned group: only for rows whose column `on` holds one of `when`. */
  on?: number
  when?: Set<CellValue>
}

function compileCorrelations(schema: DatasetSchema, index: Map<string, number>): CopulaGroup[] {
  /** Per column, the groups it is in so far: with their `on` column and `when` values. */
  const used = new Map<number, { g: number; on?: number; when?: Set<CellValue> }[]>()
  return (schema.correlations ?? []).map((group, g) => {
    const at: Path = ['schema', 'correlations', g]
    const n = group.columns.length
    let on: number | undefined
    let when: Set<CellValue> | undefined
    if (group.on !== undefined) {
      on = index.get(group.on)
      if (on === undefined) throw new SchemaError([{ path: [...at, 'on'], message: `unknown column "${group.on}"` }])
      if (group.columns.includes(group.on)) throw new SchemaError([{ path: [...at, 'on'], message: `"${group.on}" cannot be both a column of the group and the one it is conditioned on` }])
      when = new Set(Array.isArray(group.when) ? group.when : [group.when!])
    }
    const columns = group.columns.map((name, k) => {
      const i = index.get(name)
      if (i === undefined) throw new SchemaError([{ path: [...at, 'columns', k], message: `unknown column "${name}"` }])
      const column = schema.columns[i]!
      if (!COPULA_KINDS.has(column.kind)) throw new SchemaError([{ path: [...at, 'columns', k], message: `"${name}" is a ${column.kind} column; correlations take integer, float, datetime, date, time, empirical, categorical, boolean or conditional columns` }])
      if (column.unique) throw new SchemaError([{ path: [...at, 'columns', k], message: `"${name}" is unique and cannot also be correlated` }])
      const before = used.get(i) ?? []
      // Several groups only when all are conditioned on the same column, on disjoint values.
      const clash = before.find(b => on === undefined || b.on !== on || [...when!].some(v => b.when!.has(v)))
      if (clash) throw new SchemaError([{ path: [...at, 'columns', k], message: `"${name}" is already in correlation group ${clash.g}${on !== undefined && clash.on === on ? ' for the same value of its on column' : ''}` }])
      used.set(i, [...before, { g, on, when }])
      return i
    })
    const { matrix } = group
    const names = group.columns.join(', ')
    if (matrix.length !== n || matrix.some(row => row.length !== n)) throw new SchemaError([{ path: [...at, 'matrix'], message: `must be ${n}×${n} for columns ${names}` }])
    for (let r = 0; r < n; r++) {
      if (Math.abs(matrix[r]![r]! - 1) > 1e-9) throw new SchemaError([{ path: [...at, 'matrix', r, r], message: `the diagonal must be 1 (${group.columns[r]})` }])
      for (let c = 0; c < r; c++) {
        if (Math.abs(matrix[r]![c]! - matrix[c]![r]!) > 1e-9) throw new SchemaError([{ path: [...at, 'matrix', r, c], message: `must be symmetric: ${group.columns[r]}/${group.columns[c]} differs from ${group.columns[c]}/${group.columns[r]}` }])
      }
    }
    const factor = choleskyOrNull(matrix)
    if (!factor) throw new SchemaError([{ path: [...at, 'matrix'], message: `is not positive definite, so no data can have these correlations between ${names}` }])
    return { columns, factor, on, when }
  })
}

/** Draws a group's correlated normals and stores their uniforms for its columns. */
function drawGroup(group: CopulaGroup, rng: RowRandom, z: Float64Array, uniforms: Float64Array): void {
  const n = group.columns.length
  for (let k = 0; k < n; k++) z[k] = normalQuantile(rng.next())
  for (let r = 0; r < n; r++) {
    let x = 0
    for (let c = 0; c <= r; c++) x += group.factor[r * n + c]! * z[c]!
    uniforms[group.columns[r]!] = normalCdf(x)
  }
}

/** What happens once a column that conditioned groups are `on` has its value: the matching group draws, the other columns of those groups draw on their own. */
interface Trigger {
  groups: CopulaGroup[]
  columns: number[]
}

/** A schema compiled for generation. */
export interface CompiledSchema {
  /** Output column names (hidden ones left out), in schema order. */
  readonly names: string[]
  /** For each output column, its index in the row's cells. */
  readonly outputIndex: number[]
  /** For each output column, the type of its values (for typed formats); where the kind does not fix it, that of the first rows of a fixed seed (of the run's seed with unique columns). */
  readonly types: OutputType[]
  /**
   * Per column (schema order), the list its values come from when it has one: after `fillRow`,
   * `code` is the index of the row's value in it (when the cell is not null).
   */
  readonly tables: (ValueTable | undefined)[]
  /**
   * Per column (schema order), for ISO 8601 UTC datetime columns that no other column reads: the
   * formatter of their text. `deferInstants()` makes fillRow leave these cells as epoch ms (for
   * encoders that write instants from numbers; the text is made only where needed).
   */
  readonly deferrable: (((ms: number) => string) | undefined)[]
  deferInstants(): void
  /** Per column (schema order), for concatenated strings: the pieces of the row's value (when the cell is that value). */
  readonly pieces: (PartsSource | undefined)[]
  /**
   * Per column (schema order): true for templates that no other column reads. After `deferTexts()`,
   * fillRow leaves their cells undefined and only their pieces (`pieces[i].parts()`) hold the row's
   * text, for encoders that write pieces (the text is joined only where needed).
   */
  readonly deferrableTexts: boolean[]
  deferTexts(): void
  /** Fills every column's cell (schema order, hidden ones included) for row `row`. */
  fillRow(rng: RowRandom, row: number, cells: CellValue[]): void
}

/** Rows generated to infer the type of columns whose kind does not fix it (faker, derived). */
const TYPE_PROBE_ROWS = 64
/** The seed of those rows: fixed, so a schema's types do not depend on the seed of a run. */
const TYPE_PROBE_SEED = 0

/**
 * Compiles a validated schema for `rows` rows from `seed` (both matter to unique columns). Throws a
 * SchemaError for what zod cannot check: faker methods, references, cycles, correlation matrices,
 * value spaces too small for unique columns.
 */
export function compileSchema(schema: DatasetSchema, options: { rows?: number; seed?: number } = {}): CompiledSchema {
  const { faker, fast, bind } = createRowFaker(schema.locale)
  const index = new Map(schema.columns.map((c, i) => [c.name, i]))
  const ctx: Context = { faker, fast, index, rows: options.rows ?? 1, seed: options.seed ?? 0 }
  const copula = compileCorrelations(schema, index)
  const copulaSlot = new Map<number, number>()
  copula.forEach(group => group.columns.forEach(i => copulaSlot.set(i, i)))
  const columns = schema.columns.map((column, i) => compileColumn(column, ctx, i, copulaSlot.has(i) ? s => s.uniforms[i]! : fromStream))
  ctx.columns = columns
  // Columns of conditioned groups come after the column the groups are on.
  const triggerOf = new Map<number, Trigger>()
  copula.forEach((group, g) => {
    if (group.on === undefined) return
    const trigger = triggerOf.get(group.on) ?? { groups: [], columns: [] }
    trigger.groups.push(group)
    for (const i of group.columns) {
      if (!trigger.columns.includes(i)) trigger.columns.push(i)
      columns[i]!.references.push({ name: schema.columns[group.on]!.name, path: ['schema', 'correlations', g, 'on'] })
    }
    triggerOf.set(group.on, trigger)
  })
  const unconditioned = copula.filter(group => group.on === undefined)
  const order = dependencyOrder(columns, index)
  const triggers = order.map(i => triggerOf.get(i))
  const samplers = order.map(i => columns[i]!.sampler)
  const nullRates = Float64Array.from(order, i => columns[i]!.nullRate)
  const orderIndex = Int32Array.from(order)
  const z = new Float64Array(Math.max(0, ...copula.map(g => g.columns.length)))
  const state: RowState = { rng: new RowRandom(0), row: 0, cells: [], uniforms: new Float64Array(columns.length) }

  const fillRow = (rng: RowRandom, row: number, cells: CellValue[]) => {
    rng.setRow(row)
    bind(rng)
    state.rng = rng
    state.row = row
    state.cells = cells
    for (const group of unconditioned) drawGroup(group, rng, z, state.uniforms)
    for (let k = 0; k < samplers.length; k++) {
      const nullRate = nullRates[k]!
      const value = nullRate > 0 && rng.next() < nullRate ? null : samplers[k]!(state)
      cells[orderIndex[k]!] = value
      const trigger = triggers[k]
      if (trigger) {
        const group = trigger.groups.find(g => g.when!.has(value))
        for (const i of trigger.columns) state.uniforms[i] = rng.next()
        if (group) drawGroup(group, rng, z, state.uniforms)
      }
    }
  }

  const outputIndex = columns.flatMap((c, i) => (c.hidden ? [] : [i]))
  const names = outputIndex.map(i => columns[i]!.name)
  const probeRows = Math.min(TYPE_PROBE_ROWS, ctx.rows)
  // Unique columns are permutations of the run's rows, from its seed: their probe rows are the run's.
  const hasUnique = schema.columns.some(c => c.unique)
  const types = outputIndex.map(i => columns[i]!.type ?? probeType(fillRow, i, columns.length, hasUnique ? ctx.seed : TYPE_PROBE_SEED, probeRows))
  const read = new Set(columns.flatMap(c => c.references.map(r => r.name)))
  const deferrable = columns.map(c => (c.instant && !read.has(c.name) ? c.instant : undefined))
  return {
    names, outputIndex, types, tables: columns.map(c => c.table), pieces: columns.map(c => c.pieces), fillRow,
    deferrable: deferrable.map(instant => instant?.text),
    deferInstants: () => deferrable.forEach(instant => instant?.defer()),
    deferrableTexts: columns.map(c => Boolean(c.deferText && !read.has(c.name))),
    deferTexts: () => columns.forEach(c => { if (c.deferText && !read.has(c.name)) c.deferText() }),
  }
}

/**
 * A schema value as compileCached's key writes it: JSON writes -0 as 0, yet compiles keep it (a
 * Parquet double of -0 is not one of 0), so -0 becomes "\0-0", and strings that start with "\0" get
 * one more, which keeps the key one-to-one.
 */
const keyValue = (_: string, value: unknown) => (Object.is(value, -0) ? '\0-0' : typeof value === 'string' && value.startsWith('\0') ? `\0${value}` : value)

/** Compiles kept for reuse by compileCached, the least recently used first. */
const compiles = new Map<string, CompiledSchema>()
const COMPILED_KEPT = 8

/**
 * compileSchema, or the compile of an earlier call with the same schema and `variant` (callers that
 * switch a compile's modes, such as deferInstants, name the modes they switch on), and the same rows
 * and seed where the compile depends on them (unique columns; fewer rows than the type probe's).
 * Every compile makes fresh closures, and V8 optimises code for the closures it has seen: jobs of a
 * schema compiled anew each time run about 10% slower, after a deoptimisation at their start, than
 * jobs that reuse one compile. The compile's per-row state is shared: one caller at a time (a worker
 * thread runs one request at a time).
 */
export function compileCached(schema: DatasetSchema, options: { rows: number; seed: number }, variant: string): CompiledSchema {
  const runDependent = schema.columns.some(c => c.unique) ? [options.rows, options.seed] : Math.min(TYPE_PROBE_ROWS, options.rows)
  const key = JSON.stringify([variant, runDependent, schema], keyValue)
  let entry = compiles.get(key)
  if (entry) compiles.delete(key)
  else entry = compileSchema(schema, options)
  compiles.set(key, entry)
  if (compiles.size > COMPILED_KEPT) compiles.delete(compiles.keys().next().value!)
  return entry
}

/** The type of a column's first non-null values (faker methods and expressions do not declare one). */
function probeType(fillRow: CompiledSchema['fillRow'], column: number, width: number, seed: number, rows: number): OutputType {
  const rng = new RowRandom(seed)
  const cells = new Array<CellValue>(width)
  const seen = new Set<string>()
  // Only rows the run really has: unique columns are permutations of exactly that many rows' values.
  for (let row = 0; row < rows; row++) {
    fillRow(rng, row, cells)
    const value = cells[column]
    if (value === null || value === undefined) continue
    seen.add(typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value)
  }
  if (seen.size === 1) return [...seen][0] as OutputType
  if (seen.size === 2 && seen.has('integer') && seen.has('number')) return 'number'
  return 'string'
}
