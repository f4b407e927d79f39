/**
 * POST /datasets — uploads a real CSV sample as the raw body (Content-Type: text/csv) or as the one
 * file of a multipart form (a browser's upload), streamed to disk with a size limit, then profiled
 * in a worker thread: 201 with its rows and column types.
 */
import type { DatasetRecord } from '#shared/schema'

export default defineEventHandler(async (event) => {
  requireCsvUpload(event)
  const record = await createDataset(event, Number(useRuntimeConfig().maxUploadBytes))
  setResponseStatus(event, 201, 'Created')
  setResponseHeader(event, 'Location', `/datasets/${record.dataset_id}`)
  return record satisfies DatasetRecord
})
