/**
 * A whole generation run: chunks are made in the worker pool, written to the file strictly in order
 * (so the bytes never depend on scheduling), with a bounded number of chunks in flight, to a temporary
 * name renamed when complete. Returns what the evaluator and the preview need.
 */
import { createHash, randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { once } from 'node:events'
import type { CellValue } from '../shared/schema.ts'
import type { ChunkResult, GenerationSpec, SampledRow } from './chunk.ts'
import { rowEncoder } from './formats.ts'
import type { WorkerPool } from './pool.ts'

/** Rows per chunk unless told otherwise; any value gives the same bytes. */
export const DEFAULT_CHUNK_ROWS = 20_000

export interface GenerationOptions {
  pool: WorkerPool
  /** Where the finished file goes; it appears there only once complete. */
  path: string
  chunkRows?: number
  signal?: AbortSignal
  /** Called after each chunk is written, with the rows written so far. */
  onProgress?: (rowsWritten: number) => void
}

export interface GenerationSummary {
  rows: number
  bytes: number
  sha256: string
  nulls: number[]
  counts: Record<number, number[]>
  /** The evaluator's sample, ordered by row. */
  sample: CellValue[][]
  preview: CellValue[][]
}

function addCounts(into: Record<number, number[]>, from: Record<number, number[]>): void {
  for (const [key, values] of Object.entries(from)) {
    const target = (into[Number(key)] ??= new Array<number>(values.length).fill(0))
    values.forEach((v, i) => { target[i]! += v })
  }
}

/** Keeps the `size` sampled rows with the lowest priorities: the same rows whatever the chunking. */
function keepLowest(sample: SampledRow[], size: number): SampledRow[] {
  sample.sort((a, b) => a.priority - b.priority || a.row - b.row)
  return sample.slice(0, size)
}

/** Generates `spec` into `options.path`. Rejects with an AbortError when the signal fires. */
export async function generateToFile(spec: GenerationSpec, options: GenerationOptions): Promise<GenerationSummary> {
  const { pool, path, signal } = options
  const chunkRows = Math.max(1, Math.floor(options.chunkRows ?? DEFAULT_CHUNK_ROWS))
  const chunkCount = Math.ceil(spec.rows / chunkRows)
  const maxInFlight = pool.size * 2
  const runId = randomUUID()
  const names = spec.schema.columns.map(c => c.name)
  const encoder = rowEncoder(spec.format, names)
  const tempPath = `${path}.${runId}.tmp`
  const out = createWriteStream(tempPath)
  let streamError: Error | undefined
  out.on('error', (error) => { streamError = error })
  const hash = createHash('sha256')
  let bytes = 0
  const write = async (data: Uint8Array | string) => {
    if (streamError) throw streamError
    const buffer = typeof data === 'string' ? Buffer.from(data) : data
    hash.update(buffer)
    bytes += buffer.byteLength
    if (!out.write(buffer)) await once(out, 'drain', { signal })
  }

  const summary: GenerationSummary = { rows: spec.rows, bytes: 0, sha256: '', nulls: names.map(() => 0), counts: {}, sample: [], preview: [] }
  let sample: SampledRow[] = []
  const inFlight = new Map<number, Promise<ChunkResult>>()
  const launch = (index: number) => {
    const start = index * chunkRows
    const promise = pool.run({ runId, spec, start, count: Math.min(chunkRows, spec.rows - start) })
    promise.catch(() => {}) // awaited in order below; this only keeps an abandoned chunk from being unhandled
    inFlight.set(index, promise)
  }

  try {
    await write(encoder.header)
    let launched = 0
    for (let index = 0; index < chunkCount; index++) {
      signal?.throwIfAborted()
      while (launched < chunkCount && launched - index < maxInFlight) launch(launched++)
      const chunk = await inFlight.get(index)!
      inFlight.delete(index)
      signal?.throwIfAborted()
      if (index > 0) await write(encoder.separator)
      await write(chunk.bytes)
      chunk.nulls.forEach((n, i) => { summary.nulls[i]! += n })
      addCounts(summary.counts, chunk.counts)
      sample.push(...chunk.sample)
      if (sample.length > 2 * spec.sampleSize) sample = keepLowest(sample, spec.sampleSize)
      summary.preview.push(...chunk.preview)
      options.onProgress?.(chunk.start + chunk.count)
    }
    await write(encoder.footer)
    out.end()
    await once(out, 'close')
    if (streamError) throw streamError
    await rename(tempPath, path)
  }
  catch (error) {
    out.destroy()
    await rm(tempPath, { force: true })
    throw error
  }
  summary.bytes = bytes
  summary.sha256 = hash.digest('hex')
  summary.sample = keepLowest(sample, spec.sampleSize).sort((a, b) => a.row - b.row).map(s => s.cells)
  return summary
}
