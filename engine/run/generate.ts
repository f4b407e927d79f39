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
import type { CellValue } from '../../shared/schema.ts'
import { appendPreview, GZIP_LEVEL, GZIP_MEMBER_ROWS, keepLowest, SAMPLE_MAX_CHARS, type ChunkResult, type GenerationSpec, type SampledRow } from './chunk.ts'
import type { RowGroupMeta } from '../encode/parquet.ts'
import type { WorkerPool } from './pool.ts'
import type { RunTallies } from '../report/declared.ts'

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

/** What a run hands back: the tallies the evaluator reads (RunTallies), the file's size and hash, the preview. */
export interface GenerationSummary extends RunTallies {
  /** Bytes of the file as stored (compressed when gzip). */
  bytes: number
  sha256: string
  /** The first rows (output columns), within PREVIEW_MAX_CHARS. */
  preview: CellValue[][]
}

function addCounts(into: Record<number, number[]>, from: Record<number, number[]>): void {
  for (const [key, values] of Object.entries(from)) {
    const target = (into[Number(key)] ??= new Array<number>(values.length).fill(0))
    values.forEach((v, i) => { target[i]! += v })
  }
}

const EMPTY = new Uint8Array(0)

/**
 * Generates `spec` into `options.path`. Rejects with the signal's reason when it fires: the run's
 * requests in the pool are stopped at once (their workers terminated), as they are when the run fails.
 */
export async function generateToFile(spec: GenerationSpec, options: GenerationOptions): Promise<GenerationSummary> {
  const { pool, signal } = options
  const runId = randomUUID()
  signal?.throwIfAborted()
  const stop = () => pool.cancelRun(runId, 'canceled')
  signal?.addEventListener('abort', stop, { once: true })
  try {
    return await writeRun(runId, spec, options)
  }
  catch (error) {
    pool.cancelRun(runId, 'the run failed')
    throw signal?.aborted ? signal.reason : error
  }
  finally {
    signal?.removeEventListener('abort', stop)
  }
}

async function writeRun(runId: string, spec: GenerationSpec, options: GenerationOptions): Promise<GenerationSummary> {
  const { pool, path, signal } = options
  const framing = await pool.framing(runId, spec)
  const gzip = Boolean(options.gzip)
  // Gzip members end at fixed rows: their bytes depend on where they end. Wide rows make smaller
  // chunks, members and row groups (the width is the schema's, so the bytes still do not depend on chunking).
  const asked = Math.floor(framing.fixedChunkRows ?? (gzip ? GZIP_MEMBER_ROWS : undefined) ?? options.chunkRows ?? DEFAULT_CHUNK_ROWS)
  const chunkRows = Math.max(1, Math.min(asked, framing.maxChunkRows))
  const chunkCount = Math.ceil(spec.rows / chunkRows)
  // About two chunks per worker in flight, counted in rows (of ordinary width, or as many as the
  // width allows), so large fixed chunks (Parquet) and wide rows hold less memory.
  const inFlightRows = pool.size * 2 * Math.min(DEFAULT_CHUNK_ROWS, framing.maxChunkRows)
  const maxInFlight = Math.max(pool.size, Math.floor(inFlightRows / chunkRows))
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
  let sampleChars = 0
  let previewChars = 0
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
      for (const s of chunk.sample) {
        sample.push(s)
        sampleChars += s.chars
      }
      if (sample.length > 2 * spec.sampleSize || sampleChars > 2 * SAMPLE_MAX_CHARS) {
        sample = keepLowest(sample, spec.sampleSize)
        sampleChars = sample.reduce((sum, s) => sum + s.chars, 0)
      }
      previewChars = appendPreview(summary.preview, chunk.preview, previewChars)
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
