/** GET /download/:id — the finished file, streamed as an attachment with its length and ETag. */
export default defineEventHandler(async (event) => {
  return sendArtifact(event, await requireFinishedJob(event))
})
