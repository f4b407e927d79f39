import { generationSchema, type CellValue, type GenerationSchema, type GenerationSchemaInput } from '#shared/schema'
import { compileSchema, type CompiledSchema } from '~~/engine/schema/columns'
import { RowRandom } from '~~/engine/schema/random'

/** A schema parsed like the API parses it (defaults filled in). */
export const schemaOf = (input: GenerationSchemaInput): GenerationSchema => generationSchema.parse(input)

/** One column of every kind, with text that needs CSV quoting. */
export const everyKind: GenerationSchema = schemaOf({
  locale: 'en',
  columns: [
    { name: 'id', kind: 'sequence', start: 10, step: 5 },
    { name: 'uid', kind: 'uuid' },
    { name: 'first_name', kind: 'faker', method: 'person.firstName' },
    { name: 'age', kind: 'integer', min: 18, max: 90, distribution: { type: 'normal', mean: 40, sd: 12 } },
    { name: 'score', kind: 'float', min: 0, max: 1, decimals: 4 },
    { name: 'active', kind: 'boolean', probability: 0.3 },
    { name: 'label', kind: 'categorical', categories: [{ value: 'plain', weight: 2 }, { value: 'comma, inside', weight: 1 }, { value: 'say "hi"\nnew line', weight: 1 }, { value: '', weight: 1 }] },
    { name: 'seen_at', kind: 'datetime', start: '2024-01-01T00:00:00Z', end: '2024-12-31T23:59:59Z' },
    { name: 'note', kind: 'faker', method: 'lorem.sentence', null_rate: 0.25 },
  ],
})

/** Generates `n` rows of a schema in-process; returns every column (hidden ones too) by name. */
export function generateColumns(schema: GenerationSchema, n: number, seed: number): { compiled: CompiledSchema; column(name: string): CellValue[] } {
  const compiled = compileSchema(schema, { rows: n, seed })
  const rng = new RowRandom(seed)
  const cells = new Array<CellValue>(schema.columns.length)
  const byColumn = schema.columns.map(() => [] as CellValue[])
  for (let row = 0; row < n; row++) {
    compiled.fillRow(rng, row, cells)
    cells.forEach((v, i) => byColumn[i]!.push(v))
  }
  return { compiled, column: name => byColumn[schema.columns.findIndex(c => c.name === name)]! }
}
