/**
 * `npm run bench`: rows/s, MB/s and peak memory of a large template job through the engine, beside
 * the plain approach (faker calls per row streamed through csv-stringify) on the same machine. Each
 * side runs in its own child process so their memory peaks do not mix.
 *
 *   npm run bench                        # customers, 1,000,000 rows
 *   npm run bench -- --rows 10000000     # any row count
 *   npm run bench -- --template orders   # any template (the baseline always writes customers-like rows)
 */
import { spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { faker } from '@faker-js/faker'
import { stringify } from 'csv-stringify'
import { templateSchema } from '../shared/schema.ts'
import { generateToFile } from '../engine/generate.ts'
import { WorkerPool } from '../engine/pool.ts'

interface Result {
  name: string
  rows: number
  seconds: number
  bytes: number
  peakRssMb: number
}

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'baseline-rows': { type: 'string' },
    template: { type: 'string', default: 'customers' },
    phase: { type: 'string' },
  },
})
const rows = Number(args.rows)
const baselineRows = Number(args['baseline-rows'] ?? Math.min(rows, 1_000_000))

/** Samples RSS every 20 ms; returns a function that stops and gives the peak in MB. */
function trackPeakRss(): () => number {
  let peak = process.memoryUsage.rss()
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, 20)
  return () => {
    clearInterval(timer)
    return Math.max(peak, process.memoryUsage.rss()) / 1e6
  }
}

async function runEngine(dir: string): Promise<Result> {
  const template = templateSchema.parse(JSON.parse(readFileSync(new URL(`../templates/${args.template}.json`, import.meta.url), 'utf8')))
  const pool = new WorkerPool()
  const path = join(dir, 'engine.csv')
  const peak = trackPeakRss()
  const started = performance.now()
  await generateToFile({ schema: template.schema, rows, format: 'csv', seed: 1, sampleSize: 10_000, previewRows: 1000 }, { pool, path })
  const seconds = (performance.now() - started) / 1000
  const peakRssMb = peak()
  await pool.close()
  return { name: `SDaaS engine (${args.template}, ${pool.size} workers)`, rows, seconds, bytes: statSync(path).size, peakRssMb }
}

async function runBaseline(dir: string): Promise<Result> {
  faker.seed(1)
  const path = join(dir, 'baseline.csv')
  const out = createWriteStream(path)
  const csv = stringify({ header: true, columns: ['id', 'first_name', 'last_name', 'email', 'age', 'balance', 'segment', 'signup_at', 'city', 'active'] })
  csv.pipe(out)
  const peak = trackPeakRss()
  const started = performance.now()
  const segments = ['consumer', 'small_business', 'enterprise', 'public_sector']
  for (let id = 1; id <= baselineRows; id++) {
    const ok = csv.write([
      id,
      faker.person.firstName(),
      faker.person.lastName(),
      faker.internet.email(),
      faker.number.int({ min: 18, max: 90 }),
      faker.number.float({ min: 0, max: 25000, fractionDigits: 2 }),
      faker.helpers.arrayElement(segments),
      faker.date.between({ from: '2019-01-01T00:00:00Z', to: '2025-12-31T23:59:59Z' }).toISOString(),
      faker.location.city(),
      faker.datatype.boolean(0.82),
    ])
    if (!ok) await once(csv, 'drain')
  }
  csv.end()
  await once(out, 'close')
  const seconds = (performance.now() - started) / 1000
  return { name: 'baseline: faker + csv-stringify stream', rows: baselineRows, seconds, bytes: statSync(path).size, peakRssMb: peak() }
}

if (args.phase) {
  const dir = mkdtempSync(join(tmpdir(), 'sdaas-bench-'))
  try {
    const result = args.phase === 'engine' ? await runEngine(dir) : await runBaseline(dir)
    process.stdout.write(`${JSON.stringify(result)}\n`)
  }
  finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
else {
  const phase = (name: string): Result => {
    const child = spawnSync(process.execPath, [import.meta.filename, ...process.argv.slice(2), '--phase', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    if (child.status !== 0) throw new Error(`bench phase ${name} failed`)
    return JSON.parse(child.stdout.trim().split('\n').pop()!) as Result
  }
  console.log(`Node ${process.version}, ${availableParallelism()} cores; ${rows.toLocaleString('en-US')} rows (baseline ${baselineRows.toLocaleString('en-US')})\n`)
  const results = [phase('engine'), phase('baseline')]
  const rate = (r: Result) => r.rows / r.seconds
  const table = results.map(r => ({
    run: r.name,
    rows: r.rows.toLocaleString('en-US'),
    seconds: r.seconds.toFixed(2),
    'rows/s': Math.round(rate(r)).toLocaleString('en-US'),
    'MB/s': (r.bytes / 1e6 / r.seconds).toFixed(1),
    'peak RSS MB': r.peakRssMb.toFixed(0),
  }))
  console.table(table)
  console.log(`\nengine / baseline rows/s: ${(rate(results[0]!) / rate(results[1]!)).toFixed(2)}x`)
}
