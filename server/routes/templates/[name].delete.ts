/** DELETE /templates/:name — removes a custom template (204); shipped ones cannot be deleted (403). */
import { templateParamsSchema } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const { name } = validParams(event, templateParamsSchema)
  const template = await findTemplate(name)
  if (!template) throw notFound('template')
  if (!template.custom) throw createError({ statusCode: 403, statusMessage: 'Forbidden', message: 'shipped templates cannot be deleted' })
  await removeCustomTemplate(name)
  setResponseStatus(event, 204, 'No Content')
  return null
})
