/**
 * POST /templates — saves a custom template `{ name, title, description, schema }` in the data folder:
 * 201 when new, 200 when it replaces a custom one; 409 for a shipped template's name; 400 naming the
 * field for a schema the engine refuses (unknown faker method, a cycle), as POST /generate would.
 */
import { templateSchema, type Template } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const template = await validBody(event, templateSchema)
  const replaced = await createCustomTemplate(template)
  setResponseStatus(event, replaced ? 200 : 201, replaced ? 'OK' : 'Created')
  setResponseHeader(event, 'Location', `/templates/${template.name}`)
  return { ...template, custom: true } satisfies Template & { custom: true }
})
