/** POST /generate — validates a generation request and queues a job: 202 with its id and Location. */
import { generateRequestSchema, type GenerateAccepted } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const request = await validBody(event, generateRequestSchema)
  const { maxRows } = useRuntimeConfig()
  if (request.rows > maxRows) throw badRequest([{ path: 'rows', message: `must be at most ${maxRows} on this server` }])
  const job = await acceptJob(request)
  setResponseStatus(event, 202, 'Accepted')
  setResponseHeader(event, 'Location', `/jobs/${job.job_id}`)
  return { job_id: job.job_id, status: 'queued' } satisfies GenerateAccepted
})
