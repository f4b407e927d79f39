/**
 * GET /metrics/:id — the quality report of a finished job ({ utility, categoricals, privacy_lite, ... });
 * statistics that are undefined (a law that cannot be evaluated, a score over no pairs) are null.
 */
export default defineEventHandler(async (event) => {
  const job = await requireFinishedJob(event)
  return finishedMetrics(job.job_id)
})
