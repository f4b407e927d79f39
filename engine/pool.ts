/**
 * A pool of worker threads that generate chunks, sized to the machine's cores by default, so the
 * process that serves HTTP only writes files and stays responsive.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { ChunkResult } from './chunk.ts'
import type { ChunkTask } from './worker.ts'

/** The worker entry next to this file (TypeScript, run by Node's type stripping). */
export const DEFAULT_WORKER_FILE = new URL('./worker.ts', import.meta.url)

/**
 * A small young generation: rows are short-lived garbage, and V8's default lets each worker's nursery
 * grow to hundreds of MB before collecting (measured with `npm run bench`: ~760 MB peak RSS at 1M
 * customers rows by default, ~490 MB with this, at the same speed).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8 }

interface Slot {
  worker: Worker
  busy?: { resolve(result: ChunkResult): void; reject(error: Error): void }
}

interface Waiting {
  task: ChunkTask
  resolve(result: ChunkResult): void
  reject(error: Error): void
}

export class WorkerPool {
  readonly size: number
  private readonly slots: Slot[] = []
  private readonly queue: Waiting[] = []
  private closed = false

  constructor(options: { size?: number; workerFile?: string | URL } = {}) {
    this.size = Math.max(1, options.size ?? availableParallelism())
    const file = options.workerFile ?? DEFAULT_WORKER_FILE
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn(file))
  }

  private spawn(file: string | URL): Slot {
    const slot: Slot = { worker: new Worker(file, { resourceLimits: WORKER_LIMITS }) }
    slot.worker.on('message', (message: { ok: true; result: ChunkResult } | { ok: false; message: string }) => {
      const busy = slot.busy
      slot.busy = undefined
      if (message.ok) busy?.resolve(message.result)
      else busy?.reject(new Error(message.message))
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

  /** Runs one chunk task on the next free worker. */
  run(task: ChunkTask): Promise<ChunkResult> {
    if (this.closed) return Promise.reject(new Error('worker pool is closed'))
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject })
      this.dispatch()
    })
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue
      const next = this.queue.shift()
      if (!next) return
      slot.busy = { resolve: next.resolve, reject: next.reject }
      slot.worker.postMessage(next.task)
    }
  }

  /** Stops every worker; queued tasks are rejected. */
  async close(): Promise<void> {
    this.closed = true
    const closedError = new Error('worker pool is closed')
    for (const waiting of this.queue.splice(0)) waiting.reject(closedError)
    for (const slot of this.slots) slot.busy?.reject(closedError)
    await Promise.all(this.slots.map(slot => slot.worker.terminate()))
  }
}
