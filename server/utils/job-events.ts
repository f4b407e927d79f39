/**
 * A job's server-sent events (GET /jobs/{id}/events): one `data:` message with the job (as GET
 * /jobs/{id} shows it) now and whenever it changes, read from the job store as soon as its record is
 * written (and every few seconds in any case); the stream ends after the message with a final status.
 */
import type { H3Event } from 'h3'
import type { Job } from '#shared/schema'

/** Reads between writes: a safety net only, every write of the record triggers a read. */
const INTERVAL_MS = 5000

/** Streams job `id`'s events to the client (404 when there is no such job; a HEAD gets the head only). */
export async function streamJobEvents(event: H3Event, id: string) {
  if (!(await getJob(id))) throw notFound('job')
  // HEAD: the head of the stream, without holding a stream open that sends nothing.
  if (isHeadRequest(event)) {
    setResponseHeader(event, 'Content-Type', 'text/event-stream')
    return ''
  }
  const stream = createEventStream(event)
  let last = ''
  let timer: ReturnType<typeof setTimeout> | undefined
  let closed = false
  /** A read is running, and another write came meanwhile: read again after it. */
  let reading = false
  let again = false
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
  const run = (): void => {
    if (closed) return
    if (reading) {
      again = true
      return
    }
    reading = true
    clearTimeout(timer)
    void tick().catch(() => stream.close()).finally(() => {
      reading = false
      if (again) {
        again = false
        run()
      }
    })
  }
  const unsubscribe = onJobChange(id, run)
  stream.onClosed(() => {
    closed = true
    clearTimeout(timer)
    unsubscribe()
  })
  run()
  return stream.send()
}
