/** GET /jobs/:id — one job's status and progress. */
import { idParamsSchema, type Job } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const { id } = validParams(event, idParamsSchema)
  const job = await getJob(id)
  if (!job) throw notFound('job')
  return publicJob(job) satisfies Job
})
