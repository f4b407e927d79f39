/**
 * GET /datasets/:id/model — the Gaussian copula fitted to the dataset, as a schema: send it back as an
 * inline `schema` (edited or not) to POST /generate, or keep it as a template.
 */
import { idParamsSchema, type GenerationSchema } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const { id } = validParams(event, idParamsSchema)
  const model = await getDatasetModel(id)
  if (!model) throw notFound('dataset')
  return model satisfies GenerationSchema
})
