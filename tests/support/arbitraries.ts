/**
 * fast-check arbitraries for the fuzz suite (tests/unit/fuzz/, tests/api/fuzz.test.ts): schemas in
 * the schema language of shared/schema.ts, one arbitrary per column kind mirroring its zod shape,
 * with the values a hostile caller would pick (extreme-but-accepted parameters, faker methods from
 * faker's real modules with huge or oddly spelled size arguments, reference chains between columns,
 * adversarial sizes), and junk bodies, expressions and CSV bytes.
 */
import { faker } from '@faker-js/faker'
import fc from 'fast-check'
import { MAX_COLUMNS, type Distribution, type GenerationSchema, type ValueSpec } from '#shared/schema'
import { EXPRESSION_FUNCTIONS } from '~~/engine/schema/expression'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
/** A column as a client writes it (defaults left out). */
export type ColumnInput = Record<string, unknown> & { name: string; kind: string }
export interface SchemaInput { locale?: string; columns: ColumnInput[]; correlations?: unknown[] }

// ---- numbers -------------------------------------------------------------------------------

/** Sizes a caller would use to make faker build something gigantic (and ordinary ones). */
export const hugeCount = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 20 }) },
  { weight: 2, arbitrary: fc.constantFrom(9_999, 10_000, 10_001, 100_000, 1_000_000, 10_000_000, 1e9) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 1e9 }) },
)

/** Finite doubles with the extremes the schema accepts (±1e308, subnormals, ±0). */
const extremeDouble = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 1e-300, 5e-324, 1e308, -1e308, 1.7976931348623157e308, 2 ** 53, -(2 ** 53)),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
)
/** Strictly positive finite doubles, tiny to huge (σ, rates, shapes, weights). */
const positiveDouble = fc.oneof(
  fc.constantFrom(1e-300, 5e-324, 1e-10, 0.001, 1, 10, 100, 1e3, 1e6, 1e100, 1e308),
  fc.double({ min: Number.MIN_VALUE, max: 1e6, noNaN: true }),
  fc.double({ min: Number.MIN_VALUE, max: Number.MAX_VALUE, noNaN: true }),
)
const safeInt = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 31, -(2 ** 31), 1e15),
  fc.maxSafeInteger(),
)

// ---- distributions -------------------------------------------------------------------------

/** Every distribution with its parameters, including extreme-but-accepted ones (λ = 1e6, n = 1e6, σ = 1e308). */
export const distributionArb: fc.Arbitrary<Distribution> = fc.oneof(
  fc.constant({ type: 'uniform' as const }),
  fc.record({ type: fc.constant('normal' as const), mean: extremeDouble, sd: positiveDouble }),
  fc.record({ type: fc.constant('lognormal' as const), mu: extremeDouble, sigma: positiveDouble }),
  fc.record({ type: fc.constant('exponential' as const), rate: positiveDouble }),
  fc.record({ type: fc.constant('gamma' as const), shape: positiveDouble, scale: positiveDouble }),
  fc.record({ type: fc.constant('beta' as const), alpha: positiveDouble, beta: positiveDouble }),
  fc.record({ type: fc.constant('triangular' as const), mode: extremeDouble }),
  fc.record({ type: fc.constant('poisson' as const), lambda: fc.oneof(fc.constantFrom(1e-9, 0.5, 1, 10, 499, 500, 745, 1000, 1e5, 1e6), fc.double({ min: 1e-9, max: 1e6, noNaN: true })) }),
  fc.record({ type: fc.constant('binomial' as const), n: fc.oneof(fc.constantFrom(1, 10, 1999, 2000, 5000, 1_000_000), fc.integer({ min: 1, max: 1_000_000 })), p: fc.oneof(fc.constantFrom(0, 1, 0.5, 1e-9, 1 - 1e-9), fc.double({ min: 0, max: 1, noNaN: true })) }),
)

/** A pair of bounds, usually in order (so uniform and triangular columns are accepted). */
function bounds<T>(value: fc.Arbitrary<T>): fc.Arbitrary<{ min?: T; max?: T }> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(value, value).map(([a, b]) => (a <= b ? { min: a, max: b } : { min: b, max: a })) },
    { weight: 1, arbitrary: fc.record({ min: value, max: value }, { requiredKeys: [] }) },
  )
}

// ---- faker ---------------------------------------------------------------------------------

/** Every method of faker's real modules, as `module.method` (read from faker itself). */
export const FAKER_METHODS: readonly string[] = Object.keys(faker).flatMap((moduleName) => {
  const fakerModule: unknown = (faker as unknown as Record<string, unknown>)[moduleName]
  if (moduleName.startsWith('_') || !fakerModule || typeof fakerModule !== 'object') return []
  const names = new Set<string>()
  for (let proto: object | null = fakerModule; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name !== 'constructor' && !name.startsWith('_') && typeof (fakerModule as Record<string, unknown>)[name] === 'function') names.add(name)
    }
  }
  return [...names].map(name => `${moduleName}.${name}`)
}).filter(path => /^[a-z][A-Za-z0-9]*\.[a-z][A-Za-z0-9]*$/.test(path))

/** The methods whose size arguments are known to be costly (issue 18, class 2): drawn more often. */
export const SIZED_FAKER_METHODS = [
  'string.alpha', 'string.alphanumeric', 'string.numeric', 'string.sample', 'string.fromCharacters', 'string.binary', 'string.hexadecimal', 'string.nanoid',
  'lorem.words', 'lorem.sentences', 'lorem.paragraphs', 'lorem.lines', 'lorem.text', 'lorem.slug', 'word.words', 'system.fileName', 'finance.accountNumber',
  'finance.pin', 'finance.iban', 'helpers.fake', 'helpers.fromRegExp', 'helpers.multiple', 'helpers.replaceSymbols', 'helpers.arrayElements', 'number.binary',
  'number.hex', 'internet.password', 'commerce.price', 'date.betweens', 'helpers.uniqueArray',
] as const

/** Object keys faker methods read sizes from, and some they do not. */
const SIZE_KEYS = ['length', 'count', 'min', 'max', 'extensionCount', 'wordCount', 'sentenceCount', 'paragraphCount', 'lineCount', 'precision', 'fractionDigits', 'multipleOf', 'dec', 'exactly', 'casing', 'prefix', 'characters', 'pattern', 'allowLeadingZeros', 'separator', 'from', 'to', 'refDate', 'a', '0']

/** Strings with digit runs in the places faker parses them: mustache calls, regex quantifiers, patterns. */
const sizedText = fc.oneof(
  hugeCount.map(n => `{{string.alpha(${n})}}`),
  hugeCount.map(n => `{{lorem.words(${n})}}`),
  hugeCount.map(n => `{{string.sample({"min":${n},"max":${n}})}}`),
  hugeCount.map(n => `a{${n}}`),
  fc.tuple(hugeCount, hugeCount).map(([a, b]) => `[a-z]{${Math.min(a, b)},${Math.max(a, b)}}`),
  hugeCount.map(n => `#`.repeat(Math.min(n, 5000))),
  fc.constantFrom('', 'abc', '#####', '{{person.firstName}}', '(a|b)*c', '[', '\u0000', '😀', '{{', '}}'),
  fc.string({ maxLength: 40 }),
)

/** Faker arguments: numbers up to 1e9 in any key or position, digit runs in strings, nested objects. */
export const fakerArgArb: fc.Arbitrary<Json> = fc.letrec<{ arg: Json }>(tie => ({
  arg: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: hugeCount },
    { weight: 3, arbitrary: sizedText },
    { weight: 1, arbitrary: fc.constantFrom(null, true, false, -1, 0.5, -1e9, 1e308) },
    { weight: 3, arbitrary: fc.dictionary(fc.constantFrom(...SIZE_KEYS), tie('arg'), { maxKeys: 4 }) as fc.Arbitrary<Json> },
    { weight: 1, arbitrary: fc.array(tie('arg'), { maxLength: 5 }) },
  ),
})).arg

/** Counts biased to the huge, for the spellings below. */
const bigCount = fc.oneof(hugeCount, fc.constantFrom(1e6, 1e7, 1e8, 1e9))

/**
 * Argument lists in the spellings faker methods read sizes from: a positional count, `{ min, max }`,
 * `{ length }` (a number or a range), `{ count }`, `{ extensionCount }`, `(characters, size)`,
 * mustache and regex strings with digit runs.
 */
export const sizedFakerArgsArb: fc.Arbitrary<Json[]> = fc.oneof(
  bigCount.map(n => [n]),
  fc.tuple(bigCount, bigCount).map(([a, b]) => [{ min: Math.min(a, b), max: Math.max(a, b) }]),
  bigCount.map(n => [{ length: n }]),
  fc.tuple(bigCount, bigCount).map(([a, b]) => [{ length: { min: Math.min(a, b), max: Math.max(a, b) } }]),
  bigCount.map(n => [{ count: n }]),
  fc.tuple(fc.constantFrom('count', 'extensionCount', 'wordCount', 'sentenceCount', 'paragraphCount', 'lineCount', 'dec', 'fractionDigits', 'precision'), bigCount).map(([key, n]) => [{ [key]: n }]),
  fc.tuple(fc.constantFrom('abc', ['a', 'b'], ''), bigCount).map(([chars, n]) => [chars, { min: n, max: n }]),
  fc.tuple(fc.constantFrom('abc', ['a', 'b']), bigCount).map(([chars, n]) => [chars, n]),
  sizedText.map(text => [text]),
  fc.tuple(sizedText, bigCount).map(([text, n]) => [text, { count: n }]),
)

const fakerMethodArb = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...FAKER_METHODS) },
  { weight: 2, arbitrary: fc.constantFrom(...SIZED_FAKER_METHODS) },
)

// ---- columns -------------------------------------------------------------------------------

/** Names used by the generated schemas: `c0`, `c1`... so references can name them by index. */
export const columnName = (index: number) => `c${index}`

/** Text with tokens `{{cN}}`, `{{cN | filter}}` and `{{module.method}}` between literal pieces. */
function templateArb(columns: number): fc.Arbitrary<string> {
  const token = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.nat(columns - 1), fc.constantFrom('', ' | lower', ' | upper', ' | slug', ' | alnum', '|lower|slug')).map(([i, filter]) => `{{${columnName(i)}${filter}}}`) },
    { weight: 1, arbitrary: fakerMethodArb.map(method => `{{${method}}}`) },
    { weight: 2, arbitrary: fc.string({ maxLength: 12 }).filter(s => !s.includes('{{') && !s.includes('}}')) },
  )
  return fc.array(token, { minLength: 1, maxLength: 30 }).map(parts => parts.join('')).filter(t => t.length >= 1 && t.length <= 1000)
}

/** Literal values of the expression language. */
const expressionLiteral = fc.oneof(
  fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(0.5, 1e308, 1e-300, 10_000, 1e9)).map(String),
  fc.string({ maxLength: 10 }).map(s => `'${s.replace(/[\\']/g, '')}'`),
  fc.constantFrom('true', 'false', 'null', "'2024-05-01'", "'2024-05-01T10:20:30Z'", "'days'", "'months'", "'x'"),
)

/**
 * Expressions of the language of engine/schema/expression.ts: operators, calls of its real functions (with
 * any arity), conditionals, parentheses; `names` are the columns they may read.
 */
export function expressionArb(names: readonly string[]): fc.Arbitrary<string> {
  const leaf = names.length ? fc.oneof(expressionLiteral, fc.constantFrom(...names)) : expressionLiteral
  return fc.letrec<{ e: string }>(tie => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 3, arbitrary: leaf },
      { weight: 2, arbitrary: fc.tuple(tie('e'), fc.constantFrom('+', '-', '*', '/', '%', '**', '<', '<=', '==', '!=', 'and', 'or', '&&', '||'), tie('e')).map(([a, op, b]) => `${a} ${op} ${b}`) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('-', 'not ', '!', '+'), tie('e')).map(([op, a]) => `${op}${a}`) },
      { weight: 1, arbitrary: tie('e').map(a => `(${a})`) },
      { weight: 1, arbitrary: fc.tuple(tie('e'), tie('e'), tie('e')).map(([c, a, b]) => `${c} ? ${a} : ${b}`) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...EXPRESSION_FUNCTIONS), fc.array(tie('e'), { maxLength: 4 })).map(([fn, args]) => `${fn}(${args.join(', ')})`) },
    ),
  })).e.filter(e => e.length <= 2000)
}

/** Raw strings an expression parser must survive: junk, deep nesting, huge literals, prototype names. */
export const junkExpressionArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 100 }),
  fc.string({ unit: fc.constantFrom(...'()+-*/%!?:,.\'"\\ ab1e=<>[]{}&|'.split('')), maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.integer({ min: 1, max: 1200 }).map(n => `${'('.repeat(n)}1${')'.repeat(n)}`),
  fc.integer({ min: 1, max: 1000 }).map(n => `${'-'.repeat(n)}1`),
  fc.integer({ min: 1, max: 600 }).map(n => `${'abs('.repeat(n)}1${')'.repeat(n)}`),
  fc.integer({ min: 1, max: 200 }).map(n => `${"replace(".repeat(n)}'aa'${", 'a', 'aaaa')".repeat(n)}`),
  fc.integer({ min: 1, max: 600 }).map(n => `${'a ? '.repeat(n)}1${' : 0'.repeat(n)}`),
  fc.constantFrom('constructor', '__proto__', 'toString()', 'x.y', 'a[0]', 'a = 1', '1e400', "pad_start('x', 1000000000, 'ab')", "substr('abc', 1e308, -1e308)", "date_add('2024-01-31', 1e15, 'months')", "'\\u{110000}'", "'\\u{FFFFFFFFFF}'", "'unterminated"),
)

/** A triangular mode put inside the bounds (or the column is refused, which zod's own tests cover). */
function inside(distribution: Distribution, b: { min?: number; max?: number }): Distribution {
  return distribution.type === 'triangular' && b.min !== undefined && b.max !== undefined ? { type: 'triangular', mode: b.min / 2 + b.max / 2 } : distribution
}

function valueSpecArb(columns: number, self: number, withConditional: boolean): fc.Arbitrary<ValueSpec | Record<string, unknown>> {
  const others = Array.from({ length: columns }, (_, i) => columnName(i)).filter((_, i) => i !== self)
  const date = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  const time = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 })).map(([h, m, s]) => [h, m, s].map(n => String(n).padStart(2, '0')).join(':'))
  const continuous = distributionArb.filter(d => d.type !== 'poisson' && d.type !== 'binomial')
  const ordered = <T>(a: T, b: T) => (a <= b ? [a, b] : [b, a])
  const kinds: fc.Arbitrary<Record<string, unknown>>[] = [
    fc.record({ kind: fc.constant('sequence'), start: safeInt, step: safeInt.filter(s => s !== 0) }, { requiredKeys: ['kind'] }),
    fc.constant({ kind: 'uuid' }),
    fc.record({ kind: fc.constant('pattern'), pattern: fc.string({ unit: fc.constantFrom('#', '?', '@', '*', '\\', '-', 'A', '😀'), minLength: 1, maxLength: 200 }) }),
    fc.record({ kind: fc.constant('faker'), method: fakerMethodArb, args: fc.array(fakerArgArb, { maxLength: 3 }) }, { requiredKeys: ['kind', 'method'] }),
    fc.tuple(bounds(safeInt), distributionArb).map(([b, distribution]) => ({ kind: 'integer', ...b, distribution: inside(distribution, b) })),
    fc.tuple(bounds(extremeDouble), continuous, fc.integer({ min: 0, max: 12 })).map(([b, distribution, decimals]) => ({
      kind: 'float', ...b, decimals,
      distribution: inside(distribution, b),
    })),
    fc.record({ kind: fc.constant('boolean'), probability: fc.double({ min: 0, max: 1, noNaN: true }) }),
    fc.uniqueArray(fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean()), { minLength: 1, maxLength: 8, selector: v => String(v) })
      .chain(values => fc.tuple(fc.constant(values), fc.array(positiveDouble, { minLength: values.length, maxLength: values.length })))
      .map(([values, weights]) => ({ kind: 'categorical', categories: values.map((value, i) => ({ value, weight: weights[i] })) })),
    fc.tuple(date, date, continuous, fc.constantFrom('iso', 'epoch', 'epoch_seconds', 'YYYY-MM-DD HH:mm:ss Z', 'MMMM D, YYYY', 'SSS'), fc.constantFrom('UTC', 'Europe/Berlin', 'Pacific/Kiritimati', 'America/St_Johns'))
      .map(([a, b, distribution, format, timezone]) => { const [start, end] = ordered(a.toISOString(), b.toISOString()); return { kind: 'datetime', start, end, distribution, format, timezone } }),
    fc.tuple(date, date, continuous, fc.constantFrom('YYYY-MM-DD', 'D MMM YYYY', 'MMMM')).map(([a, b, distribution, format]) => {
      const [start, end] = ordered(a.toISOString().slice(0, 10), b.toISOString().slice(0, 10))
      return { kind: 'date', start, end, distribution, format }
    }),
    fc.tuple(time, time, continuous).map(([a, b, distribution]) => { const [start, end] = ordered(a, b); return { kind: 'time', start, end, distribution } }),
    fc.record({ kind: fc.constant('template'), template: templateArb(columns) }),
    fc.record({ kind: fc.constant('derived'), expression: expressionArb(others), decimals: fc.integer({ min: 0, max: 12 }) }, { requiredKeys: ['kind', 'expression'] }),
    fc.tuple(fc.array(extremeDouble, { minLength: 1, maxLength: 50 }), fc.constantFrom('number', 'integer', 'date', 'datetime'))
      .map(([values, output]) => ({ kind: 'empirical', values: values.sort((a, b) => a - b), output })),
  ]
  if (withConditional && others.length) {
    const then = valueSpecArb(columns, self, false)
    const when = fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -3, max: 3 }), fc.boolean())
    kinds.push(fc.record({
      kind: fc.constant('conditional'),
      on: fc.constantFrom(...others),
      cases: fc.array(fc.record({ when: fc.oneof(when, fc.array(when, { minLength: 1, maxLength: 3 })), then }), { minLength: 1, maxLength: 4 }),
      default: then,
    }, { requiredKeys: ['kind', 'on', 'cases'] }))
  }
  return fc.oneof(...kinds)
}

/** Column `c{index}` of a schema of `columns` columns, of any kind, sometimes hidden or with nulls. */
export function columnArb(index: number, columns: number): fc.Arbitrary<ColumnInput> {
  return fc.tuple(
    valueSpecArb(columns, index, true),
    fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) }),
    fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  ).map(([spec, nullRate, hidden]) => ({ name: columnName(index), ...spec, ...(nullRate ? { null_rate: nullRate } : {}), ...(hidden ? { hidden } : {}) } as ColumnInput))
}

/** At least one column must be written: the first is shown when every column is hidden. */
function showOne(columns: ColumnInput[]): ColumnInput[] {
  return columns.every(c => c.hidden) ? columns.map((c, i) => (i === 0 ? { ...c, hidden: false } : c)) : columns
}

/** A schema of 1–`maxColumns` columns of any kinds, referring to each other. */
export function schemaArb(maxColumns = 6): fc.Arbitrary<SchemaInput> {
  return fc.integer({ min: 1, max: maxColumns })
    .chain(n => fc.tuple(...Array.from({ length: n }, (_, i) => columnArb(i, n))))
    .map(columns => ({ locale: 'en', columns: showOne(columns) }))
}

/**
 * Adversarial sizes: a hidden long pattern interpolated many times into a hidden template,
 * interpolated again into another (class 1's template chain), deep chains of templates each reading
 * the last, many columns, long patterns.
 */
export const adversarialSchemaArb: fc.Arbitrary<SchemaInput> = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 200 })).map(([pattern, inner, outer]) => ({
    columns: [
      { name: 'c0', kind: 'pattern', pattern: '?'.repeat(pattern), hidden: true },
      { name: 'c1', kind: 'template', template: '{{c0}}'.repeat(inner), hidden: true },
      { name: 'c2', kind: 'template', template: '{{c1}}'.repeat(outer) },
    ],
  })),
  fc.tuple(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1, max: 4 })).map(([depth, copies]) => ({
    columns: [
      { name: 'c0', kind: 'pattern', pattern: '*'.repeat(200), hidden: true },
      ...Array.from({ length: depth }, (_, i) => ({ name: columnName(i + 1), kind: 'template', template: `{{${columnName(i)}}}`.repeat(copies), hidden: i < depth - 1 })),
    ],
  })),
  fc.tuple(fc.integer({ min: 100, max: MAX_COLUMNS }), fc.constantFrom('uuid', 'pattern', 'faker', 'integer')).map(([n, kind]) => ({
    columns: Array.from({ length: n }, (_, i) => ({ name: columnName(i), kind, ...(kind === 'pattern' ? { pattern: '#'.repeat(200) } : kind === 'faker' ? { method: 'lorem.paragraph' } : kind === 'integer' ? { min: 0, max: 1_000_000 } : {}) })),
  })),
  fc.tuple(fc.integer({ min: 2, max: 60 }), fc.integer({ min: 1, max: 20 })).map(([depth, copies]) => ({
    columns: [
      { name: 'c0', kind: 'faker', method: 'lorem.paragraphs', args: [10], hidden: true },
      ...Array.from({ length: depth }, (_, i) => ({ name: columnName(i + 1), kind: 'derived', expression: Array.from({ length: copies }, () => columnName(i)).join(' + '), hidden: i < depth - 1 })),
    ],
  })),
)

/** Whether a column of this kind may hold null with a null rate of 0 (kinds whose value is not drawn by the engine). */
export function mayBeNull(spec: ValueSpec | GenerationSchema['columns'][number]): boolean {
  if (spec.kind === 'faker' || spec.kind === 'derived') return true
  if (spec.kind === 'conditional') return !spec.default || mayBeNull(spec.default) || spec.cases.some(c => mayBeNull(c.then))
  return false
}

// ---- junk ----------------------------------------------------------------------------------

/** `value` wrapped in `depth` arrays or objects (alternating), built without recursion. */
export function nested(depth: number, value: Json = 1): Json {
  let out = value
  for (let i = 0; i < depth; i++) out = i % 2 ? [out] : { a: out }
  return out
}

/** The JSON text of `nested(depth, 1)`, built as text: JSON.stringify itself overflows the stack that deep. */
export function nestedText(depth: number): string {
  const open: string[] = []
  const close: string[] = []
  for (let i = depth - 1; i >= 0; i--) {
    open.push(i % 2 ? '[' : '{"a":')
    close.push(i % 2 ? ']' : '}')
  }
  return `${open.join('')}1${close.reverse().join('')}`
}

const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty']
const junkScalar = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1e308, -1e308, 5e-324, 1e21, Number.MAX_SAFE_INTEGER + 2, '', 'NaN', 'Infinity', '\u0000', '\uFFFF', '\uD800', '𝒳😀', 'a'.repeat(300), '../../etc/passwd', '%00'),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.double(),
)

/** Any JSON value with prototype keys and unicode among its keys. */
export const junkJsonArb: fc.Arbitrary<Json> = fc.letrec<{ j: Json }>(tie => ({
  j: fc.oneof(
    { depthSize: 'small' },
    { weight: 3, arbitrary: junkScalar as fc.Arbitrary<Json> },
    { weight: 1, arbitrary: fc.array(tie('j'), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS, 'columns', 'kind', 'name', 'schema', 'rows'), fc.string({ maxLength: 6 })), tie('j'), { maxKeys: 4 }) as fc.Arbitrary<Json> },
  ),
})).j

/**
 * A schema with one part spoiled: a field replaced by junk, a key added (a prototype key or an unknown
 * one), or a faker argument nested `depth` levels (zod's recursion, class 7).
 */
export function mutatedSchemaArb(maxDepth: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.tuple(schemaArb(4), fc.nat(), fc.constantFrom('name', 'kind', 'min', 'max', 'null_rate', 'distribution', 'categories', 'args', 'template', 'pattern', 'start', 'cases', 'method', 'values'), junkJsonArb)
      .map(([schema, i, key, junk]) => ({ ...schema, columns: schema.columns.map((c, k) => (k === i % schema.columns.length ? { ...c, [key]: junk } : c)) })),
    fc.tuple(schemaArb(4), fc.constantFrom(...PROTOTYPE_KEYS, 'extra'), junkJsonArb)
      .map(([schema, key, junk]) => JSON.parse(JSON.stringify({ ...schema, columns: [{ ...schema.columns[0] }, ...schema.columns.slice(1)] }).replace('{"name"', `{${JSON.stringify(key)}:${JSON.stringify(junk)},"name"`))),
    fc.tuple(schemaArb(3), fc.integer({ min: 1, max: maxDepth }))
      .map(([schema, depth]) => ({ ...schema, columns: [...schema.columns, { name: 'deep', kind: 'faker', method: 'helpers.arrayElement', args: [nested(depth)] }] })),
    junkJsonArb,
  )
}

// ---- uploads -------------------------------------------------------------------------------

/**
 * CSV bytes: a valid table, sometimes past 64 KiB, with a NUL, a Latin-1 byte or an invalid UTF-8
 * sequence put in at any point (before or after the first 64 KiB); or random bytes.
 */
export const csvBytesArb: fc.Arbitrary<{ bytes: Buffer; spoiledAt?: number }> = fc.oneof(
  fc.tuple(
    fc.integer({ min: 2, max: 6 }),
    fc.integer({ min: 1, max: 5000 }),
    fc.option(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom([0x00], [0xE9], [0xC3, 0x28], [0xFF, 0xFE], [0xED, 0xA0, 0x80])), { nil: undefined }),
  ).map(([width, rows, spoil]) => {
    const header = Array.from({ length: width }, (_, i) => `col${i}`).join(',')
    const lines = Array.from({ length: rows }, (_, r) => Array.from({ length: width }, (_, c) => (c === 0 ? String(r) : c === 1 ? `name ${r % 17}` : String((r * 7919 + c) % 1000 / 10))).join(','))
    let bytes = Buffer.from(`${header}\n${lines.join('\n')}\n`)
    if (spoil) {
      // Anywhere after the header: before or after the first 64 KiB.
      const at = Math.max(header.length + 2, Math.floor(spoil[0] * (bytes.length - 1)))
      bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(spoil[1]), bytes.subarray(at)])
      return { bytes, spoiledAt: at }
    }
    return { bytes }
  }),
  fc.uint8Array({ maxLength: 2048 }).map(a => ({ bytes: Buffer.from(a), ...(isUtf8Text(Buffer.from(a)) ? {} : { spoiledAt: 0 }) })),
)

/** Valid UTF-8 without NUL bytes: what an upload must be to be accepted. */
export function isUtf8Text(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    return true
  }
  catch {
    return false
  }
}

/** No bounds (half the time), or bounds as for other columns. */
const maybeBounds = fc.oneof(fc.constant({}), bounds(extremeDouble))

/**
 * Columns whose law a bug can silently break (class 6): unbounded poisson and binomial integers,
 * categories with huge weights, lognormal floats with any σ, each beside a sequence.
 */
export const lawsSchemaArb: fc.Arbitrary<SchemaInput> = fc.oneof(
  distributionArb.filter(d => d.type === 'poisson' || d.type === 'binomial').map(distribution => ({ kind: 'integer', distribution })),
  fc.tuple(fc.integer({ min: 2, max: 5 }), fc.constantFrom(1, 1e300, 1e307, 1e308, Number.MAX_VALUE)).map(([n, weight]) => ({
    kind: 'categorical', categories: Array.from({ length: n }, (_, i) => ({ value: `v${i}`, weight })),
  })),
  fc.tuple(extremeDouble, positiveDouble, maybeBounds).map(([mu, sigma, b]) => ({ kind: 'float', ...b, distribution: { type: 'lognormal', mu, sigma } })),
  fc.tuple(positiveDouble, positiveDouble, maybeBounds).map(([shape, scale, b]) => ({ kind: 'float', ...b, distribution: { type: 'gamma', shape, scale } })),
).map(spec => ({ columns: [{ name: 'c0', kind: 'sequence' }, { name: 'c1', ...spec }] as ColumnInput[] }))
