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
