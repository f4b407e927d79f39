/** GET /templates/:name — one template with its full schema (accepted as-is as an inline `schema`). */
import { templateParamsSchema, type Template } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const { name } = validParams(event, templateParamsSchema)
  const template = await findTemplate(name)
  if (!template) throw notFound('template')
  return template satisfies Template & { custom: boolean }
})
