/**
 * The schema language: columns, their kinds and distributions, correlation groups, and the whole
 * schema a job generates from (README "The schema language"; GET /schema.json).
 */
import { z } from 'zod'
import { instantMs } from '../time.ts'
import { fakerArgIssues } from '../faker-budget.ts'

/** Names that reach objects' prototypes: refused as keys anywhere in a body and as column names. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

const columnName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must start with a letter or _ and contain only letters, digits and _')
  .refine(name => !FORBIDDEN_KEYS.has(name), 'is a reserved name (__proto__, constructor and prototype are not allowed)')

const finite = z.number().refine(Number.isFinite, 'must be a finite number')
const positive = z.number().positive().refine(Number.isFinite, 'must be a finite number')
/** A faker locale's name (`en`, `pt_BR`): the engine also checks it before importing the locale by that name. */
export const LOCALE_NAME = /^[a-z]{2,3}(_[A-Za-z]{2,8})*$/
/** Longest text of a category (or a `when` value). */
export const MAX_CATEGORY_LENGTH = 256
/** Most columns a schema may have. */
export const MAX_COLUMNS = 200
const scalar = z.union([z.string().max(MAX_CATEGORY_LENGTH), finite, z.boolean()])

/** Largest gamma shape accepted. */
export const MAX_GAMMA_SHAPE = 10_000
/** Largest beta alpha and beta accepted. */
export const MAX_BETA_SHAPE = 100_000
/**
 * Largest magnitude of an integer column's min and max (2^52): integers are drawn continuously on
 * [min - 0.5, max + 0.5] and rounded, and beyond 2^52 those half-integers are not doubles.
 */
export const MAX_INTEGER_BOUND = 2 ** 52
const integerBound = z.int().min(-MAX_INTEGER_BOUND, `must be at least -${MAX_INTEGER_BOUND} (-2^52)`).max(MAX_INTEGER_BOUND, `must be at most ${MAX_INTEGER_BOUND} (2^52)`)

/**
 * Distributions of numbers (and of positions inside a date/time range). Continuous ones are sampled by
 * inverse CDF, so truncation to a column's `min`/`max` is exact; `poisson` and `binomial` are discrete.
 */
export const distributionSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('uniform') }),
  z.strictObject({ type: z.literal('normal'), mean: finite, sd: positive }),
  /** exp(N(mu, sigma)): mu and sigma are those of the logarithm. */
  z.strictObject({ type: z.literal('lognormal'), mu: finite, sigma: positive }),
  z.strictObject({ type: z.literal('exponential'), rate: positive }),
  /** shape at most 10,000: beyond, its inverse CDF takes seconds to tabulate, and a normal is as close as doubles tell. */
  z.strictObject({ type: z.literal('gamma'), shape: positive.max(MAX_GAMMA_SHAPE, `must be at most ${MAX_GAMMA_SHAPE} (use a normal distribution beyond)`), scale: positive }),
  /** On [min, max] (default [0, 1]); alpha and beta at most 100,000, where jstat's inverse stays exact. */
  z.strictObject({ type: z.literal('beta'), alpha: positive.max(MAX_BETA_SHAPE, `must be at most ${MAX_BETA_SHAPE}`), beta: positive.max(MAX_BETA_SHAPE, `must be at most ${MAX_BETA_SHAPE}`) }),
  /** On [min, max], peaking at `mode`. */
  z.strictObject({ type: z.literal('triangular'), mode: finite }),
  z.strictObject({ type: z.literal('poisson'), lambda: positive.max(1e6) }),
  z.strictObject({ type: z.literal('binomial'), n: z.int().min(1).max(1_000_000), p: z.number().min(0).max(1) }),
])
export type Distribution = z.infer<typeof distributionSchema>
const DISCRETE = new Set(['poisson', 'binomial'])
const NEEDS_BOUNDS = new Set(['uniform', 'triangular'])

/** Distributions over a date/time range: a position in [0, 1] of the range (truncated to it). */
const rangeDistribution = distributionSchema.refine(d => !DISCRETE.has(d.type), 'a date/time range takes a continuous distribution (over the position 0..1 in the range)')

interface Bounded { min?: number; max?: number; distribution: Distribution }
function checkNumeric(c: Bounded, ctx: z.RefinementCtx, kind: 'integer' | 'float') {
  const issue = (message: string, path: string) => ctx.addIssue({ code: 'custom', message, path: [path] })
  if (c.min !== undefined && c.max !== undefined && c.min > c.max) issue('min must not exceed max', 'min')
  else if (c.min !== undefined && c.max !== undefined && !Number.isFinite(c.max - c.min)) issue('max - min must be a finite number (the range is too wide)', 'max')
  if (NEEDS_BOUNDS.has(c.distribution.type) && (c.min === undefined || c.max === undefined)) issue(`a ${c.distribution.type} distribution needs both min and max`, 'distribution')
  if (DISCRETE.has(c.distribution.type) && kind === 'float') issue(`${c.distribution.type} is discrete: use it on an integer column`, 'distribution')
  if (c.distribution.type === 'triangular' && c.min !== undefined && c.max !== undefined && (c.distribution.mode < c.min || c.distribution.mode > c.max)) issue('mode must lie within [min, max]', 'distribution')
}

/** What every column has besides its kind. */
const columnBase = {
  name: columnName,
  /** Share of rows whose value is null (empty cell in CSV), 0..1. */
  null_rate: z.number().min(0).max(1).default(0),
  /** No value repeats (nulls aside); a 400 names the column when its value space is smaller than the rows asked. */
  unique: z.boolean().default(false),
  /** Generated and usable by other columns, but not written to the output. */
  hidden: z.boolean().default(false),
}

const timeZone = z.string().max(64).refine((zone) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  }
  catch {
    return false
  }
}, 'must be an IANA time zone such as UTC or Europe/Berlin')

const instant = z.union([z.iso.datetime({ offset: true }), z.iso.datetime({ local: true }), z.iso.date()])

const isoDate = z.iso.date()
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, 'must be HH:mm or HH:mm:ss')

/** `start, start + step, ...` by row. */
const sequenceShape = { kind: z.literal('sequence'), start: z.int().default(1), step: z.int().refine(step => step !== 0, 'must not be 0').default(1) }
/** Version-4 UUIDs derived from the seed (reproducible). */
const uuidShape = { kind: z.literal('uuid') }
/** `#` digit, `?` uppercase letter, `@` lowercase letter, `*` uppercase letter or digit, `\` escapes: `ORD-#####`. */
const patternShape = { kind: z.literal('pattern'), pattern: z.string().min(1).max(200) }
export { MAX_FAKER_SIZE_ARG, MAX_FAKER_PATTERN_CHARS } from '../faker-budget.ts'

/**
 * A faker column's call within its budget (shared/faker-budget.ts: every number a size unless the
 * method takes values, counts given in full, patterns short): one oversized value can exhaust a
 * thread's memory, so it is refused before any row is made, at the argument's path.
 */
function checkFakerArgs(c: { method: string; args?: unknown[] }, ctx: z.RefinementCtx) {
  if (!c.args?.length) return
  for (const issue of fakerArgIssues(c.method, c.args)) ctx.addIssue({ code: 'custom', message: issue.message, path: ['args', ...issue.path] })
}

/** Any JSON value (faker arguments). */
export const jsonValueSchema = z.json()

/** Any faker method by path with JSON arguments, in the schema's locale. */
const fakerShape = {
  kind: z.literal('faker'),
  method: z.string().regex(/^[a-z][A-Za-z0-9]*\.[a-z][A-Za-z0-9]*$/, 'must be module.method, e.g. person.firstName'),
  args: z.array(jsonValueSchema).max(8).optional(),
}
const integerShape = { kind: z.literal('integer'), min: integerBound.optional(), max: integerBound.optional(), distribution: distributionSchema.default({ type: 'uniform' }) }
const floatShape = {
  kind: z.literal('float'),
  min: finite.optional(),
  max: finite.optional(),
  distribution: distributionSchema.default({ type: 'uniform' }),
  /** Digits after the decimal point; values are rounded to it. */
  decimals: z.int().min(0).max(12).default(2),
}
const booleanShape = { kind: z.literal('boolean'), probability: z.number().min(0).max(1).default(0.5) }
/** Values with relative weights (they need not sum to 1). */
const categoricalShape = {
  kind: z.literal('categorical'),
  categories: z.array(z.strictObject({ value: scalar, weight: positive.default(1) })).min(1).max(10_000).superRefine((categories, ctx) => {
    // Draws compare a uniform with cumulative weights / their sum: an infinite sum makes every share
    // 0 (or NaN), so the last category would always be picked.
    if (!Number.isFinite(categories.reduce((sum, c) => sum + c.weight, 0))) ctx.addIssue({ code: 'custom', message: 'the weights must sum to a finite number (they are relative: scale them down)', path: [] })
    // Values are compared as written (1 and "1" are the same cell in CSV).
    const seen = new Set<string>()
    categories.forEach((c, i) => {
      const key = String(c.value)
      if (seen.has(key)) ctx.addIssue({ code: 'custom', message: `duplicate category ${JSON.stringify(c.value)}`, path: [i, 'value'] })
      seen.add(key)
    })
  }),
}
/**
 * An instant in [start, end]; `format` is `iso` (2024-05-01T10:20:30.000Z, or with the zone's offset),
 * `epoch` (ms), `epoch_seconds`, or a pattern of YYYY MM DD HH mm ss SSS Z (offset), in `timezone`
 * (MMM and MMMM: the month's English name; D: the day without padding).
 */
const datetimeShape = {
  kind: z.literal('datetime'),
  start: instant,
  end: instant,
  distribution: rangeDistribution.default({ type: 'uniform' }),
  format: z.string().min(1).max(64).default('iso'),
  timezone: timeZone.default('UTC'),
}
/** A calendar day in [start, end] (YYYY-MM-DD), written with `format` (tokens YYYY MM DD, MMM MMMM D). */
const dateShape = { kind: z.literal('date'), start: isoDate, end: isoDate, distribution: rangeDistribution.default({ type: 'uniform' }), format: z.string().min(1).max(64).default('YYYY-MM-DD') }
/** A time of day in [start, end] (HH:mm[:ss]), written with `format` (tokens HH mm ss). */
const timeShape = { kind: z.literal('time'), start: clockTime, end: clockTime, distribution: rangeDistribution.default({ type: 'uniform' }), format: z.string().min(1).max(64).default('HH:mm:ss') }
/**
 * Text with `{{column}}` (another column's value) and `{{module.method}}` (a faker call) tokens, each
 * optionally piped through `lower`, `upper` or `slug`: `{{first_name | lower}}.{{last_name | lower}}@{{internet.domainName}}`.
 */
const templateShape = { kind: z.literal('template'), template: z.string().min(1).max(1000) }
/** An expression over other columns (see engine/schema/expression.ts): `quantity * unit_price`. */
const derivedShape = {
  kind: z.literal('derived'),
  expression: z.string().min(1).max(2000),
  /** Round numeric results to this many decimals. */
  decimals: z.int().min(0).max(12).optional(),
  /** The result's type, for typed formats (Parquet, SQL); inferred from the first rows when absent. */
  type: z.enum(['integer', 'number', 'string', 'boolean', 'datetime', 'date']).optional(),
}

/**
 * Values drawn from an empirical distribution (what fitting a real sample produces): `values` are the
 * sorted quantiles at evenly spaced probabilities; a draw interpolates between neighbours, and equal
 * neighbours make point masses. Written as numbers, integers, dates or date-times.
 */
const empiricalShape = {
  kind: z.literal('empirical'),
  values: z.array(finite).min(1).max(10_001).refine(v => v.every((x, i) => i === 0 || v[i - 1]! <= x), 'must be sorted ascending'),
  output: z.enum(['number', 'integer', 'date', 'datetime']).default('number'),
  /** Numbers: digits after the decimal point. */
  decimals: z.int().min(0).max(12).default(2),
  /** Dates and date-times (values are epoch ms): a format as for `date`/`datetime` columns. */
  format: z.string().min(1).max(64).optional(),
}

const integerCheck = (c: Bounded, ctx: z.RefinementCtx) => checkNumeric(c, ctx, 'integer')
const floatCheck = (c: Bounded, ctx: z.RefinementCtx) => checkNumeric(c, ctx, 'float')
function rangeCheck(c: { kind: string; start: string; end: string }, ctx: z.RefinementCtx) {
  const order = c.kind === 'time' ? (t: string) => t.padEnd(8, ':00') : instantMs
  if (order(c.start) > order(c.end)) ctx.addIssue({ code: 'custom', message: 'start must not be after end', path: ['start'] })
}

/** A value kind without a name: what a conditional column's cases draw from. */
export const valueSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject(sequenceShape),
  z.strictObject(uuidShape),
  z.strictObject(patternShape),
  z.strictObject(fakerShape).superRefine(checkFakerArgs),
  z.strictObject(integerShape).superRefine(integerCheck),
  z.strictObject(floatShape).superRefine(floatCheck),
  z.strictObject(booleanShape),
  z.strictObject(categoricalShape),
  z.strictObject(datetimeShape).superRefine(rangeCheck),
  z.strictObject(dateShape).superRefine(rangeCheck),
  z.strictObject(timeShape).superRefine(rangeCheck),
  z.strictObject(templateShape),
  z.strictObject(derivedShape),
  z.strictObject(empiricalShape),
])

/**
 * A value that depends on another column: the first case whose `when` matches the value of `on`
 * (a value or a list of values) decides how the value is drawn; `default` otherwise (null if absent).
 */
const conditionalShape = {
  kind: z.literal('conditional'),
  on: columnName,
  cases: z.array(z.strictObject({ when: z.union([scalar, z.array(scalar).min(1)]), then: valueSpecSchema })).min(1).max(500),
  default: valueSpecSchema.optional(),
}

export const columnSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...columnBase, ...sequenceShape }),
  z.strictObject({ ...columnBase, ...uuidShape }),
  z.strictObject({ ...columnBase, ...patternShape }),
  z.strictObject({ ...columnBase, ...fakerShape }).superRefine(checkFakerArgs),
  z.strictObject({ ...columnBase, ...integerShape }).superRefine(integerCheck),
  z.strictObject({ ...columnBase, ...floatShape }).superRefine(floatCheck),
  z.strictObject({ ...columnBase, ...booleanShape }),
  z.strictObject({ ...columnBase, ...categoricalShape }),
  z.strictObject({ ...columnBase, ...datetimeShape }).superRefine(rangeCheck),
  z.strictObject({ ...columnBase, ...dateShape }).superRefine(rangeCheck),
  z.strictObject({ ...columnBase, ...timeShape }).superRefine(rangeCheck),
  z.strictObject({ ...columnBase, ...templateShape }),
  z.strictObject({ ...columnBase, ...derivedShape }),
  z.strictObject({ ...columnBase, ...empiricalShape }),
  z.strictObject({ ...columnBase, ...conditionalShape }),
])

/** The column kinds, for places that name a kind without its fields. */
export const columnKindSchema = z.enum(['sequence', 'uuid', 'pattern', 'faker', 'integer', 'float', 'boolean', 'categorical', 'datetime', 'date', 'time', 'template', 'derived', 'empirical', 'conditional'])
// Compile-time guard: the list above and the union's discriminators are the same set.
const kindsMatch: [z.infer<typeof columnKindSchema>, z.infer<typeof columnSchema>['kind']] extends [z.infer<typeof columnSchema>['kind'], z.infer<typeof columnKindSchema>] ? true : never = true
void kindsMatch

/**
 * Correlated columns: a Gaussian copula with this correlation matrix (of normal scores) over the named
 * integer/float/datetime/date/time/empirical columns (and categorical/boolean ones, whose values take
 * slices of [0, 1] in the order listed; and conditional ones, whose chosen case takes the copula's
 * draw), each keeping its own declared distribution. With `on` and `when`, the group applies only to
 * the rows whose `on` column holds `when` (a value or a list of values): one group per slice of a
 * categorical column makes a mixture of copulas, and a column may be in several groups conditioned on
 * the same column with disjoint values; in rows no group matches, its value is drawn on its own.
 */
export const correlationSchema = z.strictObject({
  columns: z.array(columnName).min(2).max(50),
  matrix: z.array(z.array(z.number().min(-1).max(1))),
  on: columnName.optional(),
  when: z.union([scalar, z.array(scalar).min(1).max(500)]).optional(),
}).refine(group => (group.on === undefined) === (group.when === undefined), { message: 'on and when go together', path: ['when'] })

/**
 * A whole schema in the schema language: what POST /generate takes as `schema`, a template holds and
 * fitting an uploaded dataset produces. Named for generation, since "dataset" means an uploaded sample.
 */
export const generationSchema = z
  .strictObject({
    /** Faker locale, e.g. `en`, `de`, `fr`, `ja`, `pt_BR`. */
    locale: z.string().regex(LOCALE_NAME).default('en'),
    columns: z.array(columnSchema).min(1).max(MAX_COLUMNS),
    correlations: z.array(correlationSchema).max(20).optional(),
  })
  .superRefine((schema, ctx) => {
    const seen = new Set<string>()
    schema.columns.forEach((column, index) => {
      if (seen.has(column.name)) ctx.addIssue({ code: 'custom', message: `duplicate column name "${column.name}"`, path: ['columns', index, 'name'] })
      seen.add(column.name)
    })
    if (schema.columns.length && schema.columns.every(c => c.hidden)) ctx.addIssue({ code: 'custom', message: 'at least one column must not be hidden', path: ['columns'] })
  })

/** A value as a sampler makes it and a preview shows it. */
export type CellValue = string | number | boolean | null
export type Column = z.infer<typeof columnSchema>
export type ValueSpec = z.infer<typeof valueSpecSchema>
export type Correlation = z.infer<typeof correlationSchema>
export type ColumnKind = Column['kind']
export type GenerationSchema = z.infer<typeof generationSchema>
export type GenerationSchemaInput = z.input<typeof generationSchema>
