/** GET /datasets/:id — one uploaded sample: rows and inferred column types. */
import { idParamsSchema, type DatasetRecord } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const { id } = validParams(event, idParamsSchema)
  const dataset = await getDataset(id)
  if (!dataset) throw notFound('dataset')
  return dataset satisfies DatasetRecord
})
