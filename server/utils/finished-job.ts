import { idParamsSchema, type JobRecord } from '#shared/schema'
import type { H3Event } from 'h3'

/** The job named by the route's `:id`, which must be done: 400 bad id, 404 unknown, 409 not done. */
export async function requireFinishedJob(event: H3Event): Promise<JobRecord> {
  const { id } = validParams(event, idParamsSchema)
  const job = await getJob(id)
  if (!job) throw notFound('job')
  if (job.status !== 'done') throw notReady(job.status)
  return job
}
