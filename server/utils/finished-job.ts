import { idParamsSchema, type JobRecord } from '#shared/schema'
import type { H3Event } from 'h3'

/**
 * The job named by the route's `:id`, which must be done and not expired: 400 bad id, 404 unknown,
 * 409 not done, 410 its files expired (NUXT_ARTIFACT_TTL).
 */
export async function requireFinishedJob(event: H3Event): Promise<JobRecord> {
  const { id } = validParams(event, idParamsSchema)
  const job = await getJob(id)
  if (!job) throw notFound('job')
  if (job.status !== 'done') throw notReady(job.status)
  if (isExpired(job)) throw gone(`the job's files expired at ${job.expires_at ?? job.expired_at} (NUXT_ARTIFACT_TTL) and were deleted`)
  return job
}
