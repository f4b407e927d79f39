/**
 * `npm run loadtest`: the built server under load, on a fresh data folder.
 *
 * 1. While a 10M-row customers job runs (CSV + gzip: both cores busy for longer than the load lasts,
 *    and a smaller file), autocannon hammers GET /jobs/{id}: p50/p99 latency and errors (target: p99
 *    under 100 ms, no errors), and the job must still be running when it stops.
 * 2. 500 POST /generate at once (small jobs): 500 distinct ids, every one listed by GET /jobs, every
 *    one done. Nothing lost, nothing duplicated.
 *
 * Prints a table and exits non-zero when a target is missed.
 *
 *   npm run loadtest
 *   npm run loadtest -- --seconds 20 --connections 10 --burst 500
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { ensureBuild, startBuiltServer } from '../scripts/built-server.ts'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    connections: { type: 'string', default: '10' },
    burst: { type: 'string', default: '500' },
    rows: { type: 'string', default: '10000000' },
  },
})
const SECONDS = Number(args.seconds)
const CONNECTIONS = Number(args.connections)
const BURST = Number(args.burst)
const BIG_ROWS = Number(args.rows)
const P99_TARGET_MS = 100

interface Job { job_id: string; status: string; progress: number; error?: string }
interface Row { measure: string; value: string; target: string; ok: boolean | null }

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

async function postJob(url: string, body: unknown): Promise<{ status: number; id?: string; ms: number }> {
  const started = performance.now()
  const response = await fetch(`${url}/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const payload = await response.json() as { job_id?: string }
  return { status: response.status, id: payload.job_id, ms: performance.now() - started }
}

const getJob = async (url: string, id: string) => await (await fetch(`${url}/jobs/${id}`)).json() as Job

/** Every job GET /jobs lists, following next_cursor. */
async function listAll(url: string): Promise<Job[]> {
  const jobs: Job[] = []
  let cursor: string | null = null
  do {
    const page = await (await fetch(`${url}/jobs?limit=200${cursor ? `&cursor=${cursor}` : ''}`)).json() as { jobs: Job[]; next_cursor: string | null }
    jobs.push(...page.jobs)
    cursor = page.next_cursor
  } while (cursor)
  return jobs
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p / 100 * sorted.length))]!
const ms = (value: number) => `${value.toFixed(1)} ms`
const count = (value: number) => value.toLocaleString('en-US')

ensureBuild()
const dataDir = mkdtempSync(join(tmpdir(), 'sdaas-loadtest-'))
const server = await startBuiltServer(3950 + Math.floor(Math.random() * 40), { NUXT_DATA_DIR: dataDir, NUXT_RATE_LIMIT: '0', NUXT_MAX_ROWS: String(Math.max(BIG_ROWS, 10_000_000)) })
const { url } = server
const rows: Row[] = []
try {
  console.log(`Node ${process.version}, ${availableParallelism()} cores; server ${url}, data in ${dataDir}\n`)

  // 1. Status polling while a big job runs.
  const big = await postJob(url, { template: 'customers', rows: BIG_ROWS, format: 'csv', gzip: true, seed: 1 })
  if (big.status !== 202 || !big.id) throw new Error(`the ${count(BIG_ROWS)}-row job was not accepted (${big.status})`)
  for (let job = await getJob(url, big.id); job.status !== 'running'; job = await getJob(url, big.id)) {
    if (job.status !== 'queued') throw new Error(`the big job is ${job.status} ${job.error ?? ''}`)
    await sleep(20)
  }
  console.log(`GET /jobs/{id}: ${CONNECTIONS} connections for ${SECONDS} s while the ${count(BIG_ROWS)}-row job runs…`)
  const polled = await autocannon({ url: `${url}/jobs/${big.id}`, connections: CONNECTIONS, duration: SECONDS })
  const after = await getJob(url, big.id)
  const errors = polled.errors + polled.timeouts + polled.non2xx
  rows.push(
    { measure: 'GET /jobs/{id}: requests', value: `${count(polled.requests.total)} (${count(Math.round(polled.requests.average))}/s)`, target: '', ok: null },
    { measure: 'GET /jobs/{id}: latency p50', value: ms(polled.latency.p50), target: '', ok: null },
    { measure: 'GET /jobs/{id}: latency p99', value: ms(polled.latency.p99), target: `< ${P99_TARGET_MS} ms`, ok: polled.latency.p99 < P99_TARGET_MS },
    { measure: 'GET /jobs/{id}: latency max', value: ms(polled.latency.max), target: '', ok: null },
    { measure: 'GET /jobs/{id}: errors, timeouts, non-2xx', value: `${polled.errors}, ${polled.timeouts}, ${polled.non2xx}`, target: '0', ok: errors === 0 },
    { measure: `big job still running at the end (progress)`, value: `${after.status} (${(after.progress * 100).toFixed(0)}%)`, target: 'running', ok: after.status === 'running' },
  )

  // 2. A burst of small jobs: none lost, none duplicated.
  console.log(`POST /generate: ${BURST} at once…`)
  const burstStarted = performance.now()
  const burst = await Promise.all(Array.from({ length: BURST }, (_, i) => postJob(url, { template: 'customers', rows: 100, format: 'csv', seed: i }).catch(() => ({ status: 0, id: undefined, ms: Number.NaN }))))
  const burstSeconds = (performance.now() - burstStarted) / 1000
  const accepted = burst.filter(r => r.status === 202 && r.id)
  const ids = new Set(accepted.map(r => r.id!))
  const latencies = accepted.map(r => r.ms).sort((a, b) => a - b)
  const listed = await listAll(url)
  const listedIds = listed.map(j => j.job_id)
  const listedBurst = listedIds.filter(id => ids.has(id))
  // Every burst job to the end (the big one keeps one of the runner's slots meanwhile).
  const deadline = Date.now() + 10 * 60_000
  let finished: Job[] = []
  while (Date.now() < deadline) {
    finished = (await listAll(url)).filter(j => ids.has(j.job_id) && j.status !== 'queued' && j.status !== 'running')
    if (finished.length === ids.size) break
    await sleep(500)
  }
  const done = finished.filter(j => j.status === 'done').length
  rows.push(
    { measure: `POST /generate ×${BURST}: accepted (202)`, value: `${accepted.length} in ${burstSeconds.toFixed(1)} s`, target: String(BURST), ok: accepted.length === BURST },
    { measure: `POST /generate ×${BURST}: latency p50 / p99`, value: accepted.length ? `${ms(percentile(latencies, 50))} / ${ms(percentile(latencies, 99))}` : '-', target: '', ok: null },
    { measure: 'distinct job ids', value: String(ids.size), target: String(BURST), ok: ids.size === BURST },
    { measure: 'listed by GET /jobs (each once)', value: `${listedBurst.length} (${listed.length} jobs listed in all)`, target: String(BURST), ok: listedBurst.length === BURST && new Set(listedBurst).size === listedBurst.length && new Set(listedIds).size === listedIds.length },
    { measure: 'reached done', value: String(done), target: String(BURST), ok: done === BURST },
  )
  const bigJob = await getJob(url, big.id)
  console.log(`\nThe ${count(BIG_ROWS)}-row job is ${bigJob.status} (${(bigJob.progress * 100).toFixed(0)}%): deleting it.`)
  await fetch(`${url}/jobs/${big.id}`, { method: 'DELETE' })
}
finally {
  await server.stop()
  rmSync(dataDir, { recursive: true, force: true })
}

console.log()
console.table(rows.map(r => ({ measure: r.measure, value: r.value, target: r.target, '': r.ok === null ? '' : r.ok ? 'ok' : 'MISSED' })))
const missed = rows.filter(r => r.ok === false)
if (missed.length) {
  console.log(`Missed: ${missed.map(r => r.measure).join('; ')}`)
  process.exitCode = 1
}
