/**
 * GET /jobs/:id/events — the job as server-sent events: one `data:` message with the job (as GET
 * /jobs/:id shows it) now and whenever it changes, read from the job store as soon as its record is
 * written (and every few seconds in any case); the stream ends after the message with a final status.
 */
import { idParamsSchema } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const { id } = validParams(event, idParamsSchema)
  return streamJobEvents(event, id)
})
