/**
 * The templates: shipped ones are JSON files in `templates/`, bundled as Nitro server assets and
 * validated with the shared zod schema when first loaded (a broken one fails loudly, naming the file);
 * custom ones are saved by users (POST /templates) under `<dataDir>/templates/`, atomically.
 */
import { templateSchema, type Template, type TemplateSummary } from '#shared/schema'

let loaded: Promise<Map<string, Template>> | undefined

async function load(): Promise<Map<string, Template>> {
  const assets = useStorage('assets:templates')
  const keys = (await assets.getKeys()).filter(key => key.endsWith('.json')).sort()
  const templates = new Map<string, Template>()
  for (const key of keys) {
    const parsed = templateSchema.safeParse(await assets.getItem(key))
    if (!parsed.success) throw new Error(`template ${key} is invalid: ${parsed.error.message}`)
    templates.set(parsed.data.name, parsed.data)
  }
  return templates
}

/** The shipped templates, by name (their files never change while the server runs). */
export function getTemplates(): Promise<Map<string, Template>> {
  loaded ??= load().catch((error) => {
    loaded = undefined
    throw error
  })
  return loaded
}

/** The custom templates' storage (nothing cached: every read sees the disk). */
const customStorage = () => dataStorage('custom-templates', 'templates')

/** A template saved by a user, or null. */
export async function getCustomTemplate(name: string): Promise<Template | null> {
  const parsed = templateSchema.safeParse(await customStorage().getItem(`${name}.json`))
  return parsed.success ? parsed.data : null
}

/** Every custom template, by name. */
async function customTemplates(): Promise<Template[]> {
  const keys = (await customStorage().getKeys()).filter(key => key.endsWith('.json')).sort()
  const templates = await Promise.all(keys.map(key => getCustomTemplate(key.slice(0, -'.json'.length))))
  return templates.filter(t => t !== null)
}

/** Saves (creates or replaces) a custom template; true when it replaced one. */
export async function saveCustomTemplate(template: Template): Promise<boolean> {
  const existed = (await getCustomTemplate(template.name)) !== null
  await customStorage().setItem(`${template.name}.json`, template)
  return existed
}

export async function removeCustomTemplate(name: string): Promise<void> {
  await customStorage().removeItem(`${name}.json`)
}

/**
 * POST /templates: saves a custom template after checking its schema as POST /generate would (a 400
 * naming the field); a 409 for a shipped template's name. True when it replaced a custom one.
 */
export async function createCustomTemplate(template: Template): Promise<boolean> {
  if ((await getTemplates()).has(template.name)) {
    throw createError({ statusCode: 409, statusMessage: 'Conflict', message: `"${template.name}" is a shipped template: choose another name`, data: { issues: [{ path: 'name', message: 'is the name of a shipped template' }] } })
  }
  // Checked as POST /generate checks it, so a saved template always generates (for 1 row here: the
  // rows come with each request, which checks again what depends on them).
  await checkSchema(template.schema, 1, 0, 'csv')
  return saveCustomTemplate(template)
}

/** DELETE /templates/{name}: removes a custom template; 404 when there is none, 403 for a shipped one. */
export async function deleteCustomTemplate(name: string): Promise<void> {
  const template = await findTemplate(name)
  if (!template) throw notFound('template')
  if (!template.custom) throw createError({ statusCode: 403, statusMessage: 'Forbidden', message: 'shipped templates cannot be deleted' })
  await removeCustomTemplate(name)
}

/** A template by name, shipped or custom (shipped names cannot be taken by custom ones). */
export async function findTemplate(name: string): Promise<(Template & { custom: boolean }) | null> {
  const shipped = (await getTemplates()).get(name)
  if (shipped) return { ...shipped, custom: false }
  const custom = await getCustomTemplate(name)
  return custom && { ...custom, custom: true }
}

/** The shipped templates, then the custom ones. */
export async function listTemplates(): Promise<TemplateSummary[]> {
  const shipped = [...(await getTemplates()).values()].map(t => summarizeTemplate(t, false))
  return [...shipped, ...(await customTemplates()).map(t => summarizeTemplate(t, true))]
}

export function summarizeTemplate(template: Template, custom: boolean): TemplateSummary {
  const { name, title, description, schema } = template
  // The columns the output will have (hidden helper columns are not written).
  return { name, title, description, custom, columns: schema.columns.filter(c => !c.hidden).map(({ name, kind }) => ({ name, kind })) }
}
