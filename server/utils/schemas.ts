import type { GenerationSchema, Format, GenerateRequest } from '#shared/schema'
import { withTypes } from '~~/engine/dataset/profile'

/**
 * The schema a generation request asks for (a template's, or the inline one), checked for these rows
 * and seed by a worker thread (engine/run/check.ts): problems zod cannot see are 400s on their field.
 */
export async function resolveSchema(request: GenerateRequest, seed: number): Promise<GenerationSchema> {
  let schema: GenerationSchema
  if (request.template !== undefined) {
    const template = await findTemplate(request.template)
    if (!template) throw badRequest([{ path: 'template', message: `unknown template "${request.template}" (GET /templates lists them)` }])
    schema = template.schema
  }
  else if (request.source !== undefined) {
    const { dataset: id, columns: types } = request.source
    const [dataset, model] = await Promise.all([getDataset(id), getDatasetModel(id)])
    if (!dataset) throw badRequest([{ path: 'source.dataset', message: `unknown dataset "${id}" (GET /datasets lists them)` }])
    if (!model) throw badRequest([{ path: 'source.dataset', message: `the model fitted to dataset "${id}" is missing or unreadable (quarantined at boot: see the server log); upload the file again` }])
    schema = model
    if (types && Object.keys(types).length) {
      const names = new Set(dataset.columns.map(c => c.name))
      const unknown = Object.keys(types).filter(name => !names.has(name))
      if (unknown.length) throw badRequest(unknown.map(name => ({ path: `source.columns.${name}`, message: `unknown column "${name}" (the dataset has ${[...names].map(n => `"${n}"`).join(', ')})` })))
      // The stored model was fitted with the inferred types: refit with the ones asked.
      schema = await useJobRunner().engine.fit(await datasetFile(id), withTypes(dataset, types))
    }
  }
  else schema = request.schema!
  await checkSchema(schema, request.rows, seed, request.format)
  return schema
}

/**
 * The engine's check of a schema (engine/run/check.ts, in a worker thread) for these rows, seed and
 * format: what zod cannot see (an unknown faker method, a cycle, a bad expression) is a 400 naming
 * the field (`schema.…`, as in the request bodies of POST /generate and POST /templates).
 */
export async function checkSchema(schema: GenerationSchema, rows: number, seed: number, format: Format): Promise<void> {
  let issues
  try {
    issues = await useJobRunner().engine.check(schema, rows, seed, format)
  }
  catch (error) {
    // The server is shutting down (a 503 from the runner), or the worker died on this schema.
    if (isError(error)) throw error
    const message = error instanceof Error ? error.message : String(error)
    throw badRequest([{ path: 'schema', message: `the schema could not be checked: ${message}` }])
  }
  if (issues.length) throw badRequest(issues.map(i => ({ path: i.path.join('.'), message: i.message })))
}
