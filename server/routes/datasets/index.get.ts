/** GET /datasets — the uploaded samples, newest first. */
import type { DatasetRecord } from '#shared/schema'

export default defineEventHandler(async () => {
  return { datasets: await listDatasets() } satisfies { datasets: DatasetRecord[] }
})
