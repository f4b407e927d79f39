/**
 * The schema language and the HTTP request/response shapes, defined once with zod and shared by
 * the pages, the server and the engine (types via z.infer; no Vue or Nitro imports here).
 */
import { z } from 'zod'

/** Largest seed accepted: any non-negative safe integer, so seeds from other tools fit. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER

const columnName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must start with a letter or _ and contain only letters, digits and _')

const finite = z.number().refine(Number.isFinite, 'must be a finite number')

const base = {
  name: columnName,
  /** Share of rows whose value is null (empty cell in CSV), 0..1. */
  null_rate: z.number().min(0).max(1).default(0),
}

const uniform = z.strictObject({ type: z.literal('uniform') })
const normal = z.strictObject({ type: z.literal('normal'), mean: finite, sd: z.number().positive().refine(Number.isFinite) })
export const distributionSchema = z.discriminatedUnion('type', [uniform, normal])

const boundsInOrder = (c: { min?: number; max?: number }) => c.min === undefined || c.max === undefined || c.min <= c.max
const boundsForUniform = (c: { min?: number; max?: number; distribution: { type: string } }) =>
  c.distribution.type !== 'uniform' || (c.min !== undefined && c.max !== undefined)

export const sequenceColumn = z.strictObject({
  ...base,
  kind: z.literal('sequence'),
  start: z.int().default(1),
  step: z.int().refine(step => step !== 0, 'must not be 0').default(1),
})

export const uuidColumn = z.strictObject({ ...base, kind: z.literal('uuid') })

export const fakerColumn = z.strictObject({
  ...base,
  kind: z.literal('faker'),
  /** A faker method by path, e.g. `person.firstName` or `internet.email`. */
  method: z.string().regex(/^[a-z][A-Za-z0-9]*\.[a-z][A-Za-z0-9]*$/, 'must be module.method, e.g. person.firstName'),
  /** Arguments passed to the method (JSON values only). */
  args: z.array(z.json()).max(8).optional(),
})

export const integerColumn = z
  .strictObject({
    ...base,
    kind: z.literal('integer'),
    min: z.int().optional(),
    max: z.int().optional(),
    distribution: distributionSchema.default({ type: 'uniform' }),
  })
  .refine(boundsInOrder, { message: 'min must not exceed max', path: ['min'] })
  .refine(boundsForUniform, { message: 'a uniform distribution needs both min and max', path: ['distribution'] })

export const floatColumn = z
  .strictObject({
    ...base,
    kind: z.literal('float'),
    min: finite.optional(),
    max: finite.optional(),
    distribution: distributionSchema.default({ type: 'uniform' }),
    /** Digits after the decimal point; values are rounded to it. */
    decimals: z.int().min(0).max(12).default(2),
  })
  .refine(boundsInOrder, { message: 'min must not exceed max', path: ['min'] })
  .refine(boundsForUniform, { message: 'a uniform distribution needs both min and max', path: ['distribution'] })

export const booleanColumn = z.strictObject({
  ...base,
  kind: z.literal('boolean'),
  /** Probability of `true`. */
  probability: z.number().min(0).max(1).default(0.5),
})

export const categoricalColumn = z.strictObject({
  ...base,
  kind: z.literal('categorical'),
  /** Values with relative weights (they need not sum to 1). */
  categories: z
    .array(z.strictObject({ value: z.union([z.string().max(256), finite, z.boolean()]), weight: z.number().positive().refine(Number.isFinite).default(1) }))
    .min(1)
    .max(1000),
})

const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()])

export const datetimeColumn = z
  .strictObject({
    ...base,
    kind: z.literal('datetime'),
    /** Inclusive range, ISO 8601 (`2024-01-01` or `2024-01-01T00:00:00Z`). */
    start: instant,
    end: instant,
    /** `iso` (2024-05-01T10:20:30.000Z), `date` (2024-05-01) or `epoch` (milliseconds). */
    format: z.enum(['iso', 'date', 'epoch']).default('iso'),
  })
  .refine(c => Date.parse(c.start) <= Date.parse(c.end), { message: 'start must not be after end', path: ['start'] })

export const columnSchema = z.discriminatedUnion('kind', [
  sequenceColumn,
  uuidColumn,
  fakerColumn,
  integerColumn,
  floatColumn,
  booleanColumn,
  categoricalColumn,
  datetimeColumn,
])

/** The column kinds, for places that name a kind without its fields. */
export const columnKindSchema = z.enum(['sequence', 'uuid', 'faker', 'integer', 'float', 'boolean', 'categorical', 'datetime'])
// Compile-time guard: the list above and the union's discriminators are the same set.
const kindsMatch: [z.infer<typeof columnKindSchema>, z.infer<typeof columnSchema>['kind']] extends [z.infer<typeof columnSchema>['kind'], z.infer<typeof columnKindSchema>] ? true : never = true
void kindsMatch

export const datasetSchema = z
  .strictObject({
    /** Faker locale, e.g. `en`, `de`, `fr`, `ja`, `pt_BR`. */
    locale: z.string().regex(/^[a-z]{2,3}(_[A-Za-z]{2,8})*$/).default('en'),
    columns: z.array(columnSchema).min(1).max(200),
  })
  .superRefine((schema, ctx) => {
    const seen = new Set<string>()
    schema.columns.forEach((column, index) => {
      if (seen.has(column.name)) ctx.addIssue({ code: 'custom', message: `duplicate column name "${column.name}"`, path: ['columns', index, 'name'] })
      seen.add(column.name)
    })
  })

export const templateSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/),
  title: z.string().min(1),
  description: z.string().min(1),
  schema: datasetSchema,
})

export const formatSchema = z.enum(['csv', 'json', 'ndjson'])
export const jobStatusSchema = z.enum(['queued', 'running', 'done', 'error', 'canceled'])

export const generateRequestSchema = z
  .strictObject({
    template: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be a template name such as "customers"').optional(),
    schema: datasetSchema.optional(),
    rows: z.int().min(1).max(1_000_000_000).default(1000),
    format: formatSchema.default('csv'),
    seed: z.int().min(0).max(MAX_SEED).optional(),
  })
  .superRefine((body, ctx) => {
    const given = [body.template, body.schema].filter(v => v !== undefined).length
    if (given !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of template or schema', path: given ? ['schema'] : ['template'] })
  })

export const jobIdSchema = z.uuid({ version: 'v4', message: 'must be a job id (lowercase UUID v4)' }).regex(/^[0-9a-f-]+$/, 'must be a job id (lowercase UUID v4)')
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
  seed: z.number(),
  template: z.string().nullable(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  bytes: z.number().nullable(),
  error: z.string().optional(),
})

export type Column = z.infer<typeof columnSchema>
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
  sha256: z.string().nullable(),
  attempts: z.number(),
})

export type JobRecord = z.infer<typeof jobRecordSchema>

export const jobListSchema = z.object({ jobs: z.array(jobSchema), next_cursor: z.string().nullable() })
export type JobList = z.infer<typeof jobListSchema>

export const previewSchema = z.object({ columns: z.array(z.string()), rows: z.array(z.array(z.union([z.string(), z.number(), z.boolean(), z.null()]))) })
export type Preview = z.infer<typeof previewSchema>

/** A template as listed by GET /templates. */
export interface TemplateSummary {
  name: string
  title: string
  description: string
  columns: { name: string; kind: ColumnKind }[]
}

const testResultSchema = z.object({ statistic: z.number(), p_value: z.number() })

/** One column in a schema job's quality report. */
export const columnReportSchema = z.object({
  kind: columnKindSchema,
  null_rate: z.object({ declared: z.number(), observed: z.number() }),
  /** Distinct values among the sampled non-null values. */
  distinct_ratio: z.number(),
  /** One-sample KS test of the sample against the declared distribution. */
  ks: testResultSchema.extend({ sample_size: z.number() }).optional(),
  summary: z.object({ mean: z.number(), sd: z.number(), min: z.number(), max: z.number() }).optional(),
  /** Sample histogram beside the counts the declared distribution expects in the same bins. */
  histogram: z.object({ edges: z.array(z.number()), observed: z.array(z.number()), expected: z.array(z.number()) }).optional(),
})

export const categoricalReportSchema = z.object({
  declared: z.record(z.string(), z.number()),
  observed: z.record(z.string(), z.number()),
  tv_distance: z.number(),
  chi_square: testResultSchema.extend({ df: z.number() }),
})

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
  privacy_lite: z.object({ sample_size: z.number(), duplicate_rows: z.number(), duplicate_rate: z.number() }),
})

export type TestResult = z.infer<typeof testResultSchema>
export type ColumnReport = z.infer<typeof columnReportSchema>
export type CategoricalReport = z.infer<typeof categoricalReportSchema>
export type SchemaJobMetrics = z.infer<typeof schemaJobMetricsSchema>
