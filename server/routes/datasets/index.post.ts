/**
 * POST /datasets — uploads a real CSV sample as the raw body (Content-Type: text/csv) or as the one
 * file of a multipart form (a browser's upload), streamed to disk with a size limit, then profiled
 * in a worker thread: 201 with its rows and column types.
 */
import { randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import type { DatasetRecord } from '#shared/schema'

const CSV_TYPES = /^(text\/(csv|plain|tab-separated-values)|application\/(csv|vnd\.ms-excel|octet-stream))\b/i

export default defineEventHandler(async (event) => {
  const type = getRequestHeader(event, 'content-type') ?? ''
  if (!CSV_TYPES.test(type) && !/^multipart\/form-data\b/i.test(type)) {
    throw createError({ statusCode: 415, statusMessage: 'Unsupported Media Type', message: 'send the CSV file as the request body with Content-Type: text/csv, or as the file of a multipart/form-data upload' })
  }
  const id = randomUUID()
  const path = await datasetFile(id)
  const { bytes, filename } = await receiveUpload(event, path, Number(useRuntimeConfig().maxUploadBytes))
  const result = await useJobRunner().profile(path)
  if (!result.ok) {
    await rm(path, { force: true })
    throw badRequest([{ path: '(body)', message: result.message }], 'Unusable CSV')
  }
  const name = (getRequestHeader(event, 'x-filename') ?? filename)?.slice(0, 200) ?? null
  const record: DatasetRecord = { dataset_id: id, name, bytes, created_at: new Date().toISOString(), ...result.profile }
  await saveDatasetModel(id, result.model)
  await saveDataset(record)
  setResponseStatus(event, 201, 'Created')
  setResponseHeader(event, 'Location', `/datasets/${id}`)
  return record satisfies DatasetRecord
})
