import { compileSchema, SchemaError } from '~~/engine/columns'
import { RowRandom } from '~~/engine/random'
import type { CellValue, DatasetSchema, GenerateRequest } from '#shared/schema'

/**
 * Checks what zod cannot: that every faker method exists and runs with its arguments, by compiling
 * the schema and generating a first row. Problems are 400s on the offending field.
 */
export function assertSchemaRuns(schema: DatasetSchema): void {
  try {
    const compiled = compileSchema(schema)
    compiled.fillRow(new RowRandom(0), 0, new Array<CellValue>(schema.columns.length))
  }
  catch (error) {
    if (error instanceof SchemaError) throw badRequest(error.issues.map(i => ({ path: i.path.join('.'), message: i.message })))
    throw badRequest([{ path: 'schema', message: `the schema cannot generate rows: ${error instanceof Error ? error.message : String(error)}` }])
  }
}

/** The schema a generation request asks for: a template's, or the inline one after checking it runs. */
export async function resolveSchema(request: GenerateRequest): Promise<DatasetSchema> {
  if (request.template !== undefined) {
    const template = (await getTemplates()).get(request.template)
    if (!template) throw badRequest([{ path: 'template', message: `unknown template "${request.template}" (GET /templates lists them)` }])
    return template.schema
  }
  const schema = request.schema!
  assertSchemaRuns(schema)
  return schema
}
