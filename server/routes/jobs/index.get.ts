/** GET /jobs — the jobs, newest first, a page at a time (`limit`, `cursor` from `next_cursor`). */
import { jobsQuerySchema, type JobList } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const { limit, cursor } = validQuery(event, jobsQuerySchema)
  return (await jobListPage(cursor, limit)) satisfies JobList
})
