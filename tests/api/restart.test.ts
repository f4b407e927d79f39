import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fetch, startServer, stopServer, useTestContext } from '@nuxt/test-utils/e2e'
import { tempDataDir } from '../support/data-dir'
import { setupBuiltServer } from '../support/e2e'
import { getJob, submit, waitForJob } from '../support/api'

const dataDir = tempDataDir()
// One job at a time, so a second job is still queued when the server dies.
const env = { NUXT_DATA_DIR: dataDir, NUXT_CONCURRENCY: '1' }
await setupBuiltServer(env)

const etagOf = async (id: string) => (await fetch(`/download/${id}`)).headers.get('etag')

describe('jobs survive a server that stops', () => {
  it('runs again, after a kill -9, the jobs left running and queued, with the same bytes as an uninterrupted run', async () => {
    const request = { template: 'customers', rows: 1_500_000, format: 'csv', seed: 2024 }
    const running = await submit(request)
    const queued = await submit({ template: 'orders', rows: 2000, seed: 1 })
    const deadline = Date.now() + 60_000
    while ((await getJob(running)).rows_written === 0 && Date.now() < deadline) await new Promise(r => setTimeout(r, 50))
    expect((await getJob(running)).status).toBe('running')
    expect((await getJob(queued)).status).toBe('queued')

    const server = useTestContext().serverProcess!
    server.kill('SIGKILL')
    await stopServer()
    await startServer({ env })

    const [resumed, second] = [await waitForJob(running), await waitForJob(queued)]
    expect(resumed.status).toBe('done')
    expect(resumed.rows_written).toBe(1_500_000)
    expect(second.status).toBe('done')
    expect(readdirSync(join(dataDir, 'artifacts')).filter(f => f.endsWith('.tmp'))).toEqual([])

    const fresh = await waitForJob(await submit(request))
    expect(await etagOf(running)).toBe(await etagOf(fresh.job_id))
  })

  it('gives up on a job that did not finish in 3 starts (it may be what kills the server), recording why', async () => {
    const id = await submit({ template: 'orders', rows: 10, seed: 1 })
    await waitForJob(id)
    await stopServer()
    // As a server that died three times while running it would have left it.
    const path = join(dataDir, 'jobs', `${id}.json`)
    const record = JSON.parse(readFileSync(path, 'utf8'))
    writeFileSync(path, JSON.stringify({ ...record, status: 'running', attempts: 3, finished_at: null }))
    await startServer({ env })
    const job = await waitForJob(id)
    expect(job.status).toBe('error')
    expect(job.error).toMatch(/gave up after 3 attempts/)
  })

  it('charges a crash to no one when several jobs were running, then runs each of them alone', async () => {
    const ids = [await submit({ template: 'orders', rows: 200_000, seed: 2 }), await submit({ template: 'orders', rows: 200_000, seed: 3 })]
    for (const id of ids) await waitForJob(id)
    await stopServer()
    // As a server that crashed three times while both ran would have left them: which one brought it
    // down is not known, so neither may be given up on.
    for (const id of ids) {
      const path = join(dataDir, 'jobs', `${id}.json`)
      const record = JSON.parse(readFileSync(path, 'utf8'))
      writeFileSync(path, JSON.stringify({ ...record, status: 'running', attempts: 3, finished_at: null }))
    }
    await startServer({ env: { ...env, NUXT_CONCURRENCY: '2' } })
    const [first, second] = [await waitForJob(ids[0]!), await waitForJob(ids[1]!)]
    expect([first.status, second.status]).toEqual(['done', 'done'])
    // One after the other, although two jobs may run at once.
    const [a, b] = [first, second].sort((x, y) => x.started_at!.localeCompare(y.started_at!))
    expect(a!.finished_at! <= b!.started_at!).toBe(true)
    for (const id of ids) expect(JSON.parse(readFileSync(join(dataDir, 'jobs', `${id}.json`), 'utf8')).attempts).toBe(3)
    await stopServer()
    await startServer({ env })
  })

  it('a graceful stop (SIGTERM) leaves the running job queued, and it finishes after the restart', async () => {
    const id = await submit({ template: 'transactions', rows: 1_500_000, seed: 8 })
    const deadline = Date.now() + 60_000
    while ((await getJob(id)).rows_written === 0 && Date.now() < deadline) await new Promise(r => setTimeout(r, 50))
    await stopServer()
    await startServer({ env })
    const job = await waitForJob(id)
    expect(job.status).toBe('done')
    expect(job.rows_written).toBe(1_500_000)
  })
})
