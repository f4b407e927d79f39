/** GET /download/:id — the finished file, streamed as an attachment with its length and ETag. */
import { createReadStream } from 'node:fs'
import { fileInfo } from '~~/engine/formats'

export default defineEventHandler(async (event) => {
  const job = await requireFinishedJob(event)
  const etag = `"${job.sha256}"`
  setResponseHeader(event, 'ETag', etag)
  if (getRequestHeader(event, 'if-none-match') === etag) {
    setResponseStatus(event, 304, 'Not Modified')
    return null
  }
  const { extension, contentType } = fileInfo(job.format, job.gzip)
  const name = `${job.template ?? 'dataset'}-${job.job_id.slice(0, 8)}.${extension}`
  setResponseHeaders(event, {
    'Content-Type': contentType,
    'Content-Disposition': `attachment; filename="${name}"`,
    'Content-Length': String(job.bytes),
  })
  return sendStream(event, createReadStream(await artifactPath(job.job_id, job.format, job.gzip)))
})
