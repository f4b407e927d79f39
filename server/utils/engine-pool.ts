/**
 * The owner of the engine's worker threads: the generation pool (job chunks, profiling, fitting,
 * scoring) and the schema-check pool. Every piece of work goes through one open/closed guard, so
 * whatever reaches a pool once the server is shutting down is a 503, never a 500.
 */
import { WorkerPool, WorkerTimeout } from '~~/engine/run/pool'
import { generateToFile, type GenerationOptions } from '~~/engine/run/generate'
import type { DatasetProfile } from '~~/engine/dataset/profile'
import type { GenerationSpec } from '~~/engine/run/chunk'
import type { CellValue, GenerationSchema, Format } from '#shared/schema'

/**
 * Longest a schema check (POST /generate) may take: past it the thread is terminated and the request
 * is a 400. Ordinary schemas take milliseconds; the slowest shipped template's check about 50 ms.
 */
export const CHECK_TIME_LIMIT_MS = 3000
/**
 * Threads that only check schemas, so a check never waits behind the chunks of running jobs: one from
 * the start, a second once checks wait for the first (a slow check then holds up no other).
 */
const CHECK_WORKERS = 2
/** Heap of a checking thread: a check generates a few rows; more memory than this is refused. */
const CHECK_HEAP_MB = 512

/** The 503 of work refused because the pools are closing. */
export const shuttingDown = () => retryLater(503, 'the server is shutting down; retry once it is back', 5)

export interface EnginePoolOptions {
  /** Generation threads (0: the pool's default). */
  workers: number
  workerFile: string
}

export class EnginePool {
  private readonly pool: WorkerPool
  private readonly checks: WorkerPool
  private closing: Promise<void> | undefined

  constructor(options: EnginePoolOptions) {
    this.pool = new WorkerPool({ size: options.workers || undefined, workerFile: options.workerFile })
    this.checks = new WorkerPool({ size: CHECK_WORKERS, started: 1, workerFile: options.workerFile, heapMb: CHECK_HEAP_MB })
  }

  /** False once the pools are closing (the server is shutting down). */
  get open(): boolean {
    return !this.closing
  }

  /**
   * What is wrong with a schema for these rows, seed and format, checked in a thread of its own within
   * CHECK_TIME_LIMIT_MS (past it, or past the thread's memory, an issue says so).
   */
  check(schema: GenerationSchema, rows: number, seed: number, format: Format) {
    return this.whileOpen(async () => {
      try {
        return await this.checks.check(schema, rows, seed, format, CHECK_TIME_LIMIT_MS)
      }
      catch (error) {
        if (this.closing) throw error
        const why = error instanceof WorkerTimeout
          ? `generating its first rows took longer than ${CHECK_TIME_LIMIT_MS} ms`
          : `generating its first rows failed (${error instanceof Error ? error.message : String(error)}; a check may use at most ${CHECK_HEAP_MB} MB)`
        return [{ path: ['schema'], message: `the schema cannot be used: ${why}; look for faker arguments, templates or expressions that make very large or slow values` }]
      }
    })
  }

  /** Profiles an uploaded CSV in a worker thread. */
  profile(path: string) {
    return this.whileOpen(() => this.pool.profile(path))
  }

  /** Fits a model to a profiled CSV in a worker thread. */
  fit(path: string, profile: DatasetProfile) {
    return this.whileOpen(() => this.pool.fit(path, profile))
  }

  /** Scores a run's sample against the dataset it imitates, in a worker thread, under the run's id (see cancelRun). */
  quality(path: string, profile: DatasetProfile, sample: CellValue[][], runId: string) {
    return this.whileOpen(() => this.pool.quality(path, profile, sample, runId))
  }

  /** Generates a whole file, its chunks in the generation threads (engine/run/generate.ts). */
  generate(spec: GenerationSpec, options: Omit<GenerationOptions, 'pool'>) {
    return this.whileOpen(() => generateToFile(spec, { ...options, pool: this.pool }))
  }

  /** Terminates the threads working for a run (a canceled job), so the cancel takes effect at once. */
  cancelRun(runId: string): void {
    this.pool.cancelRun(runId)
  }

  /** Closes both pools: the work in flight is rejected (a 503 for requests). Calling it again waits too. */
  close(): Promise<void> {
    this.closing ??= Promise.all([this.pool.close(), this.checks.close()]).then(() => {})
    return this.closing
  }

  /** Work in a pool: a 503 when the pools are closing, before it starts or while it runs. */
  private async whileOpen<T>(work: () => Promise<T>): Promise<T> {
    if (this.closing) throw shuttingDown()
    try {
      return await work()
    }
    catch (error) {
      throw this.closing ? shuttingDown() : error
    }
  }
}
