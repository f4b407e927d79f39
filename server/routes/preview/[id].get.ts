/** GET /preview/:id?n=20 — the first n rows of a finished job's output, as values. */
import { previewQuerySchema, previewSchema, type Preview } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const job = await requireFinishedJob(event)
  const { n } = validQuery(event, previewQuerySchema)
  const preview = previewSchema.parse(await readJson(await sidecarPath(job.job_id, 'preview')))
  return { columns: preview.columns, rows: preview.rows.slice(0, n) } satisfies Preview
})
