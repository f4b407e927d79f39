/**
 * The process-wide job runner, as the worker plugin starts it and the routes reach it: the engine's
 * worker pools (engine-pool.ts), the job queue and lifecycle (job-queue.ts), and boot (boot.ts).
 */
import { EnginePool } from './engine-pool'
import { JobQueue } from './job-queue'
import { recoverJobs, warmUpEngine } from './boot'

export interface JobRunnerOptions {
  concurrency: number
  workers: number
  workerFile: string
  /** Jobs that may wait to start; more submissions are refused (503) until the queue drains. */
  maxQueued: number
  /** Seconds a finished job's files are kept (0: forever); fixes each job's `expires_at`. */
  artifactTtlSeconds: number
  /** Rows of the warm-up run at boot (see warmUpEngine in boot.ts); 0: none. */
  warmupRows: number
}

export class JobRunner {
  readonly engine: EnginePool
  readonly queue: JobQueue
  private closing: Promise<void> | undefined
  /** The boot warm-up while it runs: a shutdown waits for it to remove its temporary folder. */
  private warming: Promise<void> | undefined

  constructor(private readonly options: JobRunnerOptions) {
    this.engine = new EnginePool({ workers: options.workers, workerFile: options.workerFile })
    this.queue = new JobQueue(this.engine, options)
  }

  /** False once the server is shutting down: no new job is accepted. */
  get accepting(): boolean {
    return this.queue.accepting
  }

  /** Whether booting (recovery: quarantine, sweep, resume; then the warm-up) is over. */
  get recoveredAtBoot(): boolean {
    return this.queue.started
  }

  /** Boots (recovery, then the warm-up), then starts running jobs, even when recovery failed. */
  async start(): Promise<void> {
    try {
      await recoverJobs(this.queue)
      this.warming = warmUpEngine(this.engine, this.options.warmupRows)
      await this.warming
    }
    finally {
      this.queue.begin()
    }
  }

  /**
   * Stops taking jobs and interrupts running ones, which are re-queued (they run again on the next
   * start, with the same bytes). Resolves once every run has recorded that; calling it again waits too.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const stopped = this.queue.close()
      // Closing the pools rejects the chunks in flight, so the runs end now rather than after their chunks.
      await this.engine.close()
      await stopped
      await this.warming
    })()
    return this.closing
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
