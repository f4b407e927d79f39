/** Jobs: what POST /generate takes and answers, a job as the API shows it and as it is stored. */
import { z } from 'zod'
import { generationSchema, type GenerationSchema } from './language.ts'
import { inferredTypeSchema } from './datasets.ts'
import { templateNameSchema } from './templates.ts'
import { formatSchema } from '../formats.ts'

export { formatSchema }

/** Largest seed accepted: any non-negative safe integer, so seeds from other tools fit. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER

export const jobStatusSchema = z.enum(['queued', 'running', 'done', 'error', 'canceled'])
export type Format = z.infer<typeof formatSchema>
export type JobStatus = z.infer<typeof jobStatusSchema>

const sqlIdentifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a SQL identifier (letters, digits, _)')

export const generateRequestSchema = z
  .strictObject({
    template: templateNameSchema.optional(),
    schema: generationSchema.optional(),
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
export type GenerateRequest = z.infer<typeof generateRequestSchema>

/** POST /generate's answer (202, with `Location: /jobs/{id}`). */
export const generateAcceptedSchema = z.object({ job_id: z.string(), status: z.literal('queued') })
export type GenerateAccepted = z.infer<typeof generateAcceptedSchema>

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
export type Job = z.infer<typeof jobSchema>

/** A job as persisted: the public fields plus what a rerun needs (the resolved schema). */
export const jobRecordSchema = jobSchema.extend({
  schema: generationSchema,
  attempts: z.number(),
})

export type JobRecord = z.infer<typeof jobRecordSchema>

/**
 * A job record as read back from the store. Its schema was fully checked when the job was accepted
 * (and the worker compiles it again before running it), so reads check only its outline: the full
 * check costs about 0.2 ms a record, paid on every status poll and for every record GET /jobs lists.
 */
export const storedJobRecordSchema = jobRecordSchema.extend({
  schema: z.custom<GenerationSchema>(value => !!value && typeof value === 'object' && Array.isArray((value as { columns?: unknown }).columns), 'must be a schema with columns'),
})

export const jobListSchema = z.object({ jobs: z.array(jobSchema), next_cursor: z.string().nullable() })
export type JobList = z.infer<typeof jobListSchema>

export const previewSchema = z.object({ columns: z.array(z.string()), rows: z.array(z.array(z.union([z.string(), z.number(), z.boolean(), z.null()]))) })
export type Preview = z.infer<typeof previewSchema>
