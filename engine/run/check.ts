/**
 * Checks what zod cannot: the locale exists, faker methods exist and run with their arguments,
 * references between columns resolve without cycles, correlation matrices are valid, unique columns
 * have enough values, no cell's or row's worst-case width is over MAX_CELL_CHARS or MAX_ROW_CHARS
 * (engine/schema/columns.ts); then generates the first rows and makes every faker call once, so a schema
 * that fails while generating is reported before any job runs.
 */
import type { CellValue, GenerationSchema, Format } from '../../shared/schema.ts'
import { compiledFor } from './chunk.ts'
import { SchemaError, tryFakerCalls } from '../schema/columns.ts'
import { loadLocale } from '../schema/locales.ts'
import { RowRandom } from '../schema/random.ts'

export interface SchemaIssue {
  path: (string | number)[]
  message: string
}

/** Rows generated up front by the check. */
const TRIAL_ROWS = 10

/**
 * The problems of a schema for `rows` rows from `seed` (none: it can generate). Compiled as a run in
 * `format` compiles it, so the run reuses this compile (compiledFor).
 */
export async function checkSchema(schema: GenerationSchema, rows: number, seed: number, format: Format): Promise<SchemaIssue[]> {
  if (!(await loadLocale(schema.locale))) return [{ path: ['schema', 'locale'], message: `unknown faker locale "${schema.locale}"` }]
  try {
    const compiled = compiledFor({ schema, rows, seed, format })
    const rng = new RowRandom(seed)
    const cells = new Array<CellValue>(schema.columns.length)
    for (let row = 0; row < Math.min(rows, TRIAL_ROWS); row++) compiled.fillRow(rng, row, cells)
    // Every faker call once, also those the trial rows skipped: each must run within the check's time limit.
    tryFakerCalls(schema, seed)
    return []
  }
  catch (error) {
    if (error instanceof SchemaError) return error.issues
    return [{ path: ['schema'], message: `the schema cannot generate rows: ${error instanceof Error ? error.message : String(error)}` }]
  }
}
