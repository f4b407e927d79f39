/** GET /datasets — the uploaded samples, newest first. */
import type { DatasetList } from '#shared/schema'

export default defineEventHandler(async () => {
  return { datasets: await listDatasets() } satisfies DatasetList
})
