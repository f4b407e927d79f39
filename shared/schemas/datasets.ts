/** Datasets: uploaded real samples, the column types inferred from them and what GET /datasets shows. */
import { z } from 'zod'

/** The column types inferred from a real sample (see engine/dataset/profile.ts). */
export const inferredTypeSchema = z.enum(['id', 'integer', 'number', 'boolean', 'categorical', 'date', 'datetime', 'email', 'name', 'phone', 'address', 'text'])
/** What a column of a real sample holds. */
export type InferredType = z.infer<typeof inferredTypeSchema>

/** One column of an uploaded sample, as profiled. */
export const columnProfileSchema = z.object({
  name: z.string(),
  type: inferredTypeSchema,
  nulls: z.number(),
  /** Distinct non-null values (a lower bound when `distinct_capped`). */
  distinct: z.number(),
  distinct_capped: z.boolean(),
  examples: z.array(z.string()),
})
export type ColumnProfile = z.infer<typeof columnProfileSchema>

/** An uploaded real sample, as GET /datasets/:id shows it. */
export const datasetRecordSchema = z.object({
  dataset_id: z.string(),
  /** The file name the client gave (X-Filename header), if any. */
  name: z.string().nullable(),
  rows: z.number(),
  bytes: z.number(),
  delimiter: z.string(),
  created_at: z.string(),
  columns: z.array(columnProfileSchema),
})
export type DatasetRecord = z.infer<typeof datasetRecordSchema>
export const datasetListSchema = z.object({ datasets: z.array(datasetRecordSchema) })
export type DatasetList = z.infer<typeof datasetListSchema>
