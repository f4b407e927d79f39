/**
 * `npm run bench`: end-to-end speed of the job path the API uses (POST /generate on the built server,
 * until the job's event stream, GET /jobs/:id/events, says done), beside the plain approach (faker
 * calls per row streamed through csv-stringify) for the same customers columns, in the same run on
 * the same machine. Each run gets a fresh process, so its peak RSS (the kernel's VmHWM, worker
 * threads included) is its own.
 *
 * Then, in a process of its own, fitting: a synthesised CSV of 100,000 rows × 20 columns profiled and
 * fitted as POST /datasets does, and the quality report of 1,000,000 rows generated from the model
 * against it.
 *
 *   npm run bench                          # customers CSV at 1M and 10M rows, Parquet at 1M, baseline at 1M, fitting
 *   npm run bench -- --quick               # 1M rows only (and fitting)
 *   npm run bench -- --runs 5              # each job 5 times (default 3), each on a fresh server; the median is shown
 *   npm run bench -- --phase fit           # fitting only
 *   npm run bench -- --phase hostile       # the server's peak RSS with a job of the widest rows allowed beside an ordinary one
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
import { generationSchema, MAX_PREVIEW_ROWS, type CellValue, type GenerationSchema } from '../shared/schema.ts'
import { compileSchema } from '../engine/schema/columns.ts'
import { profileAndFit } from '../engine/dataset/fit.ts'
import { loadLocale } from '../engine/schema/locales.ts'
import { csvField } from '../engine/encode/csv.ts'
import { fittedQuality, QualityRows } from '../engine/report/fidelity.ts'
import { evaluateSchemaJob } from '../engine/report/declared.ts'
import { generateToFile } from '../engine/run/generate.ts'
import { WorkerPool } from '../engine/run/pool.ts'
import { vegaCsv } from '../tests/support/vega.ts'
import { RowRandom } from '../engine/schema/random.ts'

interface Result {
  run: string
  rows: number
  seconds: number
  bytes: number
  peakRssMb: number
  /** Several runs of a job: every run's seconds (`seconds` is their median). */
  runs?: number[]
}

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, phase: { type: 'string' }, rows: { type: 'string' }, runs: { type: 'string', default: '3' } } })
/** Runs of each SDaaS job (--runs): a whole number, at least 1. */
const runCount = Math.max(1, Math.floor(Number(args.runs)) || 1)

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

/** The table the fitting phase fits: 20 columns of every fitted kind, some of them correlated. */
const FIT_SOURCE = generationSchema.parse({
  columns: [
    { name: 'region', kind: 'categorical', categories: ['north', 'south', 'east', 'west', 'centre'].map((value, i) => ({ value, weight: i + 1 })) },
    { name: 'segment', kind: 'categorical', categories: ['consumer', 'small_business', 'enterprise', 'public'].map(value => ({ value })) },
    { name: 'plan', kind: 'categorical', categories: [{ value: 'free', weight: 6 }, { value: 'pro', weight: 3 }, { value: 'team', weight: 1 }] },
    { name: 'active', kind: 'boolean', probability: 0.8 },
    { name: 'rating', kind: 'integer', min: 1, max: 5 },
    { name: 'age', kind: 'integer', min: 18, max: 90, distribution: { type: 'normal', mean: 41, sd: 12 } },
    { name: 'income', kind: 'float', distribution: { type: 'lognormal', mu: 10.8, sigma: 0.5 }, decimals: 2 },
    { name: 'balance', kind: 'float', min: -500, max: 25000, distribution: { type: 'gamma', shape: 2, scale: 1500 }, decimals: 2, null_rate: 0.05 },
    { name: 'score', kind: 'float', min: 0, max: 1, distribution: { type: 'beta', alpha: 2, beta: 5 }, decimals: 4 },
    { name: 'visits', kind: 'integer', min: 0, distribution: { type: 'poisson', lambda: 12 } },
    { name: 'tenure_days', kind: 'integer', min: 0, max: 3650 },
    { name: 'latitude', kind: 'float', min: 35, max: 60, decimals: 5 },
    { name: 'longitude', kind: 'float', min: -10, max: 30, decimals: 5 },
    { name: 'temperature', kind: 'float', distribution: { type: 'normal', mean: 14, sd: 6 }, decimals: 1 },
    { name: 'spend', kind: 'float', min: 0, distribution: { type: 'gamma', shape: 3, scale: 40 }, decimals: 2 },
    { name: 'items', kind: 'integer', min: 1, max: 40, distribution: { type: 'exponential', rate: 0.2 } },
    { name: 'discount', kind: 'float', min: 0, max: 0.5, decimals: 3, null_rate: 0.2 },
    { name: 'weight_kg', kind: 'float', distribution: { type: 'normal', mean: 75, sd: 14 }, decimals: 1 },
    { name: 'signup', kind: 'date', start: '2018-01-01', end: '2025-06-30' },
    { name: 'last_seen', kind: 'datetime', start: '2025-01-01T00:00:00Z', end: '2025-06-30T23:59:59Z' },
  ],
  correlations: [{ columns: ['age', 'income', 'spend', 'tenure_days', 'weight_kg'], matrix: [[1, 0.5, 0.3, 0.4, 0.2], [0.5, 1, 0.6, 0.3, 0], [0.3, 0.6, 1, 0.2, 0], [0.4, 0.3, 0.2, 1, 0], [0.2, 0, 0, 0, 1]] }],
})

/** Rows of a schema generated in this thread, in batches of reused arrays (as the worker pool makes chunks). */
function* batchesOf(schema: GenerationSchema, rows: number, seed: number, size = 20_000): Generator<CellValue[][]> {
  const compiled = compileSchema(schema, { rows, seed })
  const rng = new RowRandom(seed)
  const batch = Array.from({ length: Math.min(size, rows) }, () => new Array<CellValue>(schema.columns.length))
  for (let start = 0; start < rows; start += size) {
    const count = Math.min(size, rows - start)
    for (let k = 0; k < count; k++) compiled.fillRow(rng, start + k, batch[k]!)
    yield count === batch.length ? batch : batch.slice(0, count)
  }
}

/** A step's result and its seconds. */
async function timed<T>(run: () => Promise<T> | T): Promise<[T, number]> {
  const started = performance.now()
  const result = await run()
  return [result, (performance.now() - started) / 1000]
}

/**
 * vega's `cars` (406 × 9) as a user uploads it: profile and fit, then 100,000 rows made as a job
 * makes them (CSV through the worker pool, already started as in a running server), then the job's
 * evaluation (its checks and the quality report of its 10,000-row sample).
 */
async function carsRun(dir: string): Promise<{ step: string; seconds: string }[]> {
  const source = vegaCsv('cars')
  const pool = new WorkerPool()
  try {
    await pool.check(FIT_SOURCE, 1, 1)
    const [{ profile, model }, fitSeconds] = await timed(() => profileAndFit(source.path, 1))
    const schema = generationSchema.parse(model)
    const rows = 100_000
    // The job runner's sample and preview sizes (server/utils/job-queue.ts).
    const [summary, generateSeconds] = await timed(() => generateToFile({ schema, rows, format: 'csv', seed: 1, sampleSize: 10_000, previewRows: MAX_PREVIEW_ROWS }, { pool, path: join(dir, 'cars-out.csv') }))
    const [, evaluateSeconds] = await timed(() => {
      evaluateSchemaJob(schema, summary)
      return pool.quality(source.path, profile, summary.sample)
    })
    const label = `vega cars, ${profile.rows} rows × ${profile.columns.length} columns`
    return [
      { step: `${label}: profile + fit, then ${rows.toLocaleString('en-US')} rows → CSV through the worker pool (target: well under 1 s)`, seconds: `${(fitSeconds + generateSeconds).toFixed(2)} (${fitSeconds.toFixed(2)} + ${generateSeconds.toFixed(2)})` },
      { step: `${label}: the job's evaluation and quality report of its ${summary.sample.length.toLocaleString('en-US')}-row sample`, seconds: evaluateSeconds.toFixed(2) },
    ]
  }
  finally {
    await pool.close()
  }
}

/** The fitting phase, in a process of its own: profile + fit of 100k × 20, quality of 1M generated rows. */
async function fitPhase(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sdaas-bench-fit-'))
  await loadLocale('en')
  try {
    const path = join(dir, 'real.csv')
    const realRows = 100_000
    const out = createWriteStream(path)
    out.write(`${FIT_SOURCE.columns.map(c => c.name).join(',')}\n`)
    for (const batch of batchesOf(FIT_SOURCE, realRows, 1)) {
      for (const cells of batch) {
        if (!out.write(`${cells.map(v => csvField(v)).join(',')}\n`)) await once(out, 'drain')
      }
    }
    out.end()
    await once(out, 'close')
    const [{ profile, model }, fitSeconds] = await timed(() => profileAndFit(path, 1))
    // The million rows are generated in batches (as the worker pool's chunks are) and coded for the
    // quality report as they come, each step timed apart, so they are never all held as rows.
    const syntheticRows = 1_000_000
    const synthetic = new QualityRows(profile, syntheticRows)
    const batches = batchesOf(generationSchema.parse(model), syntheticRows, 2)
    let generateSeconds = 0
    let codeSeconds = 0
    for (;;) {
      const [batch, seconds] = await timed(() => batches.next())
      generateSeconds += seconds
      if (batch.done) break
      codeSeconds += (await timed(() => {
        for (const cells of batch.value) synthetic.add(cells)
      }))[1]
    }
    const [report, scoreSeconds] = await timed(() => fittedQuality(path, profile, synthetic, 1))
    const qualitySeconds = codeSeconds + scoreSeconds
    const mb = statSync(path).size / 1e6
    const peak = peakRssMb(process.pid)
    const cars = await carsRun(dir)
    console.table([
      { step: `profile + fit ${realRows.toLocaleString('en-US')} rows × ${profile.columns.length} columns, ${mb.toFixed(1)} MB (POST /datasets' work; target < 5 s)`, seconds: fitSeconds.toFixed(2) },
      { step: `generate ${syntheticRows.toLocaleString('en-US')} rows from the model (1 thread, in batches of 20,000)`, seconds: generateSeconds.toFixed(2) },
      { step: `quality report of ${syntheticRows.toLocaleString('en-US')} rows vs the real sample (target < 10 s): coding the rows, then reading the real sample and scoring`, seconds: `${qualitySeconds.toFixed(2)} (${codeSeconds.toFixed(2)} + ${scoreSeconds.toFixed(2)})` },
      ...cars,
    ])
    const { new_row_synthesis: nrs, dcr_baseline_protection: dcr } = report.privacy!
    console.log(`quality ${(report.quality_score ?? Number.NaN).toFixed(3)} (shapes ${(report.column_shapes ?? Number.NaN).toFixed(3)}, pair trends ${(report.column_pair_trends ?? Number.NaN).toFixed(3)}), new rows ${nrs.score.toFixed(4)}, DCR baseline protection ${dcr.score?.toFixed(3)}; real rows ${report.real_rows.toLocaleString('en-US')}, synthetic ${report.synthetic_rows.toLocaleString('en-US')}; peak RSS ${peak.toFixed(0)} MB (before the cars run)`)
  }
  finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The job's last state from GET /jobs/:id/events (the stream ends once the job has finished). */
async function finalState(url: string, id: string): Promise<{ status: string; bytes: number | null; error?: string }> {
  const text = await (await fetch(`${url}/jobs/${id}/events`)).text()
  const last = text.split('\n').filter(line => line.startsWith('data: ')).pop()
  if (!last) throw new Error(`job ${id}: no events`)
  return JSON.parse(last.slice('data: '.length))
}

/**
 * A job run `--runs` times (3 by default), each on a freshly started server: the median run, with
 * every run's time, since the time of one run on a shared machine varies by 10% and more.
 */
async function jobRuns(label: string, body: Record<string, unknown>, port: number): Promise<Result> {
  const results: Result[] = []
  for (let i = 0; i < runCount; i++) results.push(await jobRun(label, body, port))
  const sorted = [...results].sort((a, b) => a.seconds - b.seconds)
  const median = sorted[(sorted.length - 1) >> 1]!
  return { ...median, peakRssMb: Math.max(...results.map(r => r.peakRssMb)), runs: results.map(r => r.seconds) }
}

/** One job through the built server: submit to done (told by the job's event stream as it happens). */
async function jobRun(label: string, body: Record<string, unknown>, port: number): Promise<Result> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sdaas-bench-data-'))
  const server = await startBuiltServer(port, { NUXT_DATA_DIR: dataDir, NUXT_MAX_ROWS: '100000000', NUXT_RATE_LIMIT: '0' })
  const { url } = server
  try {
    const started = performance.now()
    const response = await fetch(`${url}/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const { job_id: id } = await response.json() as { job_id: string }
    const job = await finalState(url, id)
    const seconds = (performance.now() - started) / 1000
    if (job.status !== 'done') throw new Error(`${label}: job ${job.status} ${job.error ?? ''}`)
    return { run: label, rows: Number(body.rows), seconds, bytes: job.bytes ?? 0, peakRssMb: peakRssMb(server.process.pid!) }
  }
  finally {
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/**
 * A job of the widest rows the limits allow (9 columns of 100,000 characters, from a hidden pattern
 * read by a hidden template read by each column: what a caller trying to exhaust memory would send).
 */
const HOSTILE_SCHEMA = {
  columns: [
    { name: 'b', kind: 'pattern', pattern: '?'.repeat(200), hidden: true },
    { name: 'p', kind: 'template', template: '{{b}}'.repeat(125), hidden: true },
    ...Array.from({ length: 9 }, (_, i) => ({ name: `text_${i}`, kind: 'template', template: '{{p}}'.repeat(4) })),
  ],
}

/** The HTTP process's peak RSS (worker threads included) and an ordinary job's time, with and without a hostile job beside it. */
async function hostileRun(port: number): Promise<void> {
  const innocent = { template: 'customers', rows: 200_000, format: 'csv', seed: 1 }
  const hostile = { schema: HOSTILE_SCHEMA, rows: 1000, format: 'csv', seed: 1 }
  const rows: Record<string, string>[] = []
  for (const bodies of [[innocent], [hostile, innocent]]) {
    const dataDir = mkdtempSync(join(tmpdir(), 'sdaas-bench-data-'))
    const server = await startBuiltServer(port, { NUXT_DATA_DIR: dataDir, NUXT_RATE_LIMIT: '0' })
    try {
      const before = peakRssMb(server.process.pid!)
      const started = performance.now()
      const ids: string[] = []
      for (const body of bodies) {
        const response = await fetch(`${server.url}/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
        if (response.status !== 202) throw new Error(`POST /generate: ${response.status} ${await response.text()}`)
        ids.push(((await response.json()) as { job_id: string }).job_id)
      }
      const states = await Promise.all(ids.map(async id => ({ state: await finalState(server.url, id), seconds: (performance.now() - started) / 1000 })))
      const ordinary = states.at(-1)!
      rows.push({
        run: bodies.length === 1 ? 'customers 200,000 rows alone' : 'beside 1,000 rows of 900,000 characters (0.9 GB)',
        'ordinary job': `${ordinary.state.status} in ${ordinary.seconds.toFixed(2)} s`,
        'hostile job': bodies.length === 1 ? '' : `${states[0]!.state.status} in ${states[0]!.seconds.toFixed(2)} s, ${((states[0]!.state.bytes ?? 0) / 1e9).toFixed(2)} GB`,
        'peak RSS MB (at boot)': `${peakRssMb(server.process.pid!).toFixed(0)} (${before.toFixed(0)})`,
      })
    }
    finally {
      await server.stop()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
  console.log('\nA hostile job beside an ordinary one (fresh server each):')
  console.table(rows)
}

if (args.phase === 'baseline') await baseline(Number(args.rows))
else if (args.phase === 'fit') await fitPhase()
else if (args.phase === 'hostile') {
  ensureBuild()
  await hostileRun(3950 + Math.floor(Math.random() * 40))
}
else {
  ensureBuild()
  const baselineRows = 1_000_000
  console.log(`Node ${process.version}, ${availableParallelism()} cores. Job runs: POST /generate → done on the built server.\n`)
  const results: Result[] = []
  const port = 3900 + Math.floor(Math.random() * 50)
  results.push(await jobRuns('SDaaS customers → CSV', { template: 'customers', rows: 1_000_000, format: 'csv', seed: 1 }, port))
  if (!args.quick) results.push(await jobRuns('SDaaS customers → CSV', { template: 'customers', rows: 10_000_000, format: 'csv', seed: 1 }, port + 1))
  results.push(await jobRuns('SDaaS customers → Parquet', { template: 'customers', rows: 1_000_000, format: 'parquet', seed: 1 }, port + 2))
  results.push(await jobRuns('SDaaS customers → CSV + gzip', { template: 'customers', rows: 1_000_000, format: 'csv', gzip: true, seed: 1 }, port + 3))
  const child = spawnSync(process.execPath, [import.meta.filename, '--phase', 'baseline', '--rows', String(baselineRows)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  if (child.status !== 0) throw new Error('baseline failed')
  const base = JSON.parse(child.stdout.trim().split('\n').pop()!) as Result
  results.push(base)
  const rate = (r: Result) => r.rows / r.seconds
  const rates = (r: Result) => (r.runs && r.runs.length > 1 ? [Math.max(...r.runs), Math.min(...r.runs)].map(s => Math.round(r.rows / s).toLocaleString('en-US')).join(' – ') : '')
  console.log(`SDaaS jobs: median of ${runCount} runs (a fresh server each); the baseline: one run.`)
  console.table(results.map(r => ({
    run: r.run,
    rows: r.rows.toLocaleString('en-US'),
    seconds: r.seconds.toFixed(2),
    'rows/s': Math.round(rate(r)).toLocaleString('en-US'),
    'rows/s range': rates(r),
    'MB/s': (r.bytes / 1e6 / r.seconds).toFixed(1),
    'peak RSS MB': r.peakRssMb.toFixed(0),
    'vs baseline': `${(rate(r) / rate(base)).toFixed(2)}x`,
  })))
  await hostileRun(port + 4)
  console.log('\nFitting (its own process):')
  const fit = spawnSync(process.execPath, [import.meta.filename, '--phase', 'fit'], { stdio: 'inherit' })
  if (fit.status !== 0) throw new Error('fitting phase failed')
}
