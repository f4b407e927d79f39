/** GET /metrics/:id — the quality report of a finished job ({ utility, categoricals, privacy_lite, ... }). */
export default defineApiHandler(async (event) => {
  const job = await requireFinishedJob(event)
  return await readJson(await sidecarPath(job.job_id, 'metrics'))
})
