/**
 * DELETE /jobs/:id — cancels a queued or running job (200 with the job, now `canceled`), or deletes a
 * finished job and its files (204).
 */
import { idParamsSchema, type Job } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const { id } = validParams(event, idParamsSchema)
  const job = await getJob(id)
  if (!job) throw notFound('job')
  if (job.status === 'queued' || job.status === 'running') {
    const runner = useJobRunner()
    const stopped = await runner.cancel(id)
    const after = await getJob(id)
    // A job that was not running (still queued, or left `running` by a stopped process) has no run
    // to record its cancellation; one that finished meanwhile keeps its status.
    if (after && (after.status === 'queued' || (!stopped && after.status === 'running'))) await saveJob({ ...after, status: 'canceled', finished_at: new Date().toISOString() })
    const canceled = await getJob(id)
    if (!canceled) throw notFound('job')
    return publicJob(canceled) satisfies Job
  }
  // The record goes first, so no reader finds a done job whose files are gone.
  await removeJob(id)
  await removeArtifacts(id, job.format, job.gzip)
  setResponseStatus(event, 204, 'No Content')
  return null
})
