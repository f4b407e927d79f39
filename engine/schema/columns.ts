/**
 * Column kinds: each column of a schema compiles to a sampler that draws its value for the current
 * row from the row's random stream (or from the copula, or a permutation for unique columns). This
 * is where a column kind is sampled; `compileSchema` also resolves dependencies between columns.
 */
import type { Faker } from '@faker-js/faker'
import type { CellValue, Column, GenerationSchema, ValueSpec } from '../../shared/schema.ts'
import { choleskyOrNull, normalCdf, normalQuantile, type Law } from './distributions.ts'
import { DAY_MS } from '../time/calendar.ts'
import { isoString } from '../time/iso.ts'
import { dateFormatter, datetimeFormatter, isValidDatetimeFormat, timeFormatter } from '../time/pattern.ts'
import { empiricalLaw, numericLaw, rangeGrid, rangeLaw } from './laws.ts'
import { loadedLocale } from './locales.ts'
import { compileExpression, ExpressionError } from './expression.ts'
import { fastFakerMethods, type FastMethod } from './fast-faker.ts'
import { ValueTable, type OutputType, type PartsSource } from './cells.ts'
import { createPermutation, type Permutation } from './permutation.ts'
import { fakeTokenText, fakerArgIssues, MAX_FAKE_DEPTH, parseFakeToken } from '../../shared/faker-budget.ts'
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

/**
 * Longest text a cell may hold (characters, UTF-16 code units as JavaScript counts them), whatever its
 * kind: a longer value fails the job, naming the column, rather than the machine. Schemas whose worst
 * case is longer are refused before any row is made (compileSchema).
 */
export const MAX_CELL_CHARS = 100_000

/**
 * Widest a row of the output may be: the sum of its cells' lengths in characters (hidden columns are
 * not written, so they do not count). Refused up front where the kinds bound it, checked on each row
 * where they do not (faker, derived).
 */
export const MAX_ROW_CHARS = 1_000_000

const tooLong = (at: Path, length: number) => new SchemaError([{ path: at, message: `a value of ${length} characters is longer than the ${MAX_CELL_CHARS} a cell may hold (MAX_CELL_CHARS)` }])

/** Turns whatever a faker method or expression returns into a cell; `at` is the column's path, for errors. */
function toCell(value: unknown, at: Path): CellValue {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') {
    if (value.length > MAX_CELL_CHARS) throw tooLong(at, value.length)
    return value
  }
  if (typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Date) return value.toISOString()
  return jsonCell(value, at)
}

/**
 * A list or object (helpers.arrayElements, date.betweens, ...) as JSON text, refused without writing
 * it when even a lower bound of its length (its strings and punctuation) is over the cell cap.
 */
function jsonCell(value: unknown, at: Path): string {
  // A lower bound of the JSON's length: strings and their quotes, keys, brackets and separators.
  let least = 0
  const stack: unknown[] = [value]
  while (stack.length) {
    const item = stack.pop()
    if (typeof item === 'string') least += item.length + 2
    else if (Array.isArray(item)) {
      least += 1 + item.length
      for (const entry of item) stack.push(entry)
    }
    else if (item && typeof item === 'object' && !(item instanceof Date)) {
      const entries = Object.entries(item).filter(([, v]) => v !== undefined && typeof v !== 'function')
      least += 1 + entries.length
      for (const [key, entry] of entries) {
        least += key.length + 3
        stack.push(entry)
      }
    }
    else least += 1
    if (least > MAX_CELL_CHARS) throw tooLong(at, least)
  }
  const text = JSON.stringify(value) ?? ''
  if (text.length > MAX_CELL_CHARS) throw tooLong(at, text.length)
  return text
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

/** Per faker module class (its prototype): the names of its methods. */
const moduleMethods = new WeakMap<object, ReadonlySet<string>>()

/**
 * The methods a faker module's class defines (on its prototype chain, Object.prototype excluded):
 * `toString`, `hasOwnProperty`, `valueOf` and the like are not faker's and are never called.
 */
function methodsOf(fakerModule: object): ReadonlySet<string> {
  const proto: unknown = Object.getPrototypeOf(fakerModule)
  if (!proto || typeof proto !== 'object') return new Set()
  let names = moduleMethods.get(proto)
  if (!names) {
    const found = new Set<string>()
    for (let p: object | null = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
      for (const name of Object.getOwnPropertyNames(p)) {
        if (!FORBIDDEN_MEMBERS.has(name) && !name.startsWith('_') && typeof Object.getOwnPropertyDescriptor(p, name)?.value === 'function') found.add(name)
      }
    }
    moduleMethods.set(proto, names = found)
  }
  return names
}

/** faker's module `moduleName` and its method `methodName`, or undefined when that is not a faker module method. */
function resolveFakerMethod(faker: Faker, moduleName: string, methodName: string): { fakerModule: object; method: (...a: unknown[]) => unknown } | undefined {
  if (FORBIDDEN_MEMBERS.has(moduleName) || !Object.hasOwn(faker, moduleName)) return undefined
  const fakerModule: unknown = (faker as unknown as Record<string, unknown>)[moduleName]
  if (!fakerModule || typeof fakerModule !== 'object' || !methodsOf(fakerModule).has(methodName)) return undefined
  const method: unknown = (fakerModule as Record<string, unknown>)[methodName]
  return typeof method === 'function' ? { fakerModule, method: method as (...a: unknown[]) => unknown } : undefined
}

/** Resolves `module.method` on faker, refusing anything that is not one of faker's module methods. */
function fakerMethod(faker: Faker, path: string, at: Path, fast?: Map<string, FastMethod>): () => CellValue {
  const [moduleName = '', methodName = ''] = path.split('.')
  const resolved = resolveFakerMethod(faker, moduleName, methodName)
  if (!resolved) throw new SchemaError([{ path: at, message: `"${path}" is not a faker method` }])
  const quick = fast?.get(path)
  if (quick) return quick
  const { fakerModule, method } = resolved
  return () => toCell(method.call(fakerModule), at)
}

function fakerCall(faker: Faker, path: string, args: unknown[], at: Path, fast: Map<string, FastMethod>): () => CellValue {
  if (path === 'helpers.fake' && args.length) {
    fakerMethod(faker, path, at) // validates the path
    const [pattern] = args
    return () => toCell(guardedFake(faker, pattern, at, 0), at)
  }
  if (!args.length) return fakerMethod(faker, path, at, fast)
  const [moduleName = '', methodName = ''] = path.split('.')
  fakerMethod(faker, path, at) // validates the path
  const { fakerModule, method } = resolveFakerMethod(faker, moduleName, methodName)!
  // Each call gets its own copy of list arguments: helpers.shuffle with inplace (the one faker method
  // that changes an argument) would otherwise carry its shuffle over to later rows, chunks and runs.
  if (args.some(Array.isArray)) return () => toCell(method.apply(fakerModule, args.map(arg => (Array.isArray(arg) ? arg.slice() : arg))), at)
  return () => toCell(method.apply(fakerModule, args), at)
}

/** Most calls one `helpers.fake` value may make (its tokens, and those that what they return holds). */
const MAX_FAKE_CALLS = 1000

/**
 * faker 10's `helpers.fake`, step for step (the same draws, so the same values), except that each
 * `{{module.method(...)}}` is checked before it runs: it must be a faker module method and its
 * arguments within budget (fakerArgIssues). faker reads what a call returns as part of the pattern
 * again, so a call can spell out another (`fromRegExp` writing `{{string.alpha(99999999)}}`): no
 * check of the column's arguments can see those calls, this one sees every call. The text is held
 * to the cell cap as it grows, and the calls to MAX_FAKE_CALLS.
 */
function guardedFake(faker: Faker, pattern: unknown, at: Path, depth: number): string {
  const refuse = (message: string) => new SchemaError([{ path: [...at.slice(0, -1), 'args', 0], message }])
  let text = typeof pattern === 'string' ? pattern : faker.helpers.arrayElement(pattern as string[])
  if (typeof text !== 'string') throw refuse('helpers.fake takes a pattern or a list of patterns')
  for (let calls = 0; ; calls++) {
    const start = text.search(/\{\{[a-z]/)
    const end = start === -1 ? -1 : text.indexOf('}}', start)
    if (end === -1) return text
    if (calls >= MAX_FAKE_CALLS) throw refuse(`helpers.fake would make more than ${MAX_FAKE_CALLS} calls`)
    const token = fakeTokenText(text, start, end)
    const call = parseFakeToken(token)
    if ('error' in call) throw refuse(call.error)
    const [moduleName = '', methodName = ''] = call.method.split('.')
    const resolved = resolveFakerMethod(faker, moduleName, methodName)
    if (!resolved) throw refuse(`in {{${token}}}: "${call.method}" is not a faker method`)
    const issue = fakerArgIssues(call.method, call.args)[0]
    if (issue) throw refuse(`in {{${token}}}: argument ${issue.path.join('.')} ${issue.message}`)
    // faker also looks the path up in the locale's definitions, and draws an entry of a list found there.
    const definitions = (faker.rawDefinitions as Record<string, unknown>)[moduleName]
    if (Array.isArray(definitions)) faker.helpers.arrayElement(definitions)
    const listed = definitions && typeof definitions === 'object' ? (definitions as Record<string, unknown>)[methodName] : undefined
    if (Array.isArray(listed)) faker.helpers.arrayElement(listed)
    let value: unknown
    if (call.method === 'helpers.fake') {
      if (depth >= MAX_FAKE_DEPTH) throw refuse(`helpers.fake nests more than ${MAX_FAKE_DEPTH} levels deep`)
      value = guardedFake(faker, call.args[0], at, depth + 1)
    }
    else value = resolved.method.apply(resolved.fakerModule, call.args)
    const piece = String(value)
    if (piece.length > MAX_CELL_CHARS) throw tooLong(at, piece.length)
    text = text.substring(0, start) + piece + text.substring(end + 2)
    if (text.length > MAX_CELL_CHARS) throw tooLong(at, text.length)
  }
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

/** Template filters by name: a Map, so names such as `constructor` or `toString` are not filters. */
const FILTERS: ReadonlyMap<string, (s: string) => string> = new Map<string, (s: string) => string>([
  ['lower', s => s.toLowerCase()],
  ['upper', s => s.toUpperCase()],
  /** Lowercase ASCII letters and digits only: "José O'Neil" → "joseoneil". */
  ['alnum', s => (PLAIN_ALNUM.test(s) ? s : s.normalize('NFD').replace(/[\u0300-\u036F]/g, '').replace(/[^A-Za-z0-9]/g, '')).toLowerCase()],
  /** URL slug: "José O'Neil" → "jose-o-neil". */
  ['slug', s => s.normalize('NFD').replace(/[\u0300-\u036F]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')],
])

/**
 * How many times longer a filter may make a text: a character's case mapping is at most 3 UTF-16
 * units ("ﬃ" → "FFI"); alnum and slug keep ASCII letters and digits of the canonical decomposition
 * (at most one per character) and single dashes between them.
 */
const FILTER_GROWTH = 3

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
      const filter = FILTERS.get(name)
      if (!filter) throw new SchemaError([{ path: at, message: `unknown filter "${name}" (use ${[...FILTERS.keys()].join(', ')})` }])
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
  /**
   * The worst-case width of its cells, given those of the columns (by slot) it reads. Templates also
   * throw a SchemaError when theirs is over the cell cap, and arm a check of each value's length
   * when no static bound holds it under the cap. Called once, in dependency order.
   */
  width?: (widthOf: (slot: number) => Width) => Width
}

/**
 * The most characters a column's cells can have: `chars` when `bounded`; otherwise the values are
 * only bounded at run time (by the cell cap), and `chars` is what the parts with a bound add up to.
 */
export interface Width { chars: number; bounded: boolean }
const UNBOUNDED: Width = { chars: 0, bounded: false }

/** Longest text of a number (`String` of any double: "-1.7976931348623157e+308" and the like). */
const NUMBER_CHARS = 25
/** Longest text of each date/time token (YYYY: years outside 0-9999 too; Z: "+05:30"). */
const TOKEN_CHARS: Record<string, number> = { YYYY: 7, SSS: 3, MMMM: 9, MMM: 3, MM: 2, DD: 2, D: 2, HH: 2, mm: 2, ss: 2, Z: 6 }
/** An ISO 8601 instant with an offset and a six-digit year: "+275760-09-13T00:00:00.000+05:30". */
const ISO_CHARS = 32

function formatChars(format: string): number {
  let chars = format.length
  for (const m of format.matchAll(/YYYY|SSS|MMMM|MMM|MM|DD|D|HH|mm|ss|Z/g)) chars += TOKEN_CHARS[m[0]]! - m[0].length
  return chars
}

function instantChars(format: string): number {
  return format === 'iso' ? ISO_CHARS : format === 'epoch' || format === 'epoch_seconds' ? NUMBER_CHARS : formatChars(format)
}

function integerChars(lo: number, hi: number): number {
  return Math.max(String(lo).length, String(hi).length)
}

/** The worst-case width of the kinds whose values the spec alone bounds (templates: see their `width`). */
function specWidth(spec: ValueSpec, rows: number): Width {
  const bounded = (chars: number): Width => ({ chars, bounded: true })
  switch (spec.kind) {
    case 'sequence': {
      // Past 2^53 the values are doubles, whose text is not monotone in their size.
      const last = spec.start + (rows - 1) * spec.step
      return bounded(Number.isSafeInteger(last) ? integerChars(spec.start, last) : NUMBER_CHARS)
    }
    case 'uuid': return bounded(36)
    case 'pattern': return bounded(parsePattern(spec.pattern).length)
    case 'integer': return bounded(integerChars(spec.min ?? -Number.MAX_SAFE_INTEGER, spec.max ?? Number.MAX_SAFE_INTEGER))
    case 'float': return bounded(NUMBER_CHARS)
    case 'boolean': return bounded(5)
    case 'categorical': return bounded(Math.max(...spec.categories.map(c => String(c.value).length)))
    case 'datetime': return bounded(instantChars(spec.format))
    case 'date':
    case 'time': return bounded(formatChars(spec.format))
    case 'empirical': {
      if (spec.output === 'number' || spec.output === 'integer') return bounded(NUMBER_CHARS)
      return bounded(spec.output === 'date' ? formatChars(spec.format ?? 'YYYY-MM-DD') : instantChars(spec.format ?? 'iso'))
    }
    default: return UNBOUNDED // faker and derived: held to the cell cap as they are made
  }
}

/** An ISO 8601 UTC datetime column's formatting, which encoders that write instants from numbers can defer. */
interface DeferredInstant {
  /** The text of an instant, as the column writes it. */
  text(ms: number): string
  /** From now on the sampler returns epoch ms instead of text. */
  defer(): void
}

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
      // Values of a fast path's lists have a known longest; any other faker value is held to the cap as it is made.
      const width = fast?.maxChars === undefined ? undefined : () => ({ chars: fast.maxChars!, bounded: true })
      return { sampler: call, references: [], type: undefined, table: fast?.table, pieces: fast?.pieces, width }
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
        throw new SchemaError([{ path: [...at, 'format'], message: 'must be iso, epoch, epoch_seconds or a pattern with YYYY MM MMM MMMM DD D HH mm ss SSS Z' }])
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
      // Armed by `width` when no static bound keeps the text under the cell cap: the length is then
      // checked piece by piece, so the text never grows past the cap by more than one piece.
      let limited = false
      const templateAt: Path = [...at, 'template']
      const limitedText = (s: RowState): string => {
        let text = ''
        for (let i = 0; i < parts.length; i++) {
          const part = parts[i]!
          text += typeof part === 'string' ? part : (pieces[i] = part(s))
          if (text.length > MAX_CELL_CHARS) throw tooLong(templateAt, text.length)
        }
        return text
      }
      return {
        sampler: (s) => {
          if (deferred) {
            let length = 0
            for (let i = 0; i < parts.length; i++) {
              const part = parts[i]!
              if (typeof part !== 'string') pieces[i] = part(s)
              if (limited && (length += pieces[i]!.length) > MAX_CELL_CHARS) throw tooLong(templateAt, length)
            }
            return undefined as unknown as CellValue // a deferred text: the pieces hold it
          }
          if (limited) return (last = limitedText(s))
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
        width: (widthOf) => {
          let chars = 0
          let bounded = true
          for (const token of tokens) {
            const fastChars = token.faker ? ctx.fast.get(token.faker)?.maxChars : undefined
            const part = token.text !== undefined ? { chars: token.text.length, bounded: true } : token.faker ? (fastChars === undefined ? UNBOUNDED : { chars: fastChars, bounded: true }) : widthOf(ctx.index.get(token.column!) ?? -1)
            chars += part.chars * FILTER_GROWTH ** token.filters.length
            bounded &&= part.bounded
          }
          if (chars > MAX_CELL_CHARS) {
            throw new SchemaError([{ path: templateAt, message: `its values can be ${chars} characters long (its text and the longest values of the columns it includes, hidden ones too), more than the ${MAX_CELL_CHARS} a cell may hold (MAX_CELL_CHARS)` }])
          }
          limited = !bounded
          return { chars, bounded }
        },
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
      const expressionAt: Path = [...at, 'expression']
      let state: RowState
      const get = (i: number) => state.cells[slots[i]!] ?? null
      return {
        sampler: (s) => {
          state = s
          const value = toCell(compiled.evaluate(get), expressionAt)
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
    const widths = [...column.cases.map((c, i) => widthOfValue(compiledCases[i]!, c.then, ctx)), ...(fallback ? [widthOfValue(fallback, column.default!, ctx)] : [])]
    return {
      ...meta,
      width: widthOf => widths.map(width => width(widthOf)).reduce((a, b) => ({ chars: Math.max(a.chars, b.chars), bounded: a.bounded && b.bounded })),
      sampler: (s) => {
        const chosen = cases.get(s.cells[onSlot] ?? null) ?? fallback
        return chosen ? chosen.sampler(s) : null
      },
      references: [{ name: onName, path: [...at, 'on'] }, ...all.flatMap(c => c.references)],
      type: types.size === 1 ? [...types][0] : undefined,
    }
  }
  const compiled = (column.unique ? uniqueSampler(column, ctx, columnIndex, at) : undefined) ?? compileValue(column, ctx, at, uniform)
  return { ...meta, ...compiled, width: widthOfValue(compiled, column, ctx) }
}

/** A compiled value's width function: its own (templates), or what its spec bounds. */
function widthOfValue(compiled: CompiledValue, spec: ValueSpec, ctx: Context): NonNullable<CompiledValue['width']> {
  return compiled.width ?? (() => specWidth(spec, ctx.rows))
}

/**
 * The worst-case widths of the columns (schema order), computed in dependency order: a SchemaError
 * when a cell's (see the templates' `width`) or an output row's is over its limit.
 */
function columnWidths(columns: CompiledColumn[], order: number[], outputIndex: number[]): Width[] {
  const widths = new Array<Width>(columns.length).fill(UNBOUNDED)
  for (const i of order) widths[i] = columns[i]!.width!(slot => widths[slot] ?? UNBOUNDED)
  const row = outputIndex.reduce((sum, i) => sum + widths[i]!.chars, 0)
  if (row > MAX_ROW_CHARS) {
    const widest = [...outputIndex].sort((a, b) => widths[b]!.chars - widths[a]!.chars).slice(0, 3).map(i => `${columns[i]!.name} (${widths[i]!.chars})`)
    throw new SchemaError([{ path: ['schema', 'columns'], message: `rows can be ${row} characters wide (the longest values of the output columns added up; widest: ${widest.join(', ')}), more than the ${MAX_ROW_CHARS} a row may hold (MAX_ROW_CHARS)` }])
  }
  return widths
}

/**
 * For schemas whose rows no static bound keeps under MAX_ROW_CHARS (many faker or derived columns,
 * each held only to the cell cap): a check of each row's width, the sum of its output cells' lengths
 * (deferred texts: of their pieces). Undefined for every other schema, which pays nothing per row.
 */
function rowWidthCheck(widths: Width[], outputIndex: number[], pieces: (PartsSource | undefined)[]): ((row: number, cells: CellValue[]) => void) | undefined {
  const worst = outputIndex.reduce((sum, i) => sum + (widths[i]!.bounded ? widths[i]!.chars : Math.max(widths[i]!.chars, MAX_CELL_CHARS)), 0)
  if (worst <= MAX_ROW_CHARS) return undefined
  return (row, cells) => {
    let width = 0
    for (const i of outputIndex) {
      const value = cells[i]
      if (typeof value === 'string') width += value.length
      else if (value === undefined) for (const piece of pieces[i]?.parts() ?? []) width += piece.length
      else if (value !== null) width += String(value).length
    }
    if (width > MAX_ROW_CHARS) throw new SchemaError([{ path: ['schema', 'columns'], message: `row ${row} is ${width} characters wide, more than the ${MAX_ROW_CHARS} a row may hold (MAX_ROW_CHARS)` }])
  }
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

function compileCorrelations(schema: GenerationSchema, index: Map<string, number>): CopulaGroup[] {
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
export function compileSchema(schema: GenerationSchema, options: { rows?: number; seed?: number } = {}): CompiledSchema {
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
  const outputIndex = columns.flatMap((c, i) => (c.hidden ? [] : [i]))
  const checkRow = rowWidthCheck(columnWidths(columns, order, outputIndex), outputIndex, columns.map(c => c.pieces))
  const triggers = order.map(i => triggerOf.get(i))
  const samplers = order.map(i => columns[i]!.sampler)
  const nullRates = Float64Array.from(order, i => columns[i]!.nullRate)
  const orderIndex = Int32Array.from(order)
  const z = new Float64Array(Math.max(0, ...copula.map(g => g.columns.length)))
  const state: RowState = { rng: new RowRandom(0), row: 0, cells: [], uniforms: new Float64Array(columns.length) }

  const fillCells = (rng: RowRandom, row: number, cells: CellValue[]) => {
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
  const fillRow = checkRow
    ? (rng: RowRandom, row: number, cells: CellValue[]) => {
        fillCells(rng, row, cells)
        checkRow(row, cells)
      }
    : fillCells

  const names = outputIndex.map(i => columns[i]!.name)
  const probeRows = Math.min(TYPE_PROBE_ROWS, ctx.rows)
  // Unique columns are permutations of the run's rows, from its seed: their probe rows are the run's.
  const hasUnique = schema.columns.some(c => c.unique)
  const probed = probeTypes(fillRow, outputIndex.filter(i => columns[i]!.type === undefined), columns.length, hasUnique ? ctx.seed : TYPE_PROBE_SEED, probeRows)
  const types = outputIndex.map(i => columns[i]!.type ?? probed.get(i)!)
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
 * Makes every faker call of a schema once (faker columns, the cases and defaults of conditional
 * ones, the faker tokens of templates), from `seed`: the submit-time check's first rows can skip a
 * call (a null rate, a case no row takes), and a call that fails or is over budget must fail there,
 * under the check's time limit, rather than in the job. Throws a SchemaError naming the column.
 */
export function tryFakerCalls(schema: GenerationSchema, seed: number): void {
  const { faker, fast, bind } = createRowFaker(schema.locale)
  const rng = new RowRandom(seed)
  rng.setRow(0)
  bind(rng)
  const attempt = (at: Path, call: () => unknown) => {
    try {
      call()
    }
    catch (error) {
      if (error instanceof SchemaError) throw error
      throw new SchemaError([{ path: at, message: `the faker call fails: ${error instanceof Error ? error.message : String(error)}` }])
    }
  }
  schema.columns.forEach((column, i) => {
    const at: Path = ['schema', 'columns', i]
    const specs: [ValueSpec, Path][] = column.kind === 'conditional'
      ? [...column.cases.map((c, k): [ValueSpec, Path] => [c.then, [...at, 'cases', k, 'then']]), ...(column.default ? [[column.default, [...at, 'default']] as [ValueSpec, Path]] : [])]
      : [[column, at]]
    for (const [spec, path] of specs) {
      if (spec.kind === 'faker') attempt([...path, 'method'], () => fakerCall(faker, spec.method, spec.args ?? [], [...path, 'method'], fast)())
      if (spec.kind !== 'template') continue
      for (const token of parseTemplate(spec.template, [...path, 'template'])) {
        if (token.faker) attempt([...path, 'template'], () => fakerMethod(faker, token.faker!, [...path, 'template'], fast)())
      }
    }
  })
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
export function compileCached(schema: GenerationSchema, options: { rows: number; seed: number }, variant: string): CompiledSchema {
  const runDependent = schema.columns.some(c => c.unique) ? [options.rows, options.seed] : Math.min(TYPE_PROBE_ROWS, options.rows)
  const key = JSON.stringify([variant, runDependent, schema], keyValue)
  let entry = compiles.get(key)
  if (entry) compiles.delete(key)
  else entry = compileSchema(schema, options)
  compiles.set(key, entry)
  if (compiles.size > COMPILED_KEPT) compiles.delete(compiles.keys().next().value!)
  return entry
}

/**
 * The type of each of `probed` columns' first non-null values (faker methods and expressions do not
 * declare one), from one pass over the probe rows for all of them: a pass per column would fill every
 * row once per such column, a cost that grows with the square of their number.
 */
function probeTypes(fillRow: CompiledSchema['fillRow'], probed: number[], width: number, seed: number, rows: number): Map<number, OutputType> {
  const seen = new Map(probed.map(i => [i, new Set<string>()]))
  if (probed.length) {
    const rng = new RowRandom(seed)
    const cells = new Array<CellValue>(width)
    // Only rows the run really has: unique columns are permutations of exactly that many rows' values.
    for (let row = 0; row < rows; row++) {
      fillRow(rng, row, cells)
      for (const [i, kinds] of seen) {
        const value = cells[i]
        if (value === null || value === undefined) continue
        kinds.add(typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value)
      }
    }
  }
  const types = new Map<number, OutputType>()
  for (const [i, kinds] of seen) {
    if (kinds.size === 1) types.set(i, [...kinds][0] as OutputType)
    else if (kinds.size === 2 && kinds.has('integer') && kinds.has('number')) types.set(i, 'number')
    else types.set(i, 'string')
  }
  return types
}
