/**
 * Worker-thread entry. Everything that compiles a schema runs here (never in the process that serves
 * HTTP): chunks of rows, the file's framing (header, separator, footer), schema checks, profiling,
 * fitting and scoring. A run's compile and file format are kept while its chunks come (the last few
 * runs), and compiles are reused across runs of the same schema (compileCached).
 */
import { readlinkSync } from 'node:fs'
import { setPriority } from 'node:os'
import { parentPort } from 'node:worker_threads'
import { gzipSync } from 'node:zlib'
import { createChunkGenerator, GZIP_LEVEL, prepare, rowsPerChunk, type ChunkResult, type GenerationSpec } from './chunk.ts'
import { loadLocale } from '../schema/locales.ts'
import { checkSchema } from './check.ts'
import { WORKER_NICE, type Framing, type WorkerReply, type WorkerRequest } from './protocol.ts'
import { DatasetError, type DatasetProfile } from '../dataset/profile.ts'
import { fittedQuality } from '../report/fidelity.ts'
import { fitCsv, profileAndFit } from '../dataset/fit.ts'

const MAX_CACHED_RUNS = 8
/** The buffer the last gzipped chunk was written into before compression, for the next one. */
let gzipSpare: ArrayBuffer | undefined
const runs = new Map<string, { generate?: ReturnType<typeof createChunkGenerator>; prepared: ReturnType<typeof prepare> }>()

async function runOf(runId: string, spec: GenerationSpec) {
  let run = runs.get(runId)
  if (!run) {
    await loadLocale(spec.schema.locale)
    run = { prepared: prepare(spec) }
    runs.set(runId, run)
    if (runs.size > MAX_CACHED_RUNS) runs.delete(runs.keys().next().value!)
  }
  return run
}

async function handle(request: WorkerRequest): Promise<{ result: unknown; transfer: ArrayBuffer[] }> {
  switch (request.type) {
    case 'check':
      return { result: await checkSchema(request.schema, request.rows, request.seed, request.format), transfer: [] }
    case 'profile':
      try {
        return { result: { ok: true, ...(await profileAndFit(request.path)) }, transfer: [] }
      }
      catch (error) {
        if (error instanceof DatasetError) return { result: { ok: false, message: error.message }, transfer: [] }
        throw error
      }
    case 'fit':
      return { result: await fitCsv(request.path, request.profile), transfer: [] }
    case 'quality':
      return { result: await fittedQuality(request.path, request.profile, request.sample), transfer: [] }
    case 'framing': {
      const { prepared } = await runOf(request.runId, request.spec)
      const { format } = prepared
      const maxChunkRows = rowsPerChunk(request.spec, prepared, request.spec.rows)
      return { result: { header: format.header, separator: format.separator, fixedChunkRows: format.fixedChunkRows, maxChunkRows } satisfies Framing, transfer: [] }
    }
    case 'footer': {
      const { format } = (await runOf(request.runId, request.spec)).prepared
      return { result: format.footer(request.chunks), transfer: [] }
    }
    case 'chunk': {
      const run = await runOf(request.runId, request.spec)
      run.generate ??= createChunkGenerator(request.spec, run.prepared)
      if (request.gzip) {
        // The plain rows are written into this worker's own buffer, compressed, and the buffer kept.
        const result = run.generate(request.start, request.count, gzipSpare)
        const separator = request.start > 0 ? run.prepared.format.separator : new Uint8Array(0)
        const plain = separator.byteLength ? Buffer.concat([separator, result.bytes]) : result.bytes
        const bytes = gzipSync(plain, { level: GZIP_LEVEL })
        // Kept only if it is the encoder's own buffer (never Node's shared pool; see below).
        gzipSpare = result.bytes.byteOffset === 0 && result.bytes.buffer.byteLength > 8192 ? result.bytes.buffer as ArrayBuffer : undefined
        const own = bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength
        return { result: { ...result, bytes, plainBytes: result.bytes.byteLength }, transfer: own ? [bytes.buffer as ArrayBuffer] : [] }
      }
      const result = run.generate(request.start, request.count, request.recycled)
      // Chunk encoders return a view at the start of a buffer of their own (never Node's shared
      // pool), so the buffer moves to the main thread instead of being copied.
      const own = result.bytes.byteOffset === 0 && result.bytes.buffer.byteLength > 8192
      return { result, transfer: own ? [result.bytes.buffer as ArrayBuffer] : [] }
    }
  }
}

// Generation must not starve the thread that serves HTTP (see WORKER_NICE).
try {
  // `/proc/thread-self` links to `<pid>/task/<tid>`: this thread's id, which setpriority accepts.
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), WORKER_NICE)
}
catch {
  // Not Linux, or not allowed: run at the process's priority.
}

/**
 * Requests are handled one after the other, each with exactly one answer (the pool sends a worker its
 * next request once the last one is answered, engine/run/pool.ts). The default locale is loaded first,
 * before a request needs it.
 */
let previous: Promise<unknown> = loadLocale('en')

parentPort!.on('message', (request: WorkerRequest) => {
  previous = previous.then(async () => {
    try {
      const { result, transfer } = await handle(request)
      parentPort!.postMessage({ ok: true, result } satisfies WorkerReply, transfer)
    }
    catch (error) {
      // The request failed, or its result could not be sent: either way it gets its one answer.
      parentPort!.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) } satisfies WorkerReply)
    }
  })
})
