/** GET /templates — the shipped templates: name, title, description and columns. */
import type { TemplateList } from '#shared/schema'

export default defineEventHandler(async () => {
  const templates = await getTemplates()
  return { templates: [...templates.values()].map(summarizeTemplate) } satisfies TemplateList
})
