/**
 * GET /jobs/:id/events — the job as server-sent events: one `data:` message with the job (as GET
 * /jobs/:id shows it) now and whenever it changes, read from the job store every half second; the
 * stream ends after the message with a final status.
 */
import { idParamsSchema, type Job } from '#shared/schema'

const INTERVAL_MS = 500

export default defineEventHandler(async (event) => {
  const { id } = validParams(event, idParamsSchema)
  if (!(await getJob(id))) throw notFound('job')
  const stream = createEventStream(event)
  let last = ''
  let timer: ReturnType<typeof setTimeout> | undefined
  let closed = false
  const tick = async () => {
    const record = await getJob(id)
    if (closed) return
    if (!record) return stream.close()
    const job = publicJob(record) satisfies Job
    const message = JSON.stringify(job)
    if (message !== last) await stream.push(message)
    last = message
    if (job.status === 'queued' || job.status === 'running') timer = setTimeout(run, INTERVAL_MS)
    else await stream.close()
  }
  // A failed read ends the stream; the client falls back to polling GET /jobs/:id.
  const run = () => void tick().catch(() => stream.close())
  stream.onClosed(() => {
    closed = true
    clearTimeout(timer)
  })
  run()
  return stream.send()
})
