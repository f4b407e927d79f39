/**
 * A pool of worker threads, sized to the machine's cores by default. They do all the work that
 * compiles schemas (chunks, framing, checks), so the process that serves HTTP only writes files and
 * stays responsive.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { CellValue, DatasetSchema, Format } from '../shared/schema.ts'
import type { QualityReport } from './quality.ts'
import type { ChunkResult, GenerationSpec } from './chunk.ts'
import type { RowGroupMeta } from './parquet.ts'
import type { SchemaIssue } from './validate.ts'
import type { DatasetProfile } from './profile.ts'
import type { Framing, WorkerReply, WorkerRequest } from './worker.ts'

/** The worker entry next to this file (TypeScript, run by Node's type stripping). */
/**
 * Nice value of the worker threads. Generation must not starve the thread that serves HTTP (status
 * polls, downloads) when the cores are busy: on Linux the nice value is per thread, so each worker
 * lowers its own priority (engine/worker.ts), yields the CPU to the HTTP thread and uses what is left.
 */
export const WORKER_NICE = 10

export const DEFAULT_WORKER_FILE = new URL('./worker.ts', import.meta.url)

/** A worker that needs more heap than this is stopped (its job fails) instead of the whole process. */
const WORKER_HEAP_MB = 1024

/**
 * A small young generation: rows are short-lived garbage, and V8's default lets each worker's nursery
 * grow to hundreds of MB before collecting (measured with `npm run bench`: ~760 MB peak RSS at 1M
 * customers rows by default, ~490 MB with this, at the same speed).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: WORKER_HEAP_MB }

interface Pending {
  request: WorkerRequest
  /** Buffers that move to the worker with the request. */
  transfer?: ArrayBuffer[]
  resolve(result: unknown): void
  reject(error: Error): void
}

interface Slot {
  worker: Worker
  busy?: Pending
}

export class WorkerPool {
  readonly size: number
  private readonly slots: Slot[] = []
  private readonly queue: Pending[] = []
  private closed = false

  constructor(options: { size?: number; workerFile?: string | URL } = {}) {
    this.size = Math.max(1, options.size ?? availableParallelism())
    const file = options.workerFile ?? DEFAULT_WORKER_FILE
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn(file))
  }

  private spawn(file: string | URL): Slot {
    const slot: Slot = { worker: new Worker(file, { resourceLimits: WORKER_LIMITS }) }
    slot.worker.on('message', (reply: WorkerReply) => {
      const busy = slot.busy
      slot.busy = undefined
      if (reply.ok) busy?.resolve(reply.result)
      else busy?.reject(new Error(reply.message))
      this.dispatch()
    })
    const fail = (error: Error) => {
      const busy = slot.busy
      slot.busy = undefined
      busy?.reject(error)
      if (this.closed) return
      // A dead worker is replaced so the pool keeps its size.
      const index = this.slots.indexOf(slot)
      if (index >= 0) this.slots[index] = this.spawn(file)
      this.dispatch()
    }
    slot.worker.on('error', fail)
    slot.worker.on('exit', code => { if (!this.closed) fail(new Error(`generator worker exited with code ${code}`)) })
    return slot
  }

  /** Sends a request to the next free worker; `urgent` ones go ahead of queued chunks. */
  private request<T>(request: WorkerRequest, urgent = false, transfer?: ArrayBuffer[]): Promise<T> {
    if (this.closed) return Promise.reject(new Error('worker pool is closed'))
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { request, transfer, resolve: resolve as (result: unknown) => void, reject }
      if (urgent) this.queue.unshift(pending)
      else this.queue.push(pending)
      this.dispatch()
    })
  }

  /**
   * One chunk of a run's rows; `recycled`, a finished chunk's buffer, moves to the worker to be written
   * into again; `gzip`: compressed there, as a gzip member (the separator before it included).
   */
  run(task: { runId: string; spec: GenerationSpec; start: number; count: number; recycled?: ArrayBuffer; gzip?: boolean }): Promise<ChunkResult> {
    return this.request({ type: 'chunk', ...task }, false, task.recycled ? [task.recycled] : undefined)
  }

  /** The bytes around a run's chunks. */
  framing(runId: string, spec: GenerationSpec): Promise<Framing> {
    return this.request({ type: 'framing', runId, spec }, true)
  }

  /** The bytes after a run's last chunk. */
  footer(runId: string, spec: GenerationSpec, chunks: { meta?: RowGroupMeta; offset: number }[]): Promise<Uint8Array> {
    return this.request({ type: 'footer', runId, spec, chunks }, true)
  }

  /** What is wrong with a schema for these rows, seed and format (see engine/validate.ts); empty when nothing. */
  check(schema: DatasetSchema, rows: number, seed: number, format: Format = 'csv'): Promise<SchemaIssue[]> {
    return this.request({ type: 'check', schema, rows, seed, format }, true)
  }

  /**
   * Reads, profiles and fits an uploaded CSV (engine/profile.ts, engine/fit.ts); a bad file is
   * `{ ok: false, message }`.
   */
  profile(path: string): Promise<{ ok: true; profile: DatasetProfile; model: DatasetSchema } | { ok: false; message: string }> {
    return this.request({ type: 'profile', path }, true)
  }

  /** Fits a model to a profiled CSV (engine/fit.ts), e.g. with column types a request overrode. */
  fit(path: string, profile: DatasetProfile): Promise<DatasetSchema> {
    return this.request({ type: 'fit', path, profile }, true)
  }

  /** Scores a job's sampled rows against the dataset its model was fitted to (engine/quality.ts). */
  quality(path: string, profile: DatasetProfile, sample: CellValue[][]): Promise<QualityReport> {
    return this.request({ type: 'quality', path, profile, sample })
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue
      const next = this.queue.shift()
      if (!next) return
      slot.busy = next
      slot.worker.postMessage(next.request, next.transfer)
    }
  }

  /** Stops every worker; queued and running requests are rejected. */
  async close(): Promise<void> {
    this.closed = true
    const closedError = new Error('worker pool is closed')
    for (const waiting of this.queue.splice(0)) waiting.reject(closedError)
    for (const slot of this.slots) slot.busy?.reject(closedError)
    await Promise.all(this.slots.map(slot => slot.worker.terminate()))
  }
}
