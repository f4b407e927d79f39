import { z } from 'zod'
import { fileInfo } from '~~/engine/encode/formats'
import { idParamsSchema, previewSchema, schemaJobMetricsSchema, type JobRecord, type Preview, type SchemaJobMetrics } from '#shared/schema'
import type { H3Event } from 'h3'

/**
 * The job named by the route's `:id`, which must be done and not expired: 400 bad id, 404 unknown,
 * 409 not done, 410 its files expired (NUXT_ARTIFACT_TTL).
 */
export async function requireFinishedJob(event: H3Event): Promise<JobRecord> {
  const { id } = validParams(event, idParamsSchema)
  const job = await getJob(id)
  if (!job) throw notFound('job')
  if (job.status !== 'done') throw notReady(job.status)
  if (isExpired(job)) throw gone(`the job's files expired at ${job.expires_at ?? job.expired_at} (NUXT_ARTIFACT_TTL) and were deleted`)
  return job
}

/** A report as stored, when it is an object at all: what an older version of the evaluator wrote. */
const storedReportSchema = z.record(z.string(), z.unknown())

/**
 * A finished job's quality report (410 when its file is gone). A report written by an older version
 * (fields since added or renamed) is served as it was stored, with a warning in the log, rather than
 * refused: the client asked for what is there.
 */
export async function finishedMetrics(id: string): Promise<SchemaJobMetrics | z.infer<typeof storedReportSchema>> {
  const raw = await readSidecar(id, 'metrics')
  const report = schemaJobMetricsSchema.safeParse(raw)
  if (report.success) return report.data
  const stored = storedReportSchema.safeParse(raw)
  if (!stored.success) throw new Error(`the metrics file of job ${id} is not a report`)
  console.warn(`[metrics] the report of job ${id} is not in today's shape (served as stored): ${report.error.issues.slice(0, 3).map(i => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  return stored.data
}

/** The first `n` preview rows of a finished job (410 when its file is gone). */
export async function finishedPreview(id: string, n: number): Promise<Preview> {
  // Only the rows asked for are read and checked.
  const preview = previewSchema.safeParse(await readPreview(id, n))
  if (!preview.success) throw new Error(`the preview file of job ${id} is not a preview: ${preview.error.message}`)
  return preview.data
}

/**
 * Sends a finished job's file as an attachment with its length and ETag (304 for a matching
 * If-None-Match; 410 when the file is gone). A HEAD request gets the headers without the file being read.
 */
export async function sendArtifact(event: H3Event, job: JobRecord): Promise<string | null | ReturnType<typeof sendStream>> {
  const etag = `"${job.sha256}"`
  setResponseHeader(event, 'ETag', etag)
  if (getRequestHeader(event, 'if-none-match') === etag) {
    setResponseStatus(event, 304, 'Not Modified')
    return null
  }
  const file = await openArtifact(job.job_id, job.format, job.gzip)
  const { extension, contentType } = fileInfo(job.format, job.gzip)
  const name = `${job.template ?? 'dataset'}-${job.job_id.slice(0, 8)}.${extension}`
  setResponseHeaders(event, {
    'Content-Type': contentType,
    'Content-Disposition': `attachment; filename="${name}"`,
    'Content-Length': String(job.bytes),
  })
  if (isHeadRequest(event)) {
    await file.close()
    return ''
  }
  const stream = file.createReadStream()
  // A client that goes away mid-download must not leave the file open (one descriptor per abort).
  event.node.res.once('close', () => stream.destroy())
  return sendStream(event, stream)
}
