/**
 * The schema language and the HTTP request/response shapes, defined once with zod and shared by
 * the pages, the server and the engine (types via z.infer; no Vue or Nitro imports here).
 */
import { z } from 'zod'
import { instantMs } from './time.ts'
import { fakerArgIssues } from './faker-budget.ts'
import { formatSchema } from './formats.ts'

/** Largest seed accepted: any non-negative safe integer, so seeds from other tools fit. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER

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
export { MAX_FAKER_SIZE_ARG, MAX_FAKER_PATTERN_CHARS } from './faker-budget.ts'

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

export const datasetSchema = z
  .strictObject({
    /** Faker locale, e.g. `en`, `de`, `fr`, `ja`, `pt_BR`. */
    locale: z.string().regex(/^[a-z]{2,3}(_[A-Za-z]{2,8})*$/).default('en'),
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

export const templateSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/),
  title: z.string().min(1),
  description: z.string().min(1),
  schema: datasetSchema,
})

export { formatSchema }
export const jobStatusSchema = z.enum(['queued', 'running', 'done', 'error', 'canceled'])

/** The column types inferred from a real sample (see engine/dataset/profile.ts). */
export const inferredTypeSchema = z.enum(['id', 'integer', 'number', 'boolean', 'categorical', 'date', 'datetime', 'email', 'name', 'phone', 'address', 'text'])

const sqlIdentifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a SQL identifier (letters, digits, _)')

export const generateRequestSchema = z
  .strictObject({
    template: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be a template name such as "customers"').optional(),
    schema: datasetSchema.optional(),
    /**
     * Look-alike rows of an uploaded dataset (POST /datasets), from the model fitted to it; `columns`
     * overrides inferred types by column name (as GET /datasets/{id} lists them), refitting the model.
     */
    source: z.strictObject({
      dataset: z.uuid({ version: 'v4' }).regex(/^[0-9a-f-]+$/, 'must be a dataset id'),
      columns: z.record(z.string().min(1).max(200), inferredTypeSchema).optional(),
    }).optional(),
    rows: z.int().min(1).max(1_000_000_000).default(1000),
    format: formatSchema.default('csv'),
    seed: z.int().min(0).max(MAX_SEED).optional(),
    /** Compress the file with gzip (served as e.g. `customers.csv.gz`). */
    gzip: z.boolean().default(false),
    /** CSV: neutralise cells a spreadsheet would run as formulas (prefix `'`), leaving numbers alone. */
    escape_formulas: z.boolean().default(false),
    /** SQL: the table the INSERT statements target (default: the template's name, or `dataset`). */
    table: sqlIdentifier.optional(),
  })
  .superRefine((body, ctx) => {
    const given = [body.template, body.schema, body.source].filter(v => v !== undefined).length
    if (given !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of template, schema or source', path: given ? ['schema'] : ['template'] })
  })

export const jobIdSchema = z.uuid({ version: 'v4', message: 'must be an id (lowercase UUID v4)' }).regex(/^[0-9a-f-]+$/, 'must be an id (lowercase UUID v4)')
export const idParamsSchema = z.strictObject({ id: jobIdSchema })
export const templateParamsSchema = z.strictObject({ name: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be a template name') })
export const previewQuerySchema = z.strictObject({ n: z.coerce.number().int().min(1).max(1000).default(20) })
export const jobsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
})

/** A job as the API shows it. */
export const jobSchema = z.object({
  job_id: z.string(),
  status: jobStatusSchema,
  progress: z.number(),
  rows: z.number(),
  rows_written: z.number(),
  format: formatSchema,
  gzip: z.boolean(),
  escape_formulas: z.boolean(),
  table: z.string().nullable(),
  seed: z.number(),
  template: z.string().nullable(),
  /** The uploaded dataset whose fitted model made the rows (`source.dataset`), if any. */
  dataset: z.string().nullable(),
  /** Jobs made from a dataset: the column types the request overrode (`source.columns`). */
  source_columns: z.record(z.string(), inferredTypeSchema).optional(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  bytes: z.number().nullable(),
  /** SHA-256 of the finished file (hex), also its download ETag. */
  sha256: z.string().nullable(),
  /** When a finished job's files are deleted (NUXT_ARTIFACT_TTL), fixed when it finishes; null: kept. */
  expires_at: z.string().nullable().default(null),
  /** When its files were deleted for having expired: preview, metrics and download then answer 410. */
  expired_at: z.string().nullable().default(null),
  error: z.string().optional(),
})

export type Column = z.infer<typeof columnSchema>
export type ValueSpec = z.infer<typeof valueSpecSchema>
export type Correlation = z.infer<typeof correlationSchema>
export type ColumnKind = Column['kind']
export type DatasetSchema = z.infer<typeof datasetSchema>
export type DatasetSchemaInput = z.input<typeof datasetSchema>
export type Template = z.infer<typeof templateSchema>
export type Format = z.infer<typeof formatSchema>
export type JobStatus = z.infer<typeof jobStatusSchema>
export type GenerateRequest = z.infer<typeof generateRequestSchema>
export type Job = z.infer<typeof jobSchema>
export type CellValue = string | number | boolean | null


/** A job as persisted: the public fields plus what a rerun needs (the resolved schema). */
export const jobRecordSchema = jobSchema.extend({
  schema: datasetSchema,
  attempts: z.number(),
})

export type JobRecord = z.infer<typeof jobRecordSchema>

/**
 * A job record as read back from the store. Its schema was fully checked when the job was accepted
 * (and the worker compiles it again before running it), so reads check only its outline: the full
 * check costs about 0.2 ms a record, paid on every status poll and for every record GET /jobs lists.
 */
export const storedJobRecordSchema = jobRecordSchema.extend({
  schema: z.custom<DatasetSchema>(value => !!value && typeof value === 'object' && Array.isArray((value as { columns?: unknown }).columns), 'must be a schema with columns'),
})

export const jobListSchema = z.object({ jobs: z.array(jobSchema), next_cursor: z.string().nullable() })
export type JobList = z.infer<typeof jobListSchema>

export const previewSchema = z.object({ columns: z.array(z.string()), rows: z.array(z.array(z.union([z.string(), z.number(), z.boolean(), z.null()]))) })
export type Preview = z.infer<typeof previewSchema>

/** A template as listed by GET /templates. */
export const templateSummarySchema = z.object({
  name: z.string(),
  title: z.string(),
  description: z.string(),
  /** Saved by a user (POST /templates), not shipped. */
  custom: z.boolean(),
  /** The columns the output has (hidden helper columns are not written). */
  columns: z.array(z.object({ name: z.string(), kind: columnKindSchema })),
})
export type TemplateSummary = z.infer<typeof templateSummarySchema>
export const templateListSchema = z.object({ templates: z.array(templateSummarySchema) })
export type TemplateList = z.infer<typeof templateListSchema>

/** POST /generate's answer (202, with `Location: /jobs/{id}`). */
export const generateAcceptedSchema = z.object({ job_id: z.string(), status: z.literal('queued') })
export type GenerateAccepted = z.infer<typeof generateAcceptedSchema>

/** GET /healthz's answer. */
export const healthSchema = z.object({ status: z.literal('ok') })

/** One bad field of a request: where (`schema.columns.0.min`, `(root)`, `id`, `(body)`) and what is wrong. */
export const issueSchema = z.object({ path: z.string(), message: z.string() })
export type Issue = z.infer<typeof issueSchema>

/** The JSON body of every error the API answers (server/error-handler.ts). */
export const apiErrorSchema = z.object({
  statusCode: z.int(),
  statusMessage: z.string(),
  message: z.string(),
  /** Every bad field, on 400s. */
  issues: z.array(issueSchema).optional(),
})
export type ApiError = z.infer<typeof apiErrorSchema>

/**
 * A statistic of a quality report: null where it is undefined (a test whose law cannot be evaluated,
 * a mean that overflows, a score over no pairs), which JSON cannot write as NaN or Infinity.
 */
const statistic = z.number().nullable()

const testResultSchema = z.object({ statistic, p_value: statistic })

/** One column in a schema job's quality report. */
export const columnReportSchema = z.object({
  kind: columnKindSchema,
  null_rate: z.object({ declared: z.number(), observed: z.number() }),
  /** Distinct values among the sampled non-null values. */
  distinct_ratio: z.number(),
  /** One-sample KS test of the sample against the declared distribution. */
  ks: testResultSchema.extend({ sample_size: z.number() }).optional(),
  summary: z.object({ mean: statistic, sd: statistic, min: statistic, max: statistic }).optional(),
  /** Sample histogram beside the counts the declared distribution expects in the same bins. */
  histogram: z.object({ edges: z.array(statistic), observed: z.array(z.number()), expected: z.array(statistic) }).optional(),
})

export const categoricalReportSchema = z.object({
  declared: z.record(z.string(), z.number()),
  observed: z.record(z.string(), z.number()),
  tv_distance: statistic,
  chi_square: testResultSchema.extend({ df: z.number() }),
})

/**
 * SDMetrics-style quality of look-alike rows against the dataset they were fitted to (engine/report/fidelity.ts):
 * the QualityReport's shapes and pair trends, adherence to the real ranges and categories, and privacy.
 */
export const qualityReportSchema = z.object({
  quality_score: statistic,
  column_shapes: statistic,
  /** Null for a dataset of one column (no pairs). */
  column_pair_trends: statistic,
  /** Pair trends averaged over every pair, related in the real data or not. */
  column_pair_trends_all_pairs: statistic,
  columns: z.record(z.string(), z.object({ metric: z.enum(['KSComplement', 'TVComplement']), score: z.number() })),
  pairs: z.record(z.string(), z.object({ metric: z.enum(['CorrelationSimilarity', 'ContingencySimilarity']), score: z.number(), real_association: z.number(), related: z.boolean() })),
  /** BoundaryAdherence (numbers and dates: share within the real min..max) and CategoryAdherence (share that are real categories). */
  adherence: z.record(z.string(), z.object({ metric: z.enum(['BoundaryAdherence', 'CategoryAdherence']), score: z.number() })).optional(),
  /** (`adherence` and `privacy` are absent from reports written before they existed.) */
  privacy: z.object({
    /** Share of synthetic rows matching no real row (categories equal, numbers within 1% of the synthetic value, nulls only with nulls). */
    new_row_synthesis: z.object({ score: z.number(), num_new_rows: z.number(), num_matched_rows: z.number(), synthetic_rows: z.number(), real_rows: z.number() }),
    /** min(1, median DCR of synthetic rows to the real ones / median DCR of uniformly random rows to them). */
    dcr_baseline_protection: z.object({
      score: z.number().nullable(),
      median_dcr_synthetic: z.number(),
      median_dcr_random: z.number(),
      synthetic_rows: z.number(),
      real_rows: z.number(),
    }),
  }).optional(),
  real_rows: z.number(),
  synthetic_rows: z.number(),
})
export type QualityReport = z.infer<typeof qualityReportSchema>

/** GET /metrics/:id for a schema job: the output checked against what the schema declared. */
export const schemaJobMetricsSchema = z.object({
  kind: z.literal('schema'),
  rows: z.number(),
  sample_size: z.number(),
  utility: z.object({
    /** Mean of (1 − KS statistic) over the columns with a declared distribution. */
    ks_complement: z.number().nullable(),
    columns: z.record(z.string(), columnReportSchema),
  }),
  categoricals: z.record(z.string(), categoricalReportSchema),
  /** Per correlation group: requested vs achieved correlation of normal scores (what the copula controls). */
  correlations: z.array(z.object({
    columns: z.array(z.string()),
    /** Groups that hold only where a column has given values (`on`/`when` in the schema). */
    on: z.string().optional(),
    when: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    requested: z.array(z.array(z.number())),
    achieved: z.array(z.array(statistic)),
    max_abs_error: statistic,
    sample_size: z.number(),
  })),
  privacy_lite: z.object({ sample_size: z.number(), duplicate_rows: z.number(), duplicate_rate: z.number() }),
  /** Jobs made from an uploaded dataset: SDMetrics-style quality against that dataset. */
  quality: qualityReportSchema.optional(),
})


export type TestResult = z.infer<typeof testResultSchema>
export type ColumnReport = z.infer<typeof columnReportSchema>
export type CategoricalReport = z.infer<typeof categoricalReportSchema>
export type SchemaJobMetrics = z.infer<typeof schemaJobMetricsSchema>


/** An uploaded real sample, as GET /datasets/:id shows it. */
export const datasetRecordSchema = z.object({
  dataset_id: z.string(),
  /** The file name the client gave (X-Filename header), if any. */
  name: z.string().nullable(),
  rows: z.number(),
  bytes: z.number(),
  delimiter: z.string(),
  created_at: z.string(),
  columns: z.array(z.object({
    name: z.string(),
    type: inferredTypeSchema,
    nulls: z.number(),
    distinct: z.number(),
    distinct_capped: z.boolean(),
    examples: z.array(z.string()),
  })),
})
export type DatasetRecord = z.infer<typeof datasetRecordSchema>
export const datasetListSchema = z.object({ datasets: z.array(datasetRecordSchema) })
export type DatasetList = z.infer<typeof datasetListSchema>

/** POST /auth/login: a browser signs in with the API key once, and gets a session cookie. */
export const loginRequestSchema = z.strictObject({ key: z.string().min(1).max(4096) })
export type LoginRequest = z.infer<typeof loginRequestSchema>

/** GET /auth/session: whether this server needs a key, and whether this browser is signed in. */
export const authSessionSchema = z.object({ auth_required: z.boolean(), signed_in: z.boolean() })
export type AuthSession = z.infer<typeof authSessionSchema>
