import { compileSchema, SchemaError } from '~~/engine/columns'
import { RowRandom } from '~~/engine/random'
import type { CellValue, DatasetSchema, GenerateRequest } from '#shared/schema'

/** Rows generated up front, so a schema that fails at generation time is a 400 rather than a failed job. */
const TRIAL_ROWS = 10

/**
 * Checks what zod cannot (faker methods and their arguments, references between columns, cycles,
 * correlation matrices, value spaces of unique columns) by compiling the schema for this request and
 * generating its first rows. Problems are 400s on the offending field.
 */
export function assertSchemaRuns(schema: DatasetSchema, rows: number, seed: number): void {
  try {
    const compiled = compileSchema(schema, { rows, seed })
    const rng = new RowRandom(seed)
    const cells = new Array<CellValue>(schema.columns.length)
    for (let row = 0; row < Math.min(rows, TRIAL_ROWS); row++) compiled.fillRow(rng, row, cells)
  }
  catch (error) {
    if (error instanceof SchemaError) throw badRequest(error.issues.map(i => ({ path: i.path.join('.'), message: i.message })))
    throw badRequest([{ path: 'schema', message: `the schema cannot generate rows: ${error instanceof Error ? error.message : String(error)}` }])
  }
}

/** The schema a generation request asks for (a template's, or the inline one), checked for these rows and seed. */
export async function resolveSchema(request: GenerateRequest, seed: number): Promise<DatasetSchema> {
  let schema: DatasetSchema
  if (request.template !== undefined) {
    const template = (await getTemplates()).get(request.template)
    if (!template) throw badRequest([{ path: 'template', message: `unknown template "${request.template}" (GET /templates lists them)` }])
    schema = template.schema
  }
  else schema = request.schema!
  assertSchemaRuns(schema, request.rows, seed)
  return schema
}
