/** GET /jobs — the jobs, newest first, a page at a time (`limit`, `cursor` from `next_cursor`). */
import { jobsQuerySchema, type JobList } from '#shared/schema'

const encodeCursor = (job: { created_at: string; job_id: string }) => Buffer.from(`${job.created_at}|${job.job_id}`).toString('base64url')

function decodeCursor(cursor: string) {
  const [created_at, job_id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|')
  if (!created_at || !job_id || Number.isNaN(Date.parse(created_at))) throw badRequest([{ path: 'cursor', message: 'is not a cursor from next_cursor' }])
  return { created_at, job_id }
}

export default defineEventHandler(async (event) => {
  const { limit, cursor } = validQuery(event, jobsQuerySchema)
  const after = cursor === undefined ? undefined : decodeCursor(cursor)
  const { jobs, more } = await listJobPage(after, limit)
  return { jobs, next_cursor: more && jobs.length ? encodeCursor(jobs.at(-1)!) : null } satisfies JobList
})
