/**
 * The shipped templates: JSON files in `templates/`, bundled as Nitro server assets and validated
 * with the shared zod schema when first loaded. A broken template fails loudly, naming the file.
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

/** Every template, by name (shipped files never change while the server runs). */
export function getTemplates(): Promise<Map<string, Template>> {
  loaded ??= load().catch((error) => {
    loaded = undefined
    throw error
  })
  return loaded
}

export function summarizeTemplate(template: Template): TemplateSummary {
  const { name, title, description, schema } = template
  // The columns the output will have (hidden helper columns are not written).
  return { name, title, description, columns: schema.columns.filter(c => !c.hidden).map(({ name, kind }) => ({ name, kind })) }
}
