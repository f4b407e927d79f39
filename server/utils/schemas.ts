import type { DatasetSchema, GenerateRequest } from '#shared/schema'

/**
 * The schema a generation request asks for (a template's, or the inline one), checked for these rows
 * and seed by a worker thread (engine/validate.ts): problems zod cannot see are 400s on their field.
 */
export async function resolveSchema(request: GenerateRequest, seed: number): Promise<DatasetSchema> {
  let schema: DatasetSchema
  if (request.template !== undefined) {
    const template = await findTemplate(request.template)
    if (!template) throw badRequest([{ path: 'template', message: `unknown template "${request.template}" (GET /templates lists them)` }])
    schema = template.schema
  }
  else if (request.source !== undefined) {
    const model = await getDatasetModel(request.source.dataset)
    if (!model) throw badRequest([{ path: 'source.dataset', message: `unknown dataset "${request.source.dataset}" (GET /datasets lists them)` }])
    schema = model
  }
  else schema = request.schema!
  let issues
  try {
    issues = await useJobRunner().check(schema, request.rows, seed)
  }
  catch (error) {
    // The check itself failed: the worker died on this schema, or the server is shutting down.
    const message = error instanceof Error ? error.message : String(error)
    if (/pool is closed/.test(message)) throw createError({ statusCode: 503, statusMessage: 'Service Unavailable', message: 'the server is shutting down' })
    throw badRequest([{ path: 'schema', message: `the schema could not be checked: ${message}` }])
  }
  if (issues.length) throw badRequest(issues.map(i => ({ path: i.path.join('.'), message: i.message })))
  return schema
}
