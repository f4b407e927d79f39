/**
 * `npm run bench`: end-to-end speed of the job path the API uses (POST /generate on the built server,
 * until GET /jobs/:id says done), beside the plain approach (faker calls per row streamed through
 * csv-stringify) for the same customers columns, in the same run on the same machine. Each run gets
 * a fresh process, so its peak RSS (the kernel's VmHWM, worker threads included) is its own.
 *
 *   npm run bench                          # customers CSV at 1M and 10M rows, Parquet at 1M, baseline at 1M
 *   npm run bench -- --quick               # 1M rows only
 */
import { spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { faker } from '@faker-js/faker'
import { stringify } from 'csv-stringify'
import { ensureBuild, startBuiltServer } from '../scripts/built-server.ts'

interface Result {
  run: string
  rows: number
  seconds: number
  bytes: number
  peakRssMb: number
}

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, phase: { type: 'string' }, rows: { type: 'string' } } })

/** Peak resident memory of a process so far (Linux), in MB. */
function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) / 1024 : Number.NaN
}

/** The plain approach, run in a child process: faker per row, streamed through csv-stringify. */
async function baseline(rows: number): Promise<void> {
  faker.seed(1)
  const dir = mkdtempSync(join(tmpdir(), 'sdaas-bench-'))
  const path = join(dir, 'baseline.csv')
  const out = createWriteStream(path)
  const csv = stringify({ header: true, columns: ['id', 'first_name', 'last_name', 'email', 'age', 'balance', 'segment', 'signup_at', 'city', 'active'] })
  csv.pipe(out)
  const started = performance.now()
  const segments = ['consumer', 'small_business', 'enterprise', 'public_sector']
  for (let id = 1; id <= rows; id++) {
    const ok = csv.write([
      id, faker.person.firstName(), faker.person.lastName(), faker.internet.email(), faker.number.int({ min: 18, max: 90 }),
      faker.number.float({ min: 0, max: 25000, fractionDigits: 2 }), faker.helpers.arrayElement(segments),
      faker.date.between({ from: '2019-01-01T00:00:00Z', to: '2025-12-31T23:59:59Z' }).toISOString(), faker.location.city(), faker.datatype.boolean(0.82),
    ])
    if (!ok) await once(csv, 'drain')
  }
  csv.end()
  await once(out, 'close')
  const seconds = (performance.now() - started) / 1000
  const result: Result = { run: 'baseline: faker + csv-stringify (1 thread)', rows, seconds, bytes: statSync(path).size, peakRssMb: peakRssMb(process.pid) }
  rmSync(dir, { recursive: true, force: true })
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

/** One job through the built server: submit to done. */
async function jobRun(label: string, body: Record<string, unknown>, port: number): Promise<Result> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sdaas-bench-data-'))
  const server = await startBuiltServer(port, { NUXT_DATA_DIR: dataDir, NUXT_MAX_ROWS: '100000000', NUXT_RATE_LIMIT: '0' })
  const { url } = server
  try {
    const started = performance.now()
    const response = await fetch(`${url}/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const { job_id: id } = await response.json() as { job_id: string }
    let job: { status: string; bytes: number | null; error?: string }
    do {
      await new Promise(r => setTimeout(r, 25))
      job = await (await fetch(`${url}/jobs/${id}`)).json() as typeof job
    } while (job.status === 'queued' || job.status === 'running')
    const seconds = (performance.now() - started) / 1000
    if (job.status !== 'done') throw new Error(`${label}: job ${job.status} ${job.error ?? ''}`)
    return { run: label, rows: Number(body.rows), seconds, bytes: job.bytes ?? 0, peakRssMb: peakRssMb(server.process.pid!) }
  }
  finally {
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

if (args.phase === 'baseline') await baseline(Number(args.rows))
else {
  ensureBuild()
  const baselineRows = 1_000_000
  console.log(`Node ${process.version}, ${availableParallelism()} cores. Job runs: POST /generate → done on the built server.\n`)
  const results: Result[] = []
  const port = 3900 + Math.floor(Math.random() * 50)
  results.push(await jobRun('SDaaS customers → CSV', { template: 'customers', rows: 1_000_000, format: 'csv', seed: 1 }, port))
  if (!args.quick) results.push(await jobRun('SDaaS customers → CSV', { template: 'customers', rows: 10_000_000, format: 'csv', seed: 1 }, port + 1))
  results.push(await jobRun('SDaaS customers → Parquet', { template: 'customers', rows: 1_000_000, format: 'parquet', seed: 1 }, port + 2))
  results.push(await jobRun('SDaaS customers → CSV + gzip', { template: 'customers', rows: 1_000_000, format: 'csv', gzip: true, seed: 1 }, port + 3))
  const child = spawnSync(process.execPath, [import.meta.filename, '--phase', 'baseline', '--rows', String(baselineRows)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  if (child.status !== 0) throw new Error('baseline failed')
  const base = JSON.parse(child.stdout.trim().split('\n').pop()!) as Result
  results.push(base)
  const rate = (r: Result) => r.rows / r.seconds
  console.table(results.map(r => ({
    run: r.run,
    rows: r.rows.toLocaleString('en-US'),
    seconds: r.seconds.toFixed(2),
    'rows/s': Math.round(rate(r)).toLocaleString('en-US'),
    'MB/s': (r.bytes / 1e6 / r.seconds).toFixed(1),
    'peak RSS MB': r.peakRssMb.toFixed(0),
    'vs baseline': `${(rate(r) / rate(base)).toFixed(2)}x`,
  })))
}
