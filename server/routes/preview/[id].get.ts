/** GET /preview/:id?n=20 — the first n rows of a finished job's output, as values. */
import { previewQuerySchema, type Preview } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const job = await requireFinishedJob(event)
  const { n } = validQuery(event, previewQuerySchema)
  return (await finishedPreview(job.job_id, n)) satisfies Preview
})
