/**
 * The worker loop's engine room: a queue of job ids, at most `concurrency` jobs generating at once in
 * a shared pool of worker threads, progress persisted while running, cancellation, and recovery of
 * the jobs a previous process left queued or running.
 */
import { WorkerPool } from '~~/engine/pool'
import { generateToFile } from '~~/engine/generate'
import { evaluateSchemaJob } from '~~/engine/evaluate'
import { withTypes, type DatasetProfile } from '~~/engine/profile'
import type { DatasetSchema, JobRecord } from '#shared/schema'

/** Rows the evaluator samples, whatever the output size. */
export const METRICS_SAMPLE_ROWS = 10_000
/** Rows kept for GET /preview (its `n` is capped at this). */
export const PREVIEW_ROWS = 1000
/** Starts of one job (a restart after a crash counts) before it is marked as an error. */
export const MAX_ATTEMPTS = 3
/** How often a running job's progress is written to the store. */
const PROGRESS_INTERVAL_MS = 250

export interface JobRunnerOptions {
  concurrency: number
  workers: number
  workerFile: string
}

const now = () => new Date().toISOString()

class Canceled extends Error {}

export class JobRunner {
  private readonly queue: string[] = []
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>()
  private readonly pool: WorkerPool
  private closed = false
  /** No job starts before recovery has swept the previous process's leftovers. */
  private recovered = false

  constructor(private readonly options: JobRunnerOptions) {
    this.pool = new WorkerPool({ size: options.workers || undefined, workerFile: options.workerFile })
  }

  /** What is wrong with a schema for these rows and seed (checked in a worker thread). */
  check(schema: DatasetSchema, rows: number, seed: number) {
    return this.pool.check(schema, rows, seed)
  }

  /** Profiles an uploaded CSV in a worker thread. */
  profile(path: string) {
    return this.pool.profile(path)
  }

  /** Fits a model to a profiled CSV in a worker thread. */
  fit(path: string, profile: DatasetProfile) {
    return this.pool.fit(path, profile)
  }

  /** Queues a job id (once). */
  enqueue(id: string): void {
    if (this.closed || this.queue.includes(id) || this.running.has(id)) return
    this.queue.push(id)
    this.pump()
  }

  /**
   * Starts running jobs: first removes what a killed process left half-written, then queues the jobs
   * it left queued or running (oldest first) ahead of any submitted since this process started.
   */
  async start(): Promise<void> {
    try {
      const swept = await sweepTemporaryFiles()
      if (swept) console.info(`[jobs] removed ${swept} temporary file(s) left by an interrupted run`)
      const unfinished = (await listJobs()).filter(job => job.status === 'queued' || job.status === 'running').reverse()
      for (const job of unfinished) {
        // Re-read: a DELETE may have canceled it since the list was taken.
        const current = await getJob(job.job_id)
        if (current?.status === 'running') await saveJob({ ...current, status: 'queued', progress: 0, rows_written: 0, started_at: null })
      }
      const resumed = unfinished.map(job => job.job_id)
      this.queue.splice(0, this.queue.length, ...resumed, ...this.queue.filter(id => !resumed.includes(id)))
      if (unfinished.length) console.info(`[jobs] resumed ${unfinished.length} unfinished job(s)`)
    }
    finally {
      this.recovered = true
      this.pump()
    }
  }

  /** Stops a queued or running job; resolves once it has stopped. False if it was neither. */
  async cancel(id: string): Promise<boolean> {
    const queuedAt = this.queue.indexOf(id)
    if (queuedAt >= 0) {
      this.queue.splice(queuedAt, 1)
      return true
    }
    const run = this.running.get(id)
    if (!run) return false
    run.controller.abort(new Canceled('canceled'))
    await run.done
    return true
  }

  /** Stops taking jobs, interrupts running ones (they stay unfinished and resume on the next start). */
  async close(): Promise<void> {
    this.closed = true
    this.queue.length = 0
    for (const run of this.running.values()) run.controller.abort(new Error('server shutting down'))
    // Closing the pool rejects the chunks in flight, so the runs end now rather than after their chunks.
    await this.pool.close()
    await Promise.all([...this.running.values()].map(run => run.done))
  }

  private pump(): void {
    while (this.recovered && !this.closed && this.running.size < this.options.concurrency && this.queue.length) {
      const id = this.queue.shift()!
      const controller = new AbortController()
      const done = this.run(id, controller.signal).catch((error) => {
        // Even the error status could not be written (the data folder is gone, say): log, and go on.
        console.error(`[jobs] job ${id} could not be recorded:`, error)
      }).finally(() => {
        this.running.delete(id)
        this.pump()
      })
      this.running.set(id, { controller, done })
    }
  }

  private async run(id: string, signal: AbortSignal): Promise<void> {
    const queued = await getJob(id)
    if (!queued || queued.status !== 'queued') return
    if (queued.attempts >= MAX_ATTEMPTS) {
      // It keeps failing, or took the server down with it: stop retrying, and say so.
      await saveJob({ ...queued, status: 'error', finished_at: now(), error: `gave up after ${queued.attempts} attempts that did not finish` })
      return
    }
    let job: JobRecord = { ...queued, status: 'running', started_at: now(), attempts: queued.attempts + 1 }
    // Writes of one job are chained so a late progress write never lands after the final status.
    let writes = saveJob(job)
    const persist = (next: JobRecord) => {
      job = next
      // A failed write must not block the later ones (the final status above all).
      writes = writes.catch(() => {}).then(() => saveJob(next))
      return writes
    }
    let lastProgress = 0
    try {
      const path = await artifactPath(id, job.format, job.gzip)
      const spec = {
        schema: job.schema, rows: job.rows, format: job.format, seed: job.seed, sampleSize: METRICS_SAMPLE_ROWS, previewRows: PREVIEW_ROWS,
        escapeFormulas: job.escape_formulas, table: job.table ?? undefined,
      }
      const summary = await generateToFile(
        spec,
        {
          pool: this.pool,
          path,
          gzip: job.gzip,
          signal,
          onProgress: (rowsWritten) => {
            if (Date.now() - lastProgress < PROGRESS_INTERVAL_MS) return
            lastProgress = Date.now()
            void persist({ ...job, rows_written: rowsWritten, progress: rowsWritten / job.rows }).catch(() => {})
          },
        },
      )
      const metrics = evaluateSchemaJob(job.schema, summary)
      const dataset = job.dataset ? await getDataset(job.dataset) : null
      if (dataset) metrics.quality = await this.pool.quality(await datasetFile(dataset.dataset_id), withTypes(dataset, job.source_columns), summary.sample)
      await writeJsonAtomic(await sidecarPath(id, 'metrics'), metrics)
      await writeJsonAtomic(await sidecarPath(id, 'preview'), { columns: job.schema.columns.filter(c => !c.hidden).map(c => c.name), rows: summary.preview })
      await persist({ ...job, status: 'done', progress: 1, rows_written: job.rows, finished_at: now(), bytes: summary.bytes, sha256: summary.sha256 })
    }
    catch (error) {
      await writes.catch(() => {})
      if (signal.aborted && !(signal.reason instanceof Canceled)) {
        // Shutdown: leave the job for the next start, which runs it again from the beginning; a clean
        // interruption does not count as an attempt.
        await persist({ ...job, status: 'queued', progress: 0, rows_written: 0, started_at: null, attempts: queued.attempts })
        return
      }
      // A job deleted while running has no record left to update.
      if (!(await getJob(id))) return
      if (signal.aborted) await persist({ ...job, status: 'canceled', finished_at: now() })
      else {
        console.error(`[jobs] job ${id} failed:`, error)
        await persist({ ...job, status: 'error', finished_at: now(), error: error instanceof Error ? error.message : String(error) })
      }
    }
  }
}

let current: JobRunner | undefined

/** Starts the process-wide runner (the worker plugin does this once). */
export function startJobRunner(options: JobRunnerOptions): JobRunner {
  current = new JobRunner(options)
  return current
}

/** The running job runner. */
export function useJobRunner(): JobRunner {
  if (!current) throw new Error('job runner is not started')
  return current
}
