/** POST /generate — validates a generation request and queues a job: 202 with its id and Location. */
import { randomInt, randomUUID } from 'node:crypto'
import { generateRequestSchema, type GenerateAccepted, type JobRecord } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const request = await validBody(event, generateRequestSchema)
  const { maxRows } = useRuntimeConfig()
  if (request.rows > maxRows) throw badRequest([{ path: 'rows', message: `must be at most ${maxRows} on this server` }])
  // A seed is always recorded, so any job can be reproduced byte for byte.
  const seed = request.seed ?? randomInt(0, 2 ** 48 - 1)
  const schema = await resolveSchema(request, seed)
  const job: JobRecord = {
    job_id: randomUUID(),
    status: 'queued',
    progress: 0,
    rows: request.rows,
    rows_written: 0,
    format: request.format,
    gzip: request.gzip,
    escape_formulas: request.escape_formulas,
    table: request.format === 'sql' ? (request.table ?? request.template ?? 'dataset') : null,
    seed,
    template: request.template ?? null,
    dataset: request.source?.dataset ?? null,
    created_at: new Date().toISOString(),
    started_at: null,
    finished_at: null,
    bytes: null,
    sha256: null,
    expires_at: null,
    expired_at: null,
    schema,
    ...(request.source?.columns ? { source_columns: request.source.columns } : {}),
    attempts: 0,
  }
  await useJobRunner().submit(job)
  setResponseStatus(event, 202, 'Accepted')
  setResponseHeader(event, 'Location', `/jobs/${job.job_id}`)
  return { job_id: job.job_id, status: 'queued' } satisfies GenerateAccepted
})
