/**
 * The worker loop's engine room: a queue of job ids, at most `concurrency` jobs generating at once in
 * a shared pool of worker threads, progress persisted while running, cancellation, and recovery of
 * the jobs a previous process left queued or running.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WorkerPool, WorkerTimeout } from '~~/engine/run/pool'
import { generateToFile } from '~~/engine/run/generate'
import { evaluateSchemaJob } from '~~/engine/report/declared'
import { withTypes, type DatasetProfile } from '~~/engine/dataset/profile'
import type { GenerationSchema, Format, JobRecord } from '#shared/schema'

/** Rows the evaluator samples, whatever the output size. */
export const METRICS_SAMPLE_ROWS = 10_000
/** Rows kept for GET /preview (its `n` is capped at this). */
export const PREVIEW_ROWS = 1000
/** Starts of one job (a restart after a crash counts) before it is marked as an error. */
export const MAX_ATTEMPTS = 3
/** How often a running job's progress is written to the store. */
const PROGRESS_INTERVAL_MS = 250
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

export interface JobRunnerOptions {
  concurrency: number
  workers: number
  workerFile: string
  /** Jobs that may wait to start; more submissions are refused (503) until the queue drains. */
  maxQueued: number
  /** Seconds a finished job's files are kept (0: forever); fixes each job's `expires_at`. */
  artifactTtlSeconds: number
  /** Rows of the warm-up run at boot (see JobRunner.warmUp); 0: none. */
  warmupRows: number
}

/** The template the warm-up generates: the one the New job page starts with. */
const WARMUP_TEMPLATE = 'customers'

const now = () => new Date().toISOString()

const shuttingDown = () => retryLater(503, 'the server is shutting down; retry once it is back', 5)

class Canceled extends Error {}

export class JobRunner {
  private readonly queue: string[] = []
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>()
  private readonly pool: WorkerPool
  private readonly checks: WorkerPool
  /**
   * Jobs a crash interrupted: each runs alone, before any other job, so that a job that takes the
   * process down again is the only one charged for it (see start).
   */
  private readonly suspects = new Set<string>()
  /** Submissions whose record is being written: they hold a place in the queue already. */
  private admitting = 0
  private closing: Promise<void> | undefined
  /** No job starts before recovery has swept the previous process's leftovers. */
  private recovered = false
  /** The boot warm-up while it runs: a shutdown waits for it to remove its temporary folder. */
  private warming: Promise<void> | undefined

  constructor(private readonly options: JobRunnerOptions) {
    this.pool = new WorkerPool({ size: options.workers || undefined, workerFile: options.workerFile })
    this.checks = new WorkerPool({ size: CHECK_WORKERS, started: 1, workerFile: options.workerFile, heapMb: CHECK_HEAP_MB })
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

  /** Work for a request in the pool: a 503 when the server is shutting down (the pool is closing). */
  private async whileOpen<T>(work: () => Promise<T>): Promise<T> {
    if (this.closing) throw shuttingDown()
    try {
      return await work()
    }
    catch (error) {
      throw this.closing ? shuttingDown() : error
    }
  }

  /** False once the server is shutting down: no new job is accepted. */
  get accepting(): boolean {
    return !this.closing
  }

  /** Whether booting (recovery: quarantine, sweep, resume; then the warm-up) is over. */
  get recoveredAtBoot(): boolean {
    return this.recovered
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

  /** Fits a model to a profiled CSV in a worker thread. */
  fit(path: string, profile: DatasetProfile) {
    return this.pool.fit(path, profile)
  }

  /** Queues a job id (once). */
  enqueue(id: string): void {
    if (this.closing || this.queue.includes(id) || this.running.has(id)) return
    this.queue.push(id)
    this.pump()
  }

  /**
   * Starts running jobs: first removes what a killed process left half-written, then queues the jobs
   * it left queued or running (oldest first) ahead of any submitted since this process started.
   */
  async start(): Promise<void> {
    // The shipped templates are read and validated now rather than by the first request that names one.
    getTemplates().catch(error => console.error('[templates]', error))
    try {
      await quarantineUnreadableJobs()
      const index = await rebuildJobIndex()
      if (index.written || index.removed) console.info(`[jobs] job list index: ${index.written} entr(ies) written, ${index.removed} removed`)
      await quarantineUnreadableDatasets()
      const swept = await sweepTemporaryFiles()
      if (swept) console.info(`[jobs] removed ${swept} temporary file(s) left by an interrupted run`)
      const unfinished = (await listJobs()).filter(job => job.status === 'queued' || job.status === 'running').reverse()
      // Jobs left running were interrupted by a crash. Only a job that was running alone is known to
      // be the one that may have caused it: when several were, none is charged the attempt, and each
      // runs alone from now on, so a job that crashes the process again is charged on its own.
      const interrupted = unfinished.filter(job => job.status === 'running')
      for (const job of interrupted) {
        // Re-read: a DELETE may have canceled it since the list was taken.
        const current = await getJob(job.job_id)
        if (current?.status !== 'running') continue
        const attempts = interrupted.length > 1 ? Math.max(0, current.attempts - 1) : current.attempts
        await saveJob({ ...current, status: 'queued', progress: 0, rows_written: 0, started_at: null, attempts })
        this.suspects.add(job.job_id)
      }
      const resumed = unfinished.map(job => job.job_id)
      this.queue.splice(0, this.queue.length, ...resumed, ...this.queue.filter(id => !resumed.includes(id)))
      if (unfinished.length) console.info(`[jobs] resumed ${unfinished.length} unfinished job(s)`)
      this.warming = this.warmUp()
      await this.warming
    }
    finally {
      this.recovered = true
      this.pump()
    }
  }

  /**
   * Runs a small job of the default template the way jobs run (chunks in the workers, the writer,
   * the evaluator), into a temporary folder outside the data folder that is removed after, so that
   * V8 has compiled the hot code before the first real job: without it, that job spends its first
   * chunks in slower, not yet optimised code (about 10% of a 1M-row job). The workers keep the
   * template's compile (compileCached), which jobs of it then reuse. A failure is only logged.
   */
  private async warmUp(): Promise<void> {
    const rows = this.options.warmupRows
    if (rows <= 0 || this.closing) return
    const template = (await getTemplates().catch(() => undefined))?.get(WARMUP_TEMPLATE)
    if (!template) return
    const started = performance.now()
    let dir: string | undefined
    try {
      dir = await mkdtemp(join(tmpdir(), 'sdaas-warmup-'))
      const spec = { schema: template.schema, rows, format: 'csv' as const, seed: 1, sampleSize: METRICS_SAMPLE_ROWS, previewRows: PREVIEW_ROWS }
      evaluateSchemaJob(template.schema, await generateToFile(spec, { pool: this.pool, path: join(dir, 'warmup.csv') }))
      console.info(`[jobs] warmed up with ${rows} rows of ${WARMUP_TEMPLATE} in ${Math.round(performance.now() - started)} ms`)
    }
    catch (error) {
      // No temporary folder (a read-only TMPDIR, say): jobs run all the same, only colder. Closing
      // the pool (shutdown during boot) ends it too.
      if (!this.closing) console.warn('[jobs] warm-up failed (jobs run anyway):', error)
    }
    finally {
      if (dir) await rm(dir, { recursive: true, force: true })
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
    this.pool.cancelRun(id)
    await run.done
    return true
  }

  /**
   * Stops taking jobs and interrupts running ones, which are re-queued (they run again on the next
   * start, with the same bytes). Resolves once every run has recorded that; calling it again waits too.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.queue.length = 0
      for (const run of this.running.values()) run.controller.abort(new Error('server shutting down'))
      // Closing the pool rejects the chunks in flight, so the runs end now rather than after their chunks.
      await Promise.all([this.pool.close(), this.checks.close()])
      await Promise.all([...this.running.values()].map(run => run.done))
      await this.warming
    })()
    return this.closing
  }

  /** The next job to start, if one may start now: a suspect only alone, and nothing beside a suspect. */
  private next(): string | undefined {
    if (!this.recovered || this.closing || this.running.size >= this.options.concurrency) return undefined
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
      if (dataset) {
        // Canceling stops the scoring too: it runs under the job's id (see cancel).
        const profile = withTypes(dataset, job.source_columns)
        metrics.quality = await this.pool.quality(await datasetFile(dataset.dataset_id), profile, summary.sample, id)
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
