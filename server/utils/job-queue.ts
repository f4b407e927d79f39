/**
 * The job queue and each job's lifecycle: submission (with the queue's limit), at most `concurrency`
 * jobs running at once (a job a crash may have caused runs alone), a run from queued to done, error
 * or canceled with its progress persisted, cancellation, and the re-queueing of running jobs at shutdown.
 */
import { withTypes } from '~~/engine/dataset/profile'
import { evaluateSchemaJob } from '~~/engine/report/declared'
import { MAX_PREVIEW_ROWS, type Job, type JobRecord } from '#shared/schema'
import type { EnginePool } from './engine-pool'

/** Rows the evaluator samples, whatever the output size. */
export const METRICS_SAMPLE_ROWS = 10_000
/** Starts of one job (a restart after a crash counts) before it is marked as an error. */
export const MAX_ATTEMPTS = 3
/** How often a running job's progress is written to the store. */
const PROGRESS_INTERVAL_MS = 250

export interface JobQueueOptions {
  concurrency: number
  /** Jobs that may wait to start; more submissions are refused (503) until the queue drains. */
  maxQueued: number
  /** Seconds a finished job's files are kept (0: forever); fixes each job's `expires_at`. */
  artifactTtlSeconds: number
}

const now = () => new Date().toISOString()

class Canceled extends Error {}

export class JobQueue {
  private readonly queue: string[] = []
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>()
  /**
   * Jobs a crash interrupted: each runs alone, before any other job, so that a job that takes the
   * process down again is the only one charged for it (see boot.ts).
   */
  private readonly suspects = new Set<string>()
  /** Submissions whose record is being written: they hold a place in the queue already. */
  private admitting = 0
  private closing = false
  /** No job starts before boot has swept the previous process's leftovers (see begin). */
  private begun = false

  constructor(private readonly engine: EnginePool, private readonly options: JobQueueOptions) {}

  /** False once the server is shutting down: no new job is accepted. */
  get accepting(): boolean {
    return !this.closing
  }

  /** Whether jobs may start: boot is over. */
  get started(): boolean {
    return this.begun
  }

  /**
   * Accepts a new job: writes its record, then queues it. A 503 when the server is shutting down or
   * `maxQueued` jobs are waiting already (a place is held while the record is written, so concurrent
   * submissions cannot overshoot the limit).
   */
  async submit(job: JobRecord): Promise<void> {
    if (this.closing) throw shuttingDown()
    if (this.queue.length + this.admitting >= this.options.maxQueued) {
      throw retryLater(503, `the job queue is full (${this.options.maxQueued} jobs waiting, NUXT_MAX_QUEUED); retry later`, 30)
    }
    this.admitting++
    try {
      await saveJob(job)
    }
    finally {
      this.admitting--
    }
    // Should the server have started shutting down meanwhile, the saved job runs on the next start.
    this.enqueue(job.job_id)
  }

  /** Queues a job id (once). */
  enqueue(id: string): void {
    if (this.closing || this.queue.includes(id) || this.running.has(id)) return
    this.queue.push(id)
    this.pump()
  }

  /**
   * Puts the jobs a previous process left unfinished (oldest first) ahead of any submitted since this
   * one started; `suspects` (interrupted by a crash) will each run alone.
   */
  resume(ids: string[], suspects: string[]): void {
    for (const id of suspects) this.suspects.add(id)
    this.queue.splice(0, this.queue.length, ...ids, ...this.queue.filter(id => !ids.includes(id)))
  }

  /** Lets jobs start (boot is over, whether or not it went well). */
  begin(): void {
    this.begun = true
    this.pump()
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
    this.engine.cancelRun(id)
    await run.done
    return true
  }

  /**
   * DELETE /jobs/{id}: cancels a queued or running job and returns it as it is then (`canceled`, or
   * the final status of a job that finished meanwhile); deletes a finished job and its files and
   * returns null. 404 when there is no such job.
   */
  async cancelOrDelete(id: string): Promise<Job | null> {
    const job = await getJob(id)
    if (!job) throw notFound('job')
    if (job.status === 'queued' || job.status === 'running') {
      const stopped = await this.cancel(id)
      const after = await getJob(id)
      // A job that was not running (still queued, or left `running` by a stopped process) has no run
      // to record its cancellation; one that finished meanwhile keeps its status.
      if (after && (after.status === 'queued' || (!stopped && after.status === 'running'))) await saveJob({ ...after, status: 'canceled', finished_at: now() })
      const canceled = await getJob(id)
      if (!canceled) throw notFound('job')
      return publicJob(canceled)
    }
    // The record goes first, so no reader finds a done job whose files are gone.
    await removeJob(id)
    await removeArtifacts(id, job.format, job.gzip)
    return null
  }

  /**
   * Stops taking jobs and interrupts running ones, which are re-queued (they run again on the next
   * start, with the same bytes). Resolves once every run has recorded that.
   */
  close(): Promise<void> {
    this.closing = true
    this.queue.length = 0
    for (const run of this.running.values()) run.controller.abort(new Error('server shutting down'))
    return Promise.all([...this.running.values()].map(run => run.done)).then(() => {})
  }

  /** The next job to start, if one may start now: a suspect only alone, and nothing beside a suspect. */
  private next(): string | undefined {
    if (!this.begun || this.closing || this.running.size >= this.options.concurrency) return undefined
    if ([...this.running.keys()].some(id => this.suspects.has(id))) return undefined
    const suspect = this.queue.findIndex(id => this.suspects.has(id))
    if (suspect < 0) return this.queue.shift()
    return this.running.size === 0 ? this.queue.splice(suspect, 1)[0] : undefined
  }

  private pump(): void {
    for (let id = this.next(); id !== undefined; id = this.next()) {
      const controller = new AbortController()
      const done = this.run(id, controller.signal).catch((error) => {
        // Even the error status could not be written (the data folder is gone, say): log, and go on.
        console.error(`[jobs] job ${id} could not be recorded:`, error)
      }).finally(() => {
        this.running.delete(id)
        this.suspects.delete(id)
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
        schema: job.schema, rows: job.rows, format: job.format, seed: job.seed, sampleSize: METRICS_SAMPLE_ROWS, previewRows: MAX_PREVIEW_ROWS,
        escapeFormulas: job.escape_formulas, table: job.table ?? undefined,
      }
      const summary = await this.engine.generate(spec, {
        path,
        gzip: job.gzip,
        signal,
        onProgress: (rowsWritten) => {
          if (Date.now() - lastProgress < PROGRESS_INTERVAL_MS) return
          lastProgress = Date.now()
          void persist({ ...job, rows_written: rowsWritten, progress: rowsWritten / job.rows }).catch(() => {})
        },
      })
      const metrics = evaluateSchemaJob(job.schema, summary)
      const dataset = job.dataset ? await getDataset(job.dataset) : null
      if (dataset) {
        // Canceling stops the scoring too: it runs under the job's id (see cancel).
        const profile = withTypes(dataset, job.source_columns)
        metrics.quality = await this.engine.quality(await datasetFile(dataset.dataset_id), profile, summary.sample, id)
      }
      await writeJsonAtomic(await sidecarPath(id, 'metrics'), metrics)
      await writePreview(id, job.schema.columns.filter(c => !c.hidden).map(c => c.name), summary.preview)
      const ttl = this.options.artifactTtlSeconds
      // One clock reading for both, so a job expires exactly `ttl` after it finished.
      const finished = Date.now()
      const expires_at = ttl > 0 ? new Date(finished + ttl * 1000).toISOString() : null
      await persist({ ...job, status: 'done', progress: 1, rows_written: job.rows, finished_at: new Date(finished).toISOString(), bytes: summary.bytes, sha256: summary.sha256, expires_at })
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
