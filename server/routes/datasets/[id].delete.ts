/** DELETE /datasets/:id — removes an uploaded sample and its file (204). */
import { idParamsSchema } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const { id } = validParams(event, idParamsSchema)
  if (!(await getDataset(id))) throw notFound('dataset')
  await removeDataset(id)
  setResponseStatus(event, 204, 'No Content')
  return null
})
