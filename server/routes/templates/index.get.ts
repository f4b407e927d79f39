/** GET /templates — the shipped templates, then the custom ones (`custom: true`): name, title, description and columns. */
import type { TemplateList } from '#shared/schema'

export default defineEventHandler(async () => {
  return { templates: await listTemplates() } satisfies TemplateList
})
