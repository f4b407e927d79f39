/**
 * A pool of worker threads, sized to the machine's cores by default. They do all the work that
 * compiles schemas or reads samples (chunks, framing, checks, profiling, fitting, scoring), so the
 * process that serves HTTP only writes files and stays responsive.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { CellValue, GenerationSchema, Format } from '../../shared/schema.ts'
import type { QualityReport } from '../report/fidelity.ts'
import type { ChunkResult, GenerationSpec } from './chunk.ts'
import type { RowGroupMeta } from '../encode/parquet.ts'
import type { SchemaIssue } from './check.ts'
import type { DatasetProfile } from '../dataset/profile.ts'
import { WORKER_NICE, type Framing, type WorkerReply, type WorkerRequest } from './protocol.ts'

export { WORKER_NICE }

/** The worker entry next to this file (TypeScript, run by Node's type stripping). */
export const DEFAULT_WORKER_FILE = new URL('./worker.ts', import.meta.url)

/** A worker that needs more heap than this is stopped (its job fails) instead of the whole process. */
export const WORKER_HEAP_MB = 1024

/**
 * A small young generation: rows are short-lived garbage, and V8's default lets each worker's nursery
 * grow to hundreds of MB before collecting (measured with `npm run bench`: ~760 MB peak RSS at 1M
 * customers rows by default, ~490 MB with this, at the same speed).
 */
const YOUNG_GENERATION_MB = 8

/** A request that ran past its time limit; its worker was terminated (and replaced). */
export class WorkerTimeout extends Error {
  readonly limitMs: number
  constructor(limitMs: number) {
    super(`took longer than ${limitMs} ms`)
    this.name = 'WorkerTimeout'
    this.limitMs = limitMs
  }
}

/** A run's requests were stopped by cancelRun (their workers terminated). */
export class RunCanceled extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = 'RunCanceled'
  }
}

interface Pending {
  request: WorkerRequest
  /** Buffers that move to the worker with the request. */
  transfer?: ArrayBuffer[]
  /** The run the request belongs to, for cancelRun. */
  runId?: string
  /** Past this long in a worker, the worker is terminated and the request rejected with WorkerTimeout. */
  timeLimitMs?: number
  timer?: ReturnType<typeof setTimeout>
  resolve(result: unknown): void
  reject(error: Error): void
}

interface Slot {
  worker: Worker
  busy?: Pending
}

interface RequestOptions {
  /** Goes ahead of queued chunks. */
  urgent?: boolean
  transfer?: ArrayBuffer[]
  runId?: string
  timeLimitMs?: number
}

export class WorkerPool {
  readonly size: number
  private readonly slots: Slot[] = []
  private readonly queue: Pending[] = []
  private closed = false

  private readonly file: string | URL
  private readonly limits: { maxYoungGenerationSizeMb: number; maxOldGenerationSizeMb: number }

  /**
   * `heapMb`: each worker's heap limit (a worker past it dies, failing only its request). `started`:
   * workers started at once (all by default); the others start when requests wait for them, and stay.
   */
  constructor(options: { size?: number; workerFile?: string | URL; heapMb?: number; started?: number } = {}) {
    this.size = Math.max(1, options.size ?? availableParallelism())
    this.file = options.workerFile ?? DEFAULT_WORKER_FILE
    this.limits = { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB, maxOldGenerationSizeMb: options.heapMb ?? WORKER_HEAP_MB }
    const started = Math.min(this.size, Math.max(1, options.started ?? this.size))
    for (let i = 0; i < started; i++) this.slots.push(this.spawn())
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(this.file, { resourceLimits: this.limits }) }
    slot.worker.on('message', (reply: WorkerReply) => {
      const busy = this.release(slot)
      if (reply.ok) busy?.resolve(reply.result)
      else busy?.reject(new Error(reply.message))
      this.dispatch()
    })
    const fail = (error: Error) => this.retire(slot, error)
    slot.worker.on('error', fail)
    slot.worker.on('exit', code => fail(new Error(`generator worker exited with code ${code}`)))
    return slot
  }

  /** Frees a slot: its request (if any) is returned, its time limit cleared. */
  private release(slot: Slot): Pending | undefined {
    const busy = slot.busy
    slot.busy = undefined
    if (busy?.timer) clearTimeout(busy.timer)
    return busy
  }

  /**
   * A worker that died, or is being stopped: its request fails with `error`, and a new worker takes its
   * place so the pool keeps its size. Once per slot (a terminated worker's 'exit' comes after).
   */
  private retire(slot: Slot, error: Error): void {
    const index = this.slots.indexOf(slot)
    this.release(slot)?.reject(error)
    if (index < 0 || this.closed) return
    this.slots[index] = this.spawn()
    void slot.worker.terminate()
    this.dispatch()
  }

  /** Sends a request to the next free worker; `urgent` ones go ahead of queued chunks. */
  private request<T>(request: WorkerRequest, options: RequestOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new Error('worker pool is closed'))
    return new Promise<T>((resolve, reject) => {
      const { urgent, ...rest } = options
      const pending: Pending = { request, ...rest, resolve: resolve as (result: unknown) => void, reject }
      if (urgent) this.queue.unshift(pending)
      else this.queue.push(pending)
      this.dispatch()
    })
  }

  /**
   * Stops every request of a run at once: queued ones are dropped, and the workers running one are
   * terminated (and replaced), so a canceled job frees its threads now rather than after its chunks.
   * Each is rejected with RunCanceled.
   */
  cancelRun(runId: string, reason = 'canceled'): void {
    const error = new RunCanceled(reason)
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i]!.runId === runId) this.queue.splice(i, 1)[0]!.reject(error)
    }
    for (const slot of [...this.slots]) if (slot.busy?.runId === runId) this.retire(slot, error)
  }

  /**
   * One chunk of a run's rows; `recycled`, a finished chunk's buffer, moves to the worker to be written
   * into again; `gzip`: compressed there, as a gzip member (the separator before it included).
   */
  run(task: { runId: string; spec: GenerationSpec; start: number; count: number; recycled?: ArrayBuffer; gzip?: boolean }): Promise<ChunkResult> {
    return this.request({ type: 'chunk', ...task }, { runId: task.runId, transfer: task.recycled ? [task.recycled] : undefined })
  }

  /** The bytes around a run's chunks. */
  framing(runId: string, spec: GenerationSpec): Promise<Framing> {
    return this.request({ type: 'framing', runId, spec }, { urgent: true, runId })
  }

  /** The bytes after a run's last chunk. */
  footer(runId: string, spec: GenerationSpec, chunks: { meta?: RowGroupMeta; offset: number }[]): Promise<Uint8Array> {
    return this.request({ type: 'footer', runId, spec, chunks }, { urgent: true, runId })
  }

  /**
   * What is wrong with a schema for these rows, seed and format (see engine/run/check.ts); empty when
   * nothing. Past `timeLimitMs` the worker is terminated and the promise rejects with WorkerTimeout.
   */
  check(schema: GenerationSchema, rows: number, seed: number, format: Format = 'csv', timeLimitMs?: number): Promise<SchemaIssue[]> {
    return this.request({ type: 'check', schema, rows, seed, format }, { urgent: true, timeLimitMs })
  }

  /**
   * Reads, profiles and fits an uploaded CSV (engine/dataset/profile.ts, engine/dataset/fit.ts); a bad file is
   * `{ ok: false, message }`.
   */
  profile(path: string): Promise<{ ok: true; profile: DatasetProfile; model: GenerationSchema } | { ok: false; message: string }> {
    return this.request({ type: 'profile', path }, { urgent: true })
  }

  /** Fits a model to a profiled CSV (engine/dataset/fit.ts), e.g. with column types a request overrode. */
  fit(path: string, profile: DatasetProfile): Promise<GenerationSchema> {
    return this.request({ type: 'fit', path, profile }, { urgent: true })
  }

  /**
   * Scores a job's sampled rows against the dataset its model was fitted to (engine/report/fidelity.ts); with
   * `runId`, cancelRun stops it too.
   */
  quality(path: string, profile: DatasetProfile, sample: CellValue[][], runId?: string): Promise<QualityReport> {
    return this.request({ type: 'quality', path, profile, sample }, { runId })
  }

  private dispatch(): void {
    // Every worker is busy and requests wait: start another, up to the pool's size.
    while (!this.closed && this.queue.length > this.slots.filter(slot => !slot.busy).length && this.slots.length < this.size) this.slots.push(this.spawn())
    for (const slot of this.slots) {
      if (slot.busy) continue
      const next = this.queue.shift()
      if (!next) return
      slot.busy = next
      if (next.timeLimitMs !== undefined) {
        const limit = next.timeLimitMs
        next.timer = setTimeout(() => { if (slot.busy === next) this.retire(slot, new WorkerTimeout(limit)) }, limit)
      }
      slot.worker.postMessage(next.request, next.transfer)
    }
  }

  /** Stops every worker; queued and running requests are rejected. */
  async close(): Promise<void> {
    this.closed = true
    const closedError = new Error('worker pool is closed')
    for (const waiting of this.queue.splice(0)) waiting.reject(closedError)
    for (const slot of this.slots) this.release(slot)?.reject(closedError)
    await Promise.all(this.slots.map(slot => slot.worker.terminate()))
  }
}
