/**
 * POST /datasets — uploads a real CSV sample as the raw body (Content-Type: text/csv) or as the one
 * file of a multipart form (a browser's upload), streamed to disk with a size limit, then profiled
 * in a worker thread: 201 with its rows and column types.
 */
import { randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { generationSchema, type DatasetRecord } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const type = (getRequestHeader(event, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (!CSV_UPLOAD_TYPES.includes(type) && type !== 'multipart/form-data') {
    throw createError({ statusCode: 415, statusMessage: 'Unsupported Media Type', message: 'send the CSV file as the request body with Content-Type: text/csv, or as the file of a multipart/form-data upload' })
  }
  const id = randomUUID()
  const path = await datasetFile(id)
  const { bytes, filename } = await receiveUpload(event, path, Number(useRuntimeConfig().maxUploadBytes))
  const result = await useJobRunner().profile(path).catch(async (error: unknown) => {
    // The server is shutting down (a 503), or the profiler failed: keep no file nobody can reach.
    await rm(path, { force: true })
    throw error
  })
  // A model the schema language cannot hold would only fail later, as an "unknown dataset".
  const model = result.ok ? generationSchema.safeParse(result.model) : undefined
  if (!result.ok || !model?.success) {
    await rm(path, { force: true })
    const issues = !result.ok
      ? [{ path: '(body)', message: result.message }]
      : model!.error!.issues.map(issue => ({ path: '(body)', message: `the model fitted to this file is not usable: ${issue.path.join('.')}: ${issue.message}` }))
    throw badRequest(issues, 'Unusable CSV')
  }
  const name = (getRequestHeader(event, 'x-filename') ?? filename)?.slice(0, 200) ?? null
  const record: DatasetRecord = { dataset_id: id, name, bytes, created_at: new Date().toISOString(), ...result.profile }
  await saveDatasetModel(id, model.data)
  await saveDataset(record)
  setResponseStatus(event, 201, 'Created')
  setResponseHeader(event, 'Location', `/datasets/${id}`)
  return record satisfies DatasetRecord
})
