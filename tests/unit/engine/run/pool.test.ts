import { readdirSync, readFileSync } from 'node:fs'
import { getPriority } from 'node:os'
import { afterAll, describe, expect, it } from 'vitest'
import { RunCanceled, WORKER_NICE, WorkerPool, WorkerTimeout } from '~~/engine/run/pool'

/** Nice value of each thread of this process (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])]
    }
    catch {
      return [] // the thread ended meanwhile
    }
  })
}

describe.runIf(process.platform === 'linux')('worker threads yield the CPU to the HTTP thread', () => {
  const pool = new WorkerPool({ size: 2 })
  afterAll(() => pool.close())

  // A process already running at that nice or above has nothing to show.
  it.runIf(getPriority() < WORKER_NICE)(`runs each worker at nice ${WORKER_NICE}, and only the workers`, async () => {
    const priority = getPriority()
    const before = threadNices().filter(n => n === WORKER_NICE).length
    // Both workers answer (and so have started) before the threads are read.
    await Promise.all([1, 2].map(() => pool.check({ locale: 'en', columns: [{ name: 'a', kind: 'uuid', null_rate: 0, unique: false, hidden: false }] }, 10, 1)))
    expect(threadNices().filter(n => n === WORKER_NICE).length - before).toBe(2)
    expect(getPriority()).toBe(priority)
  })
})

describe('a worker that dies', () => {
  it('fails only the request it was running; the one waiting for it goes to its replacement', async () => {
    const pool = new WorkerPool({ size: 1, workerFile: new URL('../../../support/dying-worker.mjs', import.meta.url) })
    try {
      const schema = { locale: 'en', columns: [{ name: 'a', kind: 'uuid' as const, null_rate: 0, unique: false, hidden: false }] }
      const spec = { schema, rows: 10, format: 'csv' as const, seed: 1, sampleSize: 10, previewRows: 0 }
      const [chunk, issues] = await Promise.allSettled([
        pool.run({ runId: 'r', spec, start: 0, count: 10, recycled: new ArrayBuffer(16_384) }),
        pool.check(schema, 10, 1),
      ])
      expect(chunk).toMatchObject({ status: 'rejected', reason: { message: 'generator worker exited with code 3' } })
      expect(issues).toEqual({ status: 'fulfilled', value: [] })
      // And the pool still works.
      expect(await pool.check(schema, 10, 1)).toEqual([])
    }
    finally {
      await pool.close()
    }
  })
})

describe('a worker that does not answer', () => {
  const column = (name: string) => ({ name, kind: 'uuid' as const, null_rate: 0, unique: false, hidden: false })
  const stalling = { locale: 'en', columns: [column('stall')] }
  const ordinary = { locale: 'en', columns: [column('a')] }
  const spec = (schema: typeof ordinary) => ({ schema, rows: 10, format: 'csv' as const, seed: 1, sampleSize: 10, previewRows: 0 })
  const workerFile = new URL('../../../support/stalling-worker.mjs', import.meta.url)

  it('is terminated past the request\'s time limit, which then fails; its replacement takes the next request', async () => {
    const pool = new WorkerPool({ size: 1, workerFile })
    try {
      const [stalled, next] = await Promise.allSettled([pool.check(stalling, 10, 1, 'csv', 200), pool.check(ordinary, 10, 1, 'csv', 200)])
      expect(stalled).toMatchObject({ status: 'rejected', reason: expect.any(WorkerTimeout) })
      expect(next).toEqual({ status: 'fulfilled', value: [] })
    }
    finally {
      await pool.close()
    }
  })

  it('holds up no other request when the pool may grow: a second worker starts for the one waiting', async () => {
    const pool = new WorkerPool({ size: 2, started: 1, workerFile })
    try {
      const stalled = pool.check(stalling, 10, 1, 'csv', 60_000)
      stalled.catch(() => {})
      expect(await pool.check(ordinary, 10, 1)).toEqual([])
    }
    finally {
      await pool.close()
    }
  })

  it('is terminated when its run is canceled: the run\'s requests fail, queued or running, other runs go on', async () => {
    const pool = new WorkerPool({ size: 2, workerFile })
    try {
      const chunk = (runId: string, schema: typeof ordinary, start: number) => pool.run({ runId, spec: spec(schema), start, count: 1 })
      // Both workers stall on the canceled run's chunks; a third of its chunks waits in the queue.
      const doomed = [chunk('doomed', stalling, 0), chunk('doomed', stalling, 1), chunk('doomed', stalling, 2)]
      const other = chunk('other', ordinary, 0)
      pool.cancelRun('doomed')
      const settled = await Promise.allSettled(doomed)
      for (const result of settled) expect(result).toMatchObject({ status: 'rejected', reason: expect.any(RunCanceled) })
      expect(await other).toEqual([])
    }
    finally {
      await pool.close()
    }
  })
})
