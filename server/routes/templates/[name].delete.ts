/** DELETE /templates/:name — removes a custom template (204); shipped ones cannot be deleted (403). */
import { templateParamsSchema } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const { name } = validParams(event, templateParamsSchema)
  await deleteCustomTemplate(name)
  setResponseStatus(event, 204, 'No Content')
  return null
})
