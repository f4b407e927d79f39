/**
 * GET /jobs/:id/schema — the schema the job ran with, resolved (a template's or a dataset model's as
 * they were then): send it back as `schema`, with the job's `seed`, to get the same bytes again.
 */
import { idParamsSchema, type GenerationSchema } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const { id } = validParams(event, idParamsSchema)
  const job = await getJob(id)
  if (!job) throw notFound('job')
  return job.schema satisfies GenerationSchema
})
