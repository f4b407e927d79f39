/**
 * One chunk of rows: generated, encoded, and summarised for the evaluator. Pure: the same spec and
 * row range give the same result in any thread, which is what makes the output deterministic.
 */
import type { CellValue, DatasetSchema, Format } from '../shared/schema.ts'
import { compileSchema } from './columns.ts'
import { rowEncoder } from './formats.ts'
import { RowRandom, rowHash, seedWords } from './random.ts'

/** What a generation run is asked for: enough to produce any chunk of it. */
export interface GenerationSpec {
  schema: DatasetSchema
  rows: number
  format: Format
  seed: number
  /** Rows the evaluator keeps (a seeded sample of the whole output). */
  sampleSize: number
  /** The first rows kept as values for the preview. */
  previewRows: number
}

export interface SampledRow {
  row: number
  priority: number
  cells: CellValue[]
}

export interface ChunkResult {
  start: number
  count: number
  /** The chunk's rows, encoded, UTF-8. */
  bytes: Uint8Array
  /** Nulls per column, counted over every row of the chunk. */
  nulls: number[]
  /** Per categorical column index: count per category (schema order); per boolean column: [true, false]. */
  counts: Record<number, number[]>
  /** Rows picked for the evaluator's sample. */
  sample: SampledRow[]
  /** Values of the rows whose index is below `previewRows`. */
  preview: CellValue[][]
}

/** Salt for the sample's priorities, so they are independent of the rows' own streams. */
const SAMPLE_SALT = 0x5eed5a11

/** Over-sampling factor: chunks send a few more candidates than needed, the merge keeps the lowest. */
const SAMPLE_SLACK = 1.25

/** Compiles the spec once and returns a function producing any chunk of it. */
export function createChunkGenerator(spec: GenerationSpec): (start: number, count: number) => ChunkResult {
  const compiled = compileSchema(spec.schema)
  const encoder = rowEncoder(spec.format, compiled.names)
  const rng = new RowRandom(spec.seed)
  const [seedLo, seedHi] = seedWords(spec.seed)
  const threshold = Math.min(1, (SAMPLE_SLACK * spec.sampleSize) / spec.rows)
  const columns = spec.schema.columns
  const categoryIndex = new Map<number, Map<CellValue, number>>()
  columns.forEach((column, i) => {
    if (column.kind === 'categorical') categoryIndex.set(i, new Map(column.categories.map((c, k) => [c.value, k])))
  })
  const encoder8 = new TextEncoder()

  return (start, count) => {
    const nulls = new Array<number>(columns.length).fill(0)
    const counts: Record<number, number[]> = {}
    columns.forEach((column, i) => {
      if (column.kind === 'categorical') counts[i] = new Array<number>(column.categories.length).fill(0)
      else if (column.kind === 'boolean') counts[i] = [0, 0]
    })
    const sample: SampledRow[] = []
    const preview: CellValue[][] = []
    const cells = new Array<CellValue>(columns.length)
    const parts: string[] = []
    for (let row = start; row < start + count; row++) {
      compiled.fillRow(rng, row, cells)
      for (let i = 0; i < cells.length; i++) {
        const value = cells[i]!
        if (value === null) nulls[i]!++
        else if (typeof value === 'boolean' && counts[i]) counts[i]![value ? 0 : 1]!++
        else if (categoryIndex.has(i)) counts[i]![categoryIndex.get(i)!.get(value)!]!++
      }
      parts.push(encoder.encodeRow(cells))
      const priority = rowHash(seedLo, seedHi, row, SAMPLE_SALT)
      if (priority < threshold) sample.push({ row, priority, cells: cells.slice() })
      if (row < spec.previewRows) preview.push(cells.slice())
    }
    return { start, count, bytes: encoder8.encode(parts.join(encoder.separator)), nulls, counts, sample, preview }
  }
}
