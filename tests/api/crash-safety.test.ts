import { randomUUID } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Job, JobRecord } from '#shared/schema'
import { tempDataDir } from '../support/data-dir'
import { spawnServer, stopProcess, type ServerProcess } from '../support/server-process'

const started: ServerProcess[] = []
async function start(env: Record<string, string> & { NUXT_DATA_DIR: string }, options: { ready?: boolean } = {}) {
  const server = await spawnServer(env, options)
  started.push(server)
  return server
}
afterEach(async () => {
  for (const server of started.splice(0)) await stopProcess(server, 'SIGKILL')
})

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

async function submit(server: ServerProcess, body: unknown): Promise<string> {
  const response = await server.fetch('/generate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  expect(response.status).toBe(202)
  return ((await response.json()) as { job_id: string }).job_id
}

async function waitFor(server: ServerProcess, id: string, until: (job: Job) => boolean, timeoutMs = 90_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const job = await (await server.fetch(`/jobs/${id}`)).json() as Job
    if (until(job)) return job
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status}`)
    await sleep(100)
  }
}
const finished = (job: Job) => job.status !== 'queued' && job.status !== 'running'

describe('one server per data folder (server.lock)', () => {
  it('a second server on the same folder refuses to start, naming the first, which keeps working', async () => {
    const dataDir = tempDataDir()
    const first = await start({ NUXT_DATA_DIR: dataDir })
    const lock = JSON.parse(readFileSync(join(dataDir, 'server.lock'), 'utf8'))
    expect(lock.pid).toBe(first.child.pid)

    const second = await start({ NUXT_DATA_DIR: dataDir }, { ready: false })
    expect(await Promise.race([second.exited, sleep(30_000).then(() => 'still running after 30 s')])).toBe(1)
    expect(second.output()).toContain(`the data folder ${dataDir} is in use by another SDaaS server (pid ${first.child.pid}`)
    expect(second.output()).toContain('NUXT_DATA_DIR')

    // The first still owns the folder and works.
    expect(JSON.parse(readFileSync(join(dataDir, 'server.lock'), 'utf8')).pid).toBe(first.child.pid)
    const id = await submit(first, { template: 'orders', rows: 100, seed: 1 })
    expect((await waitFor(first, id, finished)).status).toBe('done')

    // A clean stop gives the folder back.
    expect((await stopProcess(first)).code).toBe(0)
    expect(existsSync(join(dataDir, 'server.lock'))).toBe(false)
  })

  it('takes over the lock of a server that was killed (kill -9)', async () => {
    const dataDir = tempDataDir()
    const killed = await start({ NUXT_DATA_DIR: dataDir })
    await stopProcess(killed, 'SIGKILL')
    expect(JSON.parse(readFileSync(join(dataDir, 'server.lock'), 'utf8')).pid).toBe(killed.child.pid)

    const next = await start({ NUXT_DATA_DIR: dataDir })
    expect(next.output()).toContain(`took over a stale lock on ${dataDir} (pid ${killed.child.pid} is gone)`)
    expect(JSON.parse(readFileSync(join(dataDir, 'server.lock'), 'utf8')).pid).toBe(next.child.pid)
    expect((await next.fetch('/healthz')).status).toBe(200)
  })
})

describe('warm-up at boot', () => {
  it('generates the default template once, outside the data folder, before saying healthy; a job submitted meanwhile waits for it', async () => {
    const dataDir = tempDataDir()
    const tmp = tempDataDir('sdaas-test-tmp-')
    // Large enough to be still warming up when the first /healthz comes.
    const server = await start({ NUXT_DATA_DIR: dataDir, NUXT_WARMUP_ROWS: '400000', TMPDIR: tmp }, { ready: false })
    let status = 0
    let id: string | undefined
    for (const deadline = Date.now() + 60_000; status !== 200 && Date.now() < deadline; await sleep(20)) {
      status = await server.fetch('/healthz').then(r => r.status, () => 0)
      if (status === 503 && !id) {
        expect(await (await server.fetch('/healthz')).json()).toMatchObject({ message: expect.stringMatching(/warming up/) })
        id = await submit(server, { template: 'orders', rows: 100, seed: 1 })
        expect((await (await server.fetch(`/jobs/${id}`)).json() as Job).status).toBe('queued')
      }
    }
    expect(status).toBe(200)
    expect(server.output()).toMatch(/\[jobs\] warmed up with 400000 rows of customers in \d+ ms/)
    expect(id).toBeDefined()
    expect((await waitFor(server, id!, finished)).status).toBe('done')
    // Nothing of it is left, in the temporary folder or in the data folder (where only the job's files are).
    expect(readdirSync(tmp)).toEqual([])
    expect(readdirSync(join(dataDir, 'jobs'))).toEqual([`${id}.json`])
  })

  it('a shutdown during the warm-up exits cleanly and leaves no temporary file', async () => {
    const tmp = tempDataDir('sdaas-test-tmp-')
    const server = await start({ NUXT_DATA_DIR: tempDataDir(), NUXT_WARMUP_ROWS: '5000000', TMPDIR: tmp }, { ready: false })
    // Stopped once the warm-up is writing its file.
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(20)) {
      const dirs = readdirSync(tmp)
      if (dirs.length && readdirSync(join(tmp, dirs[0]!)).length) break
    }
    expect(readdirSync(tmp)).toHaveLength(1)
    expect((await stopProcess(server)).code).toBe(0)
    expect(server.output()).not.toContain('warmed up')
    expect(server.output()).not.toContain('warm-up failed')
    expect(readdirSync(tmp)).toEqual([])
  })

  it('only logs when it cannot run (no temporary folder), and the server works', async () => {
    const server = await start({ NUXT_DATA_DIR: tempDataDir(), TMPDIR: join(tempDataDir(), 'missing') })
    expect(server.output()).toContain('[jobs] warm-up failed (jobs run anyway)')
    const id = await submit(server, { template: 'orders', rows: 100, seed: 1 })
    expect((await waitFor(server, id, finished)).status).toBe('done')
  })

  it('is skipped with NUXT_WARMUP_ROWS=0', async () => {
    const server = await start({ NUXT_DATA_DIR: tempDataDir(), NUXT_WARMUP_ROWS: '0' })
    expect(server.output()).not.toContain('warmed up')
  })
})

describe('unreadable job records', () => {
  it('are quarantined at boot with a log line, and the other jobs keep working', async () => {
    const dataDir = tempDataDir()
    let server = await start({ NUXT_DATA_DIR: dataDir })
    const [broken, kept] = [await submit(server, { template: 'orders', rows: 50, seed: 1 }), await submit(server, { template: 'orders', rows: 60, seed: 2 })]
    for (const id of [broken, kept]) expect((await waitFor(server, id, finished)).status).toBe('done')
    expect((await stopProcess(server)).code).toBe(0)

    const jobs = join(dataDir, 'jobs')
    const text = readFileSync(join(jobs, `${broken}.json`), 'utf8')
    writeFileSync(join(jobs, `${broken}.json`), text.slice(0, text.length / 2)) // truncated mid-write
    const notAJob = randomUUID()
    writeFileSync(join(jobs, `${notAJob}.json`), JSON.stringify({ job_id: notAJob, status: 'exploded' }))
    const empty = randomUUID()
    writeFileSync(join(jobs, `${empty}.json`), '')

    server = await start({ NUXT_DATA_DIR: dataDir })
    const quarantined = readdirSync(join(dataDir, 'quarantine', 'jobs'))
    expect(quarantined.map(name => name.slice(-41)).sort()).toEqual([broken, notAJob, empty].map(id => `${id}.json`).sort())
    expect(readFileSync(join(dataDir, 'quarantine', 'jobs', quarantined.find(n => n.endsWith(`${broken}.json`))!), 'utf8')).toBe(text.slice(0, text.length / 2))
    for (const id of [broken, notAJob, empty]) expect(server.output()).toMatch(new RegExp(`\\[jobs\\] quarantined unreadable job record ${id}\\.json to .*: `))
    expect(readdirSync(jobs)).toEqual([`${kept}.json`])

    const list = await (await server.fetch('/jobs')).json() as { jobs: Job[] }
    expect(list.jobs.map(j => j.job_id)).toEqual([kept])
    expect((await server.fetch(`/jobs/${broken}`)).status).toBe(404)
    expect((await server.fetch(`/download/${kept}`)).status).toBe(200)
    const next = await submit(server, { template: 'orders', rows: 10, seed: 3 })
    expect((await waitFor(server, next, finished)).status).toBe('done')
  })
})

describe('corrupt dataset records and models', () => {
  it('are quarantined at boot; the other samples keep working and a sample without its model says so', async () => {
    const dataDir = tempDataDir()
    let server = await start({ NUXT_DATA_DIR: dataDir })
    const upload = async (csv: string) => {
      const response = await server.fetch('/datasets', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv })
      expect(response.status).toBe(201)
      return ((await response.json()) as { dataset_id: string }).dataset_id
    }
    const rows = Array.from({ length: 60 }, (_, i) => `${i % 7},${(i * 37) % 101},${['a', 'b', 'c'][i % 3]}`).join('\n')
    const [noRecord, noModel, kept] = [await upload(`x,y,z\n${rows}\n`), await upload(`p,q,r\n${rows}\n`), await upload(`u,v,w\n${rows}\n`)]
    expect((await stopProcess(server)).code).toBe(0)

    const datasets = join(dataDir, 'datasets')
    const record = readFileSync(join(datasets, `${noRecord}.json`), 'utf8')
    writeFileSync(join(datasets, `${noRecord}.json`), record.slice(0, record.length / 2)) // truncated mid-write
    writeFileSync(join(datasets, `${noModel}.model.json`), JSON.stringify({ columns: 'lost' }))

    server = await start({ NUXT_DATA_DIR: dataDir })
    const quarantined = readdirSync(join(dataDir, 'quarantine', 'datasets')).map(name => name.slice(name.indexOf('Z-') + 2)).sort()
    expect(quarantined).toEqual([`${noRecord}.json`, `${noModel}.model.json`].sort())
    expect(server.output()).toMatch(new RegExp(`\\[datasets\\] quarantined unreadable dataset record ${noRecord}\\.json to .*: not JSON`))
    expect(server.output()).toMatch(new RegExp(`\\[datasets\\] quarantined unreadable dataset model ${noModel}\\.model\\.json to .*: not a dataset model`))
    // Nothing is deleted: the samples' files stay.
    for (const id of [noRecord, noModel, kept]) expect(existsSync(join(datasets, `${id}.csv`))).toBe(true)

    const list = await (await server.fetch('/datasets')).json() as { datasets: { dataset_id: string }[] }
    expect(list.datasets.map(d => d.dataset_id).sort()).toEqual([noModel, kept].sort())
    expect((await server.fetch(`/datasets/${noRecord}`)).status).toBe(404)
    const refused = await server.fetch('/generate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source: { dataset: noModel }, rows: 10 }) })
    expect(refused.status).toBe(400)
    expect(await refused.text()).toContain('missing or unreadable')
    const job = await submit(server, { source: { dataset: kept }, rows: 100, seed: 1 })
    expect((await waitFor(server, job, finished)).status).toBe('done')
  })
})

describe('SIGTERM', () => {
  it('refuses new jobs with 503, re-queues the running one, and exits within NUXT_SHUTDOWN_TIMEOUT_MS with a request still open', async () => {
    const dataDir = tempDataDir()
    const env = { NUXT_DATA_DIR: dataDir, NUXT_CONCURRENCY: '1', NUXT_SHUTDOWN_TIMEOUT_MS: '3000' }
    const server = await start(env)
    const id = await submit(server, { template: 'customers', rows: 2_000_000, seed: 6 })
    await waitFor(server, id, job => job.rows_written > 0, 60_000)

    // A submission whose body is still on its way when the signal comes, and a request that never ends.
    const body = JSON.stringify({ template: 'orders', rows: 10, seed: 1 })
    const late = request(`${server.url}/generate`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } })
    const answer = new Promise<{ status: number; text: string; retryAfter: string | undefined }>((resolve, reject) => {
      late.on('response', (response) => {
        let text = ''
        response.on('data', (chunk: Buffer) => { text += chunk })
        response.on('end', () => resolve({ status: response.statusCode!, text, retryAfter: response.headers['retry-after'] as string | undefined }))
      })
      late.on('error', reject)
    })
    late.write(body.slice(0, 10))
    const hanging = request(`${server.url}/generate`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1000' } })
    hanging.on('error', () => {})
    hanging.write('{"tem')
    await sleep(300)

    const signalledAt = Date.now()
    server.child.kill('SIGTERM')
    await sleep(300)
    late.end(body.slice(10))
    const refused = await answer
    expect(refused.status).toBe(503)
    expect(JSON.parse(refused.text)).toMatchObject({ statusCode: 503, message: expect.stringMatching(/shutting down/) })
    expect(refused.retryAfter).toBe('5')

    expect(await server.exited).toBe(0)
    const took = Date.now() - signalledAt
    expect(took).toBeGreaterThanOrEqual(2500)
    expect(took).toBeLessThan(3000 + 2000)
    expect(server.output()).toContain('requests still open after 3000 ms (NUXT_SHUTDOWN_TIMEOUT_MS): exiting now')

    // Only the accepted job exists, back in the queue as if it had never started, and the lock is released.
    expect(readdirSync(join(dataDir, 'jobs'))).toEqual([`${id}.json`])
    const record = JSON.parse(readFileSync(join(dataDir, 'jobs', `${id}.json`), 'utf8')) as JobRecord
    expect(record).toMatchObject({ status: 'queued', rows_written: 0, attempts: 0, started_at: null })
    expect(existsSync(join(dataDir, 'server.lock'))).toBe(false)

    // It finishes after the restart.
    const restarted = await start(env)
    const job = await waitFor(restarted, id, finished)
    expect(job).toMatchObject({ status: 'done', rows_written: 2_000_000 })
  })

  it('answers 503, not 500, to requests that reach the worker threads while it shuts down: a refit (source.columns) and an upload', async () => {
    const dataDir = tempDataDir()
    const server = await start({ NUXT_DATA_DIR: dataDir, NUXT_SHUTDOWN_TIMEOUT_MS: '5000' })
    const rows = Array.from({ length: 60 }, (_, i) => `${i % 7},${(i * 37) % 101},${['a', 'b', 'c'][i % 3]}`).join('\n')
    const csv = `x,y,z\n${rows}\n`
    const uploaded = await server.fetch('/datasets', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv })
    expect(uploaded.status).toBe(201)
    const { dataset_id } = (await uploaded.json()) as { dataset_id: string }

    // Both bodies are on their way when the signal comes, so both reach the pools once they are closed.
    const pending = (path: string, type: string, body: string) => {
      const sent = request(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': type, 'content-length': Buffer.byteLength(body) } })
      const answer = new Promise<{ status: number; text: string; retryAfter: string | undefined }>((resolve, reject) => {
        sent.on('response', (response) => {
          let text = ''
          response.on('data', (chunk: Buffer) => { text += chunk })
          response.on('end', () => resolve({ status: response.statusCode!, text, retryAfter: response.headers['retry-after'] as string | undefined }))
        })
        sent.on('error', reject)
      })
      sent.write(body.slice(0, 5))
      return { answer, finish: () => sent.end(body.slice(5)) }
    }
    const refit = pending('/generate', 'application/json', JSON.stringify({ source: { dataset: dataset_id, columns: { y: 'number' } }, rows: 10, seed: 1 }))
    const upload = pending('/datasets', 'text/csv', csv)
    await sleep(300)

    server.child.kill('SIGTERM')
    await sleep(300)
    refit.finish()
    upload.finish()
    for (const refused of await Promise.all([refit.answer, upload.answer])) {
      expect(refused.status).toBe(503)
      expect(JSON.parse(refused.text)).toMatchObject({ statusCode: 503, message: expect.stringMatching(/shutting down/) })
      expect(refused.retryAfter).toBe('5')
    }
    expect(await server.exited).toBe(0)
    // Neither left anything: no job, and only the first upload's files.
    expect(existsSync(join(dataDir, 'jobs')) ? readdirSync(join(dataDir, 'jobs')) : []).toEqual([])
    expect(readdirSync(join(dataDir, 'datasets')).every(name => name.startsWith(dataset_id))).toBe(true)
  })
})
