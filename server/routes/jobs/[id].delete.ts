/**
 * DELETE /jobs/:id — cancels a queued or running job (200 with the job, now `canceled`), or deletes a
 * finished job and its files (204).
 */
import { idParamsSchema, type Job } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const { id } = validParams(event, idParamsSchema)
  const canceled = await useJobRunner().queue.cancelOrDelete(id)
  if (canceled) return canceled satisfies Job
  setResponseStatus(event, 204, 'No Content')
  return null
})
