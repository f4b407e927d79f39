import { WorkerPool } from '~~/engine/run/pool'

/**
 * A WorkerPool (the real TypeScript worker) whose calls each have a time bound: a call over it
 * rejects, and the pool is closed (terminating the thread still busy with it) and replaced, so a
 * hang or an out-of-memory death is a failed property, never a hung test run.
 */
export class BoundedPool {
  private pool: WorkerPool

  constructor(private readonly size = 1) {
    this.pool = new WorkerPool({ size })
  }

  /** Runs `work` on the pool; rejects (and replaces the pool) when it takes over `ms`. */
  async run<T>(ms: number, what: string, work: (pool: WorkerPool, signal: AbortSignal) => Promise<T>): Promise<T> {
    const pool = this.pool
    const controller = new AbortController()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)
    })
    try {
      return await Promise.race([work(pool, controller.signal), timeout])
    }
    catch (error) {
      const timedOut = (error as Error).message === `${what} took over ${ms} ms`
      if (timedOut && pool === this.pool) {
        controller.abort()
        this.pool = new WorkerPool({ size: this.size })
        await pool.close()
      }
      // Queued behind another call that timed out: not this call's fault, so it runs again.
      if (!timedOut && pool !== this.pool && (error as Error).message === 'worker pool is closed') return this.run(ms, what, work)
      throw error
    }
    finally {
      clearTimeout(timer)
    }
  }

  close(): Promise<void> {
    return this.pool.close()
  }
}
