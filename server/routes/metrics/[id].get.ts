/** GET /metrics/:id — the quality report of a finished job ({ utility, categoricals, privacy_lite, ... }). */
import { schemaJobMetricsSchema, type SchemaJobMetrics } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const job = await requireFinishedJob(event)
  return schemaJobMetricsSchema.parse(await readJson(await sidecarPath(job.job_id, 'metrics'))) satisfies SchemaJobMetrics
})
