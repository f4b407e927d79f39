/**
 * A whole generation run: chunks are made in the worker pool, written to the file strictly in order
 * (so the bytes never depend on scheduling), with a bounded number of chunks in flight, to a
 * temporary name renamed when complete. Gzip is done by the workers too, each chunk compressed as a
 * gzip member of its own (a gzip file may be several members one after the other; readers
 * decompress them as one stream), at fixed row boundaries so the bytes do not depend on the
 * chunking. Returns what the evaluator and the preview need.
 */
import { createHash, randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { once } from 'node:events'
import { gzipSync } from 'node:zlib'
import type { CellValue } from '../shared/schema.ts'
import { GZIP_LEVEL, GZIP_MEMBER_ROWS, type ChunkResult, type GenerationSpec, type SampledRow } from './chunk.ts'
import type { RowGroupMeta } from './parquet.ts'
import type { WorkerPool } from './pool.ts'

/** Rows per chunk unless told otherwise (or fixed by the format); any value gives the same bytes. */
export const DEFAULT_CHUNK_ROWS = 20_000

export interface GenerationOptions {
  pool: WorkerPool
  /** Where the finished file goes; it appears there only once complete. */
  path: string
  chunkRows?: number
  /** Compress the file with gzip (in members of GZIP_MEMBER_ROWS rows, or the format's fixed chunks). */
  gzip?: boolean
  signal?: AbortSignal
  /** Called after each chunk is written, with the rows written so far. */
  onProgress?: (rowsWritten: number) => void
}

export interface GenerationSummary {
  rows: number
  /** Bytes of the file as stored (compressed when gzip). */
  bytes: number
  sha256: string
  nulls: number[]
  counts: Record<number, number[]>
  /** The evaluator's sample (every column, hidden ones included), ordered by row. */
  sample: CellValue[][]
  preview: CellValue[][]
}

function addCounts(into: Record<number, number[]>, from: Record<number, number[]>): void {
  for (const [key, values] of Object.entries(from)) {
    const target = (into[Number(key)] ??= new Array<number>(values.length).fill(0))
    values.forEach((v, i) => { target[i]! += v })
  }
}

/**
 * Keeps the `size` sampled rows with the lowest priorities (at equal priority, the lower rows): the
 * same rows whatever the chunking. `sample` is in row order (chunks are merged in order) and so is
 * the result. The cut-off comes from sorting the priorities alone as numbers, which is several times
 * faster than sorting the rows with a comparator.
 */
function keepLowest(sample: SampledRow[], size: number): SampledRow[] {
  if (sample.length <= size) return sample
  const sorted = Float64Array.from(sample, s => s.priority).sort()
  const cutoff = sorted[size - 1]!
  // Places left for rows at the cut-off once every row below it is kept, filled in row order.
  let ties = size - sorted.indexOf(cutoff)
  return sample.filter(s => s.priority < cutoff || (s.priority === cutoff && ties-- > 0))
}

const EMPTY = new Uint8Array(0)

/** Generates `spec` into `options.path`. Rejects with the signal's reason when it fires. */
export async function generateToFile(spec: GenerationSpec, options: GenerationOptions): Promise<GenerationSummary> {
  const { pool, path, signal } = options
  const runId = randomUUID()
  const framing = await pool.framing(runId, spec)
  const gzip = Boolean(options.gzip)
  // Gzip members end at fixed rows: their bytes depend on where they end.
  const chunkRows = Math.max(1, Math.floor(framing.fixedChunkRows ?? (gzip ? GZIP_MEMBER_ROWS : undefined) ?? options.chunkRows ?? DEFAULT_CHUNK_ROWS))
  const chunkCount = Math.ceil(spec.rows / chunkRows)
  // About two chunks per worker in flight, counted in rows, so large fixed chunks (Parquet) hold less memory.
  const maxInFlight = Math.max(pool.size, Math.floor((pool.size * 2 * DEFAULT_CHUNK_ROWS) / chunkRows))
  const tempPath = `${path}.${runId}.tmp`
  const file = createWriteStream(tempPath)
  let streamError: Error | undefined
  file.on('error', (error: Error) => { streamError = error })
  const hash = createHash('sha256')
  let bytes = 0
  /** Offset in the uncompressed file, for Parquet's footer. */
  let offset = 0
  /** The bytes around the chunks (header, separators, footer) as stored: a gzip member each when gzipped. */
  const framed = (data: Uint8Array) => {
    offset += data.byteLength
    return gzip && data.byteLength ? gzipSync(data, { level: GZIP_LEVEL }) : data
  }
  /**
   * Buffers of chunks already written, handed back to the workers to write later chunks into: fresh
   * buffers cost page faults in the workers and garbage collections here.
   */
  const spare: ArrayBuffer[] = []
  const write = async (data: Uint8Array, recycle = false) => {
    if (streamError) throw streamError
    if (!data.byteLength) return
    hash.update(data)
    bytes += data.byteLength
    // A chunk's own buffer (as workers send them) is free again once the stream is done with it.
    // Gzipped chunks are not: the workers keep their own buffers to write chunks into.
    const own = recycle && !gzip && data.byteOffset === 0 && data.buffer.byteLength > 8192
    const done = own ? (error?: Error | null) => { if (!error && spare.length < maxInFlight) spare.push(data.buffer as ArrayBuffer) } : undefined
    if (!file.write(data, done)) await once(file, 'drain', { signal })
  }

  const summary: GenerationSummary = { rows: spec.rows, bytes: 0, sha256: '', nulls: spec.schema.columns.map(() => 0), counts: {}, sample: [], preview: [] }
  const chunkMetas: { meta?: RowGroupMeta; offset: number }[] = []
  let sample: SampledRow[] = []
  const inFlight = new Map<number, Promise<ChunkResult>>()
  const launch = (index: number) => {
    const start = index * chunkRows
    const promise = pool.run({ runId, spec, start, count: Math.min(chunkRows, spec.rows - start), recycled: spare.pop(), gzip })
    promise.catch(() => {}) // awaited in order below; this only keeps an abandoned chunk from being unhandled
    inFlight.set(index, promise)
  }

  try {
    await write(framed(framing.header))
    let launched = 0
    for (let index = 0; index < chunkCount; index++) {
      signal?.throwIfAborted()
      while (launched < chunkCount && launched - index < maxInFlight) launch(launched++)
      const chunk = await inFlight.get(index)!
      inFlight.delete(index)
      signal?.throwIfAborted()
      const separator = index > 0 ? framing.separator : EMPTY
      // Gzipped, the worker compressed the separator with the chunk.
      if (!gzip) await write(separator)
      offset += separator.byteLength
      chunkMetas.push({ meta: chunk.meta, offset })
      offset += chunk.plainBytes ?? chunk.bytes.byteLength
      await write(chunk.bytes, true)
      chunk.nulls.forEach((n, i) => { summary.nulls[i]! += n })
      addCounts(summary.counts, chunk.counts)
      sample.push(...chunk.sample)
      if (sample.length > 2 * spec.sampleSize) sample = keepLowest(sample, spec.sampleSize)
      summary.preview.push(...chunk.preview)
      options.onProgress?.(chunk.start + chunk.count)
    }
    await write(framed(await pool.footer(runId, spec, chunkMetas)))
    file.end()
    await once(file, 'close')
    if (streamError) throw streamError
    await rename(tempPath, path)
  }
  catch (error) {
    // The file may still be opening: removed only once the stream has closed it, or it would
    // appear after its removal.
    if (!file.closed) {
      const closed = once(file, 'close').catch(() => {})
      file.destroy()
      await closed
    }
    await rm(tempPath, { force: true })
    throw error
  }
  summary.bytes = bytes
  summary.sha256 = hash.digest('hex')
  summary.sample = keepLowest(sample, spec.sampleSize).map(s => s.cells)
  return summary
}
