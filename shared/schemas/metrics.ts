/** The quality reports of GET /metrics/{id}: the output against its declared schema, and against a fitted sample. */
import { z } from 'zod'
import { columnKindSchema } from './language.ts'

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

export type ColumnReport = z.infer<typeof columnReportSchema>
export type CategoricalReport = z.infer<typeof categoricalReportSchema>
export type SchemaJobMetrics = z.infer<typeof schemaJobMetricsSchema>
