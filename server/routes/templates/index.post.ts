/**
 * POST /templates — saves a custom template `{ name, title, description, schema }` in the data folder:
 * 201 when new, 200 when it replaces a custom one; 409 for a shipped template's name; 400 naming the
 * field for a schema the engine refuses (unknown faker method, a cycle), as POST /generate would.
 */
import { templateSchema, type Template } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const template = await validBody(event, templateSchema)
  if ((await getTemplates()).has(template.name)) {
    throw createError({ statusCode: 409, statusMessage: 'Conflict', message: `"${template.name}" is a shipped template: choose another name`, data: { issues: [{ path: 'name', message: 'is the name of a shipped template' }] } })
  }
  // Checked as POST /generate checks it, so a saved template always generates (for 1 row here: the
  // rows come with each request, which checks again what depends on them).
  await checkSchema(template.schema, 1, 0, 'csv')
  const replaced = await saveCustomTemplate(template)
  setResponseStatus(event, replaced ? 200 : 201, replaced ? 'OK' : 'Created')
  setResponseHeader(event, 'Location', `/templates/${template.name}`)
  return { ...template, custom: true } satisfies Template & { custom: true }
})
