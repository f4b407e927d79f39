/**
 * One chunk of rows: generated, encoded, and summarised for the evaluator. Pure: the same spec and
 * row range give the same result in any thread, which is what makes the output deterministic.
 */
import type { CellValue, GenerationSchema, Format } from '../../shared/schema.ts'
import { FORMATS } from '../../shared/formats.ts'
import type { OutputColumn, ValueTable } from '../schema/cells.ts'
import { compileCached, type CompiledSchema } from '../schema/columns.ts'
import { fileFormat, type ChunkEncoder, type FileFormat } from '../encode/formats.ts'
import type { RowGroupMeta } from '../encode/parquet.ts'
import { RowRandom, rowHash, seedWords } from '../schema/random.ts'

/** What a generation run is asked for: enough to produce any chunk of it. */
export interface GenerationSpec {
  schema: GenerationSchema
  rows: number
  format: Format
  seed: number
  /** Rows the evaluator keeps (a seeded sample of the whole output). */
  sampleSize: number
  /** The first rows kept as values for the preview. */
  previewRows: number
  /** CSV: neutralise spreadsheet formulas. */
  escapeFormulas?: boolean
  /** SQL: the target table. */
  table?: string
}

export interface SampledRow {
  row: number
  priority: number
  /**
   * Every column's cell (schema order); hidden columns the evaluator does not read are null, and texts
   * longer than SAMPLE_TEXT_CHARS are stand-ins (see sampleValue).
   */
  cells: CellValue[]
  /** What the row weighs against SAMPLE_MAX_CHARS. */
  chars: number
}

export interface ChunkResult {
  start: number
  count: number
  /** The chunk's rows, encoded (gzipped: a gzip member of the separator before them and the rows). */
  bytes: Uint8Array
  /** Gzipped: the length of the rows before compression (the separator not counted). */
  plainBytes?: number
  /** Parquet: the row group's metadata, for the footer. */
  meta?: RowGroupMeta
  /** Nulls per schema column, counted over every row of the chunk. */
  nulls: number[]
  /** Per categorical column index: count per category (schema order); per boolean column: [true, false]. */
  counts: Record<number, number[]>
  /** Rows picked for the evaluator's sample. */
  sample: SampledRow[]
  /** Output values of the rows whose index is below `previewRows`. */
  preview: CellValue[][]
}

/** Level 6 (zlib's default): the usual balance; fixed, since the level changes the bytes. */
export const GZIP_LEVEL = 6

/**
 * Rows per gzip member of a gzipped file (unless the format fixes its chunks, as Parquet does): each
 * chunk is compressed on its own, in the worker that made it, so members end at fixed rows.
 */
export const GZIP_MEMBER_ROWS = 20_000

/** Salt for the sample's priorities, so they are independent of the rows' own streams. */
export const SAMPLE_SALT = 0x5eed5a11

/** Over-sampling factor: chunks send a few more candidates than needed, the merge keeps the lowest. */
const SAMPLE_SLACK = 1.25

/**
 * The evaluator's sample is bounded in characters as well as rows: wide rows make a smaller sample
 * (its size is in the report) rather than an unbounded one in the process that serves HTTP.
 */
export const SAMPLE_MAX_CHARS = 16_000_000
/**
 * Texts longer than this (no category is: MAX_CATEGORY_LENGTH) enter the sample as a stand-in of fixed
 * size, its first characters and a hash of the whole, which the evaluator compares as it would the
 * text (distinct values, duplicate rows).
 */
export const SAMPLE_TEXT_CHARS = 256
/**
 * The preview keeps the first `previewRows` rows while their characters add up to at most this: a
 * preview of very wide rows has fewer rows. Its JSON stays far below what GET /preview reads.
 */
export const PREVIEW_MAX_CHARS = 2_000_000
/** What a cell weighs besides its text (its slot, a number, a separator). */
const CELL_CHARS = 8

/**
 * Characters a chunk aims to hold at most: rows of a wide schema go in smaller chunks (and gzip members
 * and Parquet row groups), so a chunk's buffer stays far below MAX_CHUNK_BYTES. Ordinary schemas
 * (rows under about 250 characters) keep their chunk sizes.
 */
export const CHUNK_TARGET_CHARS = 32_000_000
/** Rows whose width the chunk size is judged by. */
const WIDTH_PROBE_ROWS = 64

/** A 53-bit hash of a text (cyrb53), for the sample's stand-ins. */
function textHash(text: string): string {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)
}

/** A cell as the sample holds it: long texts as a stand-in of their start, length and hash. */
function sampleValue(value: CellValue): CellValue {
  return typeof value === 'string' && value.length > SAMPLE_TEXT_CHARS ? `${value.slice(0, 64)}…[${value.length} chars #${textHash(value)}]` : value
}

/** What a row of cells weighs against the character budgets. */
function rowChars(cells: CellValue[]): number {
  let chars = 0
  for (let i = 0; i < cells.length; i++) {
    const value = cells[i]
    chars += CELL_CHARS + (typeof value === 'string' ? value.length : 0)
  }
  return chars
}

/**
 * Keeps the sampled rows with the lowest priorities (at equal priority, the lower rows): at most
 * `size`, and only while their characters add up to at most `maxChars`. Whatever the chunking, the
 * same rows are kept: cutting a part of the rows by this rule keeps every row that the whole would.
 * `sample` is in row order and so is the result. Without the character cut, the cut-off comes from
 * sorting the priorities alone as numbers, several times faster than sorting rows with a comparator.
 */
export function keepLowest(sample: SampledRow[], size: number, maxChars = SAMPLE_MAX_CHARS): SampledRow[] {
  let chars = 0
  for (const s of sample) chars += s.chars
  if (chars <= maxChars) {
    if (sample.length <= size) return sample
    const sorted = Float64Array.from(sample, s => s.priority).sort()
    const cutoff = sorted[size - 1]!
    // Places left for rows at the cut-off once every row below it is kept, filled in row order.
    let ties = size - sorted.indexOf(cutoff)
    return sample.filter(s => s.priority < cutoff || (s.priority === cutoff && ties-- > 0))
  }
  const order = sample.map((_, i) => i).sort((a, b) => sample[a]!.priority - sample[b]!.priority || sample[a]!.row - sample[b]!.row)
  const kept = new Uint8Array(sample.length)
  let used = 0
  for (let k = 0; k < order.length && k < size; k++) {
    const s = sample[order[k]!]!
    if (used + s.chars > maxChars) break
    used += s.chars
    kept[order[k]!] = 1
  }
  return sample.filter((_, i) => kept[i])
}

/**
 * Appends `rows` to a preview while its characters (`used` so far) stay within PREVIEW_MAX_CHARS; a
 * row that does not fit ends the preview. Returns the characters used.
 */
export function appendPreview(preview: CellValue[][], rows: CellValue[][], used: number): number {
  for (const row of rows) {
    const chars = rowChars(row)
    if (used + chars > PREVIEW_MAX_CHARS) return Number.POSITIVE_INFINITY
    used += chars
    preview.push(row)
  }
  return used
}

/** Kinds whose values are never null: their cells are null only by the column's null rate. */
const NEVER_NULL = new Set<GenerationSchema['columns'][number]['kind']>(['sequence', 'uuid', 'pattern', 'integer', 'float', 'boolean', 'categorical', 'datetime', 'date', 'time', 'template', 'empirical'])

/**
 * The compiled schema for a run: the compile of an earlier run of the same schema and format when
 * there is one (compileCached; the format decides which modes createChunkGenerator switches on).
 */
export function compiledFor(spec: Pick<GenerationSpec, 'schema' | 'rows' | 'seed' | 'format'>): CompiledSchema {
  const { defersInstants, defersTexts } = FORMATS[spec.format]
  const variant = defersTexts ? 'deferred instants and texts' : defersInstants ? 'deferred instants' : 'plain'
  return compileCached(spec.schema, { rows: spec.rows, seed: spec.seed }, variant)
}

/**
 * The output columns of a compiled schema, in output order, as the encoders of `format` take them:
 * `instant` only where the format defers instants (its cells then hold epoch ms).
 */
export function outputColumns(compiled: CompiledSchema, format: Format): OutputColumn[] {
  const { defersInstants } = FORMATS[format]
  return compiled.outputIndex.map((index, k) => ({
    name: compiled.names[k]!, type: compiled.types[k]!, index,
    table: compiled.tables[index], pieces: compiled.pieces[index], instant: defersInstants ? compiled.deferrable[index] : undefined,
  }))
}

/**
 * The compiled schema, its output columns and the file format of a spec: what a worker keeps for a run
 * (engine/run/worker.ts), for its chunks and for the framing and footer the writer asks it for.
 */
export function prepare(spec: GenerationSpec): { compiled: CompiledSchema; columns: OutputColumn[]; format: FileFormat } {
  const compiled = compiledFor(spec)
  const columns = outputColumns(compiled, spec.format)
  const format = fileFormat(spec.format, columns, { rows: spec.rows, escapeFormulas: spec.escapeFormulas, table: spec.table })
  return { compiled, columns, format }
}

/**
 * The most rows a chunk of this run may hold: CHUNK_TARGET_CHARS over twice the widest of the first
 * rows of a fixed seed (so a schema has one chunk size, whatever the run's seed), at most `limit`.
 */
export function rowsPerChunk(spec: GenerationSpec, { compiled, columns }: ReturnType<typeof prepare>, limit: number): number {
  const rng = new RowRandom(0)
  const cells = new Array<CellValue>(spec.schema.columns.length)
  let widest = 0
  for (let row = 0; row < Math.min(WIDTH_PROBE_ROWS, spec.rows); row++) {
    compiled.fillRow(rng, row, cells)
    let chars = 0
    for (const { index, pieces } of columns) {
      // A deferred text's cell is undefined; its pieces hold it.
      const value = cells[index] === undefined ? pieces?.parts().join('') : cells[index]
      chars += CELL_CHARS + (typeof value === 'string' ? value.length : 0)
    }
    widest = Math.max(widest, chars)
  }
  return Math.max(1, Math.min(limit, Math.floor(CHUNK_TARGET_CHARS / (2 * widest))))
}

/** A function producing any chunk of the spec, from its compile and file format (`prepare`'s, unless given). */
export function createChunkGenerator(spec: GenerationSpec, prepared = prepare(spec)): (start: number, count: number, recycled?: ArrayBuffer) => ChunkResult {
  const { compiled, format } = prepared
  const rng = new RowRandom(spec.seed)
  const [seedLo, seedHi] = seedWords(spec.seed)
  const threshold = Math.min(1, (SAMPLE_SLACK * spec.sampleSize) / spec.rows)
  const columns = spec.schema.columns
  // The columns whose values are counted: categoricals by category index (the index their sampler
  // drew, read from the column's table), booleans as [true, false].
  const categorical = columns.flatMap((column, i) => (column.kind === 'categorical' ? [{ i, table: compiled.tables[i]! }] : []))
  const booleans = columns.flatMap((column, i) => (column.kind === 'boolean' ? [i] : []))
  // Nulls are counted only where there can be some.
  const nullable = Int32Array.from(columns.flatMap((column, i) => (column.null_rate > 0 || !NEVER_NULL.has(column.kind) ? [i] : [])))
  const { outputIndex } = compiled
  // Cells of deferred instants hold epoch ms: made into text for the rows that leave the chunk as values.
  const deferred = FORMATS[spec.format].defersInstants ? compiled.deferrable.flatMap((text, i) => (text ? [{ i, text }] : [])) : []
  if (deferred.length) compiled.deferInstants()
  // CSV writes templates from their pieces: cells of deferred texts are undefined, joined where needed.
  const texts = FORMATS[spec.format].defersTexts ? compiled.deferrableTexts.flatMap((on, i) => (on ? [{ i, source: compiled.pieces[i]! }] : [])) : []
  if (texts.length) compiled.deferTexts()
  const values = (cells: CellValue[]) => {
    const copy = cells.slice()
    for (const { i, text } of deferred) if (typeof copy[i] === 'number') copy[i] = text(copy[i])
    for (const { i, source } of texts) if (copy[i] === undefined) copy[i] = source.parts().join('')
    return copy
  }
  // Hidden columns are in the sample only where the evaluator reads them (correlation groups).
  const read = readByEvaluator(spec.schema)
  const unread = Int32Array.from(columns.flatMap((column, i) => (column.hidden && !read.has(column.name) ? [i] : [])))
  const sampled = (cells: CellValue[]) => {
    const copy = values(cells)
    for (let k = 0; k < unread.length; k++) copy[unread[k]!] = null
    for (let i = 0; i < copy.length; i++) copy[i] = sampleValue(copy[i]!)
    return copy
  }
  const sampleLimit = Math.ceil(SAMPLE_SLACK * spec.sampleSize)

  return (start, count, recycled) => {
    const nulls = new Array<number>(columns.length).fill(0)
    const counts: Record<number, number[]> = {}
    columns.forEach((column, i) => {
      if (column.kind === 'categorical') counts[i] = new Array<number>(column.categories.length).fill(0)
      else if (column.kind === 'boolean') counts[i] = [0, 0]
    })
    const run: ChunkRun = {
      compiled, rng, seedLo, seedHi, threshold, previewRows: spec.previewRows, outputIndex, values, sampled, sampleLimit,
      nullable, booleans, categorical, nulls, counts, sample: [], sampleChars: 0, preview: [], previewChars: 0,
      cells: new Array<CellValue>(columns.length), encoder: format.newChunk(recycled),
    }
    addRows(run, start, count)
    const { bytes, meta } = run.encoder.finish()
    return { start, count, bytes, meta, nulls, counts, sample: keepLowest(run.sample, sampleLimit), preview: run.preview }
  }
}

/** A chunk being made: the run's compiled schema and what the chunk collects. */
interface ChunkRun {
  compiled: CompiledSchema
  rng: RowRandom
  seedLo: number
  seedHi: number
  /** Rows whose priority is below it are sample candidates. */
  threshold: number
  previewRows: number
  outputIndex: number[]
  /** A row's cells as output values (deferred ones made into text). */
  values: (cells: CellValue[]) => CellValue[]
  /** A row's cells as the evaluator's sample holds them. */
  sampled: (cells: CellValue[]) => CellValue[]
  /** Candidates a chunk sends at most. */
  sampleLimit: number
  nullable: Int32Array
  booleans: number[]
  categorical: { i: number; table: ValueTable }[]
  nulls: number[]
  counts: Record<number, number[]>
  sample: SampledRow[]
  /** Characters of `sample`, cut back to SAMPLE_MAX_CHARS whenever they pass twice that. */
  sampleChars: number
  preview: CellValue[][]
  /** Characters of `preview` (infinite once a row did not fit: the preview has ended). */
  previewChars: number
  cells: CellValue[]
  encoder: ChunkEncoder
}

/**
 * Makes, encodes and summarises rows [start, start + count) of a chunk. One function for every chunk
 * of every run (not a closure per run), so V8 optimises it once and keeps it optimised across jobs.
 */
function addRows(run: ChunkRun, start: number, count: number): void {
  const { compiled, rng, cells, nullable, nulls, booleans, counts, categorical, encoder, seedLo, seedHi, threshold, previewRows } = run
  for (let row = start; row < start + count; row++) {
    compiled.fillRow(rng, row, cells)
    for (let k = 0; k < nullable.length; k++) if (cells[nullable[k]!] === null) nulls[nullable[k]!]!++
    for (let k = 0; k < booleans.length; k++) {
      const value = cells[booleans[k]!]
      if (value !== null) counts[booleans[k]!]![value ? 0 : 1]!++
    }
    for (let k = 0; k < categorical.length; k++) {
      const { i, table } = categorical[k]!
      if (cells[i] !== null) counts[i]![table.code]!++
    }
    encoder.add(cells, row)
    const priority = rowHash(seedLo, seedHi, row, SAMPLE_SALT)
    if (priority < threshold) addSampled(run, row, priority, cells)
    if (row < previewRows && run.previewChars <= PREVIEW_MAX_CHARS) {
      const copy = run.values(cells)
      run.previewChars = appendPreview(run.preview, [run.outputIndex.map(i => copy[i]!)], run.previewChars)
    }
  }
}

/** Adds a row to the chunk's sample candidates, keeping them within twice the character budget. */
function addSampled(run: ChunkRun, row: number, priority: number, cells: CellValue[]): void {
  const sampled = run.sampled(cells)
  const chars = rowChars(sampled)
  run.sample.push({ row, priority, cells: sampled, chars })
  run.sampleChars += chars
  if (run.sampleChars > 2 * SAMPLE_MAX_CHARS) {
    run.sample = keepLowest(run.sample, run.sampleLimit)
    run.sampleChars = run.sample.reduce((sum, s) => sum + s.chars, 0)
  }
}

/** Names of the columns the evaluator reads besides the output ones: those of correlation groups. */
function readByEvaluator(schema: GenerationSchema): Set<string> {
  const names = new Set<string>()
  for (const group of schema.correlations ?? []) {
    for (const name of group.columns) names.add(name)
    if (group.on !== undefined) names.add(group.on)
  }
  // A conditional column in a group is read by its case, which its `on` column decides.
  for (const column of schema.columns) if (column.kind === 'conditional' && names.has(column.name)) names.add(column.on)
  return names
}
