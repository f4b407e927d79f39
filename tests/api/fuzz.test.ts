/**
 * Fuzz, against the built server: fast-check requests to every route, built from the schema
 * arbitraries (tests/support/arbitraries.ts) plus junk (wrong types, nesting 5000 levels deep, huge
 * numbers, unicode, prototype keys, random CSV bytes with NULs and invalid UTF-8 past 64 KiB, random
 * ids and query strings, HEAD on GET routes). Every answer comes within a bound and is never a 5xx
 * (save a deliberate 503/507 with a JSON error); the server stays up and healthy between batches,
 * its peak RSS stays bounded, finished jobs answer their metrics and preview, and an innocent job
 * submitted at the end is done.
 */
import { request as httpRequest } from 'node:http'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiErrorSchema } from '#shared/schema'
import { adversarialSchemaArb, csvBytesArb, isUtf8Text, junkJsonArb, mutatedSchemaArb, nestedText, schemaArb } from '../support/arbitraries'
import { tempDataDir } from '../support/data-dir'
import { spawnServer, stopProcess, type ServerProcess } from '../support/server-process'

/** A bound on hanging, not a speed target. */
const ANSWER_BOUND_MS = 10_000
/** Peak resident memory the server process may reach while fuzzed. */
const MAX_PEAK_RSS_BYTES = 1.5 * 1024 ** 3
const UNKNOWN_ID = '0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d'

let server: ServerProcess
const accepted: string[] = []
const templateNames: string[] = []

beforeAll(async () => {
  server = await spawnServer({ NUXT_DATA_DIR: tempDataDir('sdaas-fuzz-'), NUXT_WARMUP_ROWS: '0', NUXT_RATE_LIMIT: '0', NUXT_MAX_ROWS: '100000' })
  const list = await (await server.fetch('/templates')).json() as { templates: { name: string }[] }
  templateNames.push(...list.templates.map(t => t.name))
}, 90_000)
afterAll(async () => {
  if (server) await stopProcess(server)
})

const postJson = (path: string, body: string) => send('POST', path, { headers: { 'content-type': 'application/json' }, body })
const describeBody = (body: string) => (body.length > 300 ? `${body.slice(0, 300)}… (${body.length} characters)` : body)

interface Answer { status: number; contentType: string; text: string; ms: number }

/** One request sent as given (path bytes included), answered within ANSWER_BOUND_MS or rejected. */
function send(method: string, path: string, options: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Answer> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, method, path, headers: options.headers, timeout: ANSWER_BOUND_MS }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => resolve({ status: response.statusCode!, contentType: String(response.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started }))
      response.on('error', reject)
    })
    const body = typeof options.body === 'string' ? ` ${describeBody(options.body)}` : options.body ? ` (${options.body.length} bytes)` : ''
    req.on('timeout', () => req.destroy(new Error(`${method} ${path.slice(0, 100)}${body}: no answer within ${ANSWER_BOUND_MS} ms`)))
    req.on('error', reject)
    req.end(options.body)
  })
}

/** Never a 5xx, except a deliberate 503 or 507 with a JSON error body. */
function expectHonest(answer: Answer, what: string): void {
  const where = `${what} → ${answer.status} ${answer.text.slice(0, 400)}`
  if (answer.status === 503 || answer.status === 507) {
    expect(answer.contentType, where).toMatch(/^application\/json/)
    expect(apiErrorSchema.safeParse(JSON.parse(answer.text)).success, where).toBe(true)
    return
  }
  expect(answer.status, where).toBeLessThan(500)
  if (answer.status >= 400) expect(answer.contentType, where).toMatch(/^application\/json/)
}


/** The server process's peak resident memory (VmHWM), in bytes. */
function peakRss(): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))?.[1]
  return Number(kb) * 1024
}

/** The server is up, healthy, and its peak RSS bounded. */
async function expectHealthy(): Promise<void> {
  expect(server.child.exitCode, server.output().slice(-2000)).toBeNull()
  const health = await send('GET', '/healthz')
  expect(health.status, health.text).toBe(200)
  if (process.platform === 'linux') expect(peakRss()).toBeLessThan(MAX_PEAK_RSS_BYTES)
}

// ---- bodies --------------------------------------------------------------------------------

/** Deepest objects sent through JSON.stringify (deeper ones are written as text, rawBodyArb). */
const MAX_STRINGIFIED_DEPTH = 1000
const rowsArb = fc.oneof(fc.integer({ min: 1, max: 500 }), fc.constantFrom(1, 1000, 100_000))
const formatArb = fc.constantFrom('csv', 'json', 'ndjson', 'parquet', 'sql')
/** Raw texts no JSON parser should choke on: invalid JSON, nesting 5000 levels deep, huge numbers. */
const rawBodyArb = fc.oneof(
  fc.integer({ min: 1000, max: 5000 }).map(depth => `{"rows":10,"schema":{"columns":[{"name":"f","kind":"faker","method":"helpers.arrayElement","args":[${nestedText(depth)}]}]}}`),
  fc.integer({ min: 1000, max: 5000 }).map(depth => `{"template":"customers","x":${'['.repeat(depth)}${']'.repeat(depth)}}`),
  fc.integer({ min: 1000, max: 5000 }).map(depth => `{"name":"deep","title":"t","description":"d","schema":{"columns":[{"name":"c","kind":"faker","method":"helpers.arrayElement","args":[${nestedText(depth)}]}]}}`),
  fc.integer({ min: 1000, max: 5000 }).map(nestedText),
  fc.constantFrom('{"rows":1e400,"template":"customers"}', '{"rows":-0,"template":"customers"}', '{"seed":123456789012345678901234567890,"template":"customers"}', '{', '', 'null', '[]', '\uFEFF{}', '{"template":"customers","__proto__":{"rows":1}}'),
  fc.string({ unit: 'binary', maxLength: 200 }),
)
const generateBodyArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ schema: schemaArb(5), rows: rowsArb, seed: fc.nat(), format: formatArb }).map(b => JSON.stringify(b)) },
  { weight: 1, arbitrary: fc.record({ schema: adversarialSchemaArb, rows: rowsArb, seed: fc.nat() }).map(b => JSON.stringify(b)) },
  { weight: 2, arbitrary: fc.record({ schema: mutatedSchemaArb(MAX_STRINGIFIED_DEPTH), rows: rowsArb }).map(b => JSON.stringify(b)) },
  { weight: 1, arbitrary: fc.record({ template: fc.oneof(fc.constantFrom('customers', 'orders', 'constructor', '__proto__'), fc.string({ maxLength: 70 })), rows: fc.oneof(rowsArb, junkJsonArb), format: fc.oneof(formatArb, junkJsonArb) }, { requiredKeys: ['template'] }).map(b => JSON.stringify(b)) },
  { weight: 1, arbitrary: junkJsonArb.map(j => JSON.stringify(j)) },
  { weight: 1, arbitrary: rawBodyArb },
)

/** Ids: unknown v4 UUIDs, real ones, and junk (percent-encoded or raw). */
const idArb = (known: () => string[]) => fc.oneof(
  fc.uuid({ version: 4 }),
  fc.constant(UNKNOWN_ID),
  fc.nat().map(i => known()[i % Math.max(1, known().length)] ?? UNKNOWN_ID),
  fc.string({ maxLength: 50 }).map(encodeURIComponent),
  fc.constantFrom('%2e%2e', '..%2f..%2fetc%2fpasswd', '%00', '%ZZ', 'a'.repeat(5000), '__proto__', 'constructor', `${UNKNOWN_ID.toUpperCase()}`),
)
const queryArb = fc.array(fc.tuple(fc.oneof(fc.constantFrom('limit', 'cursor', 'n', '__proto__', 'constructor', 'limit[]'), fc.string({ maxLength: 8 })), fc.oneof(fc.constantFrom('1', '0', '200', '201', '1e9', 'NaN', '-1', '', '%00', 'a'.repeat(300)), fc.string({ maxLength: 20 }))), { maxLength: 4 })
  .map(pairs => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${/^[\w%.-]*$/.test(v) ? v : encodeURIComponent(v)}`).join('&'))

const ID_ROUTES = ['/jobs/', '/preview/', '/metrics/', '/download/', '/datasets/']

// ---- properties --------------------------------------------------------------------------

describe('fuzz: every route answers honestly and in time, and the server survives', () => {
  it('POST /generate with generated, spoiled and junk bodies', async () => {
    await fc.assert(fc.asyncProperty(generateBodyArb, async (body) => {
      const answer = await postJson('/generate', body)
      expectHonest(answer, `POST /generate ${describeBody(body)}`)
      if (answer.status === 202) accepted.push((JSON.parse(answer.text) as { job_id: string }).job_id)
    }), { seed: 18_101, numRuns: 150, endOnFailure: true })
    await expectHealthy()
  })

  it('GET /jobs with random query strings', async () => {
    await fc.assert(fc.asyncProperty(queryArb, async (query) => {
      expectHonest(await send('GET', `/jobs?${query}`), `GET /jobs?${query}`)
    }), { seed: 18_102, numRuns: 60, endOnFailure: true })
    await expectHealthy()
  })

  it('GET /jobs/{id}, /preview, /metrics, /download, /datasets with random ids, and HEAD on them', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ID_ROUTES), idArb(() => accepted), fc.oneof(fc.constant(''), queryArb.map(q => `?${q}`)), fc.constantFrom('GET', 'HEAD'), async (route, id, query, method) => {
      const path = `${route}${id}${query}`
      const answer = await send(method, path)
      expectHonest(answer, `${method} ${path.slice(0, 200)}`)
      if (method === 'HEAD') expect(answer.status, `HEAD ${path.slice(0, 200)}`).not.toBe(405)
    }), { seed: 18_103, numRuns: 120, endOnFailure: true })
    await expectHealthy()
  })

  it('HEAD on every GET route', async () => {
    const routes = ['/healthz', '/jobs', '/templates', '/templates/customers', '/datasets', '/openapi.json', '/schema.json', '/auth/session', `/jobs/${UNKNOWN_ID}`]
    for (const path of routes) {
      const answer = await send('HEAD', path)
      expectHonest(answer, `HEAD ${path}`)
      expect(answer.status, `HEAD ${path}`).not.toBe(405)
    }
  })

  it('POST /datasets with random CSV bytes (NULs and invalid UTF-8 anywhere, past 64 KiB too)', async () => {
    await fc.assert(fc.asyncProperty(csvBytesArb, async ({ bytes, spoiledAt }) => {
      const answer = await send('POST', '/datasets', { headers: { 'content-type': 'text/csv' }, body: bytes })
      const what = `POST /datasets of ${bytes.length} bytes${spoiledAt === undefined ? '' : `, a NUL or bad UTF-8 at byte ${spoiledAt}`}`
      expectHonest(answer, what)
      // Text that is not UTF-8, or holds a NUL, is refused wherever the bad byte is.
      if (!isUtf8Text(bytes)) expect(answer.status, what).not.toBe(201)
    }), { seed: 18_104, numRuns: 40, endOnFailure: true })
    await expectHealthy()
  })

  it('POST /templates with random bodies; what it saves, POST /generate accepts', async () => {
    const templateArb = fc.oneof(
      { weight: 3, arbitrary: fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}$/), title: fc.string({ minLength: 1, maxLength: 20 }), description: fc.string({ minLength: 1, maxLength: 20 }), schema: fc.oneof(schemaArb(4), mutatedSchemaArb(MAX_STRINGIFIED_DEPTH)) }).map(b => JSON.stringify(b)) },
      { weight: 1, arbitrary: junkJsonArb.map(j => JSON.stringify(j)) },
      { weight: 1, arbitrary: rawBodyArb },
    )
    await fc.assert(fc.asyncProperty(templateArb, async (body) => {
      const answer = await postJson('/templates', body)
      expectHonest(answer, `POST /templates ${describeBody(body)}`)
      if (answer.status !== 200 && answer.status !== 201) return
      const { name } = JSON.parse(answer.text) as { name: string }
      const job = await postJson('/generate', JSON.stringify({ template: name, rows: 10, seed: 1 }))
      expectHonest(job, `POST /generate of saved template ${describeBody(body)}`)
      expect(job.status, `a saved template the engine refuses: ${describeBody(body)} → ${job.text.slice(0, 300)}`).toBe(202)
      accepted.push((JSON.parse(job.text) as { job_id: string }).job_id)
    }), { seed: 18_105, numRuns: 60, endOnFailure: true })
    await expectHealthy()
  })

  it('accepted jobs finish; the done ones answer GET /metrics and /preview', async () => {
    const deadline = Date.now() + 90_000
    const done: string[] = []
    for (const id of accepted) {
      for (;;) {
        const answer = await send('GET', `/jobs/${id}`)
        expectHonest(answer, `GET /jobs/${id}`)
        const { status } = JSON.parse(answer.text) as { status: string }
        if (status === 'done') done.push(id)
        if (status !== 'queued' && status !== 'running') break
        expect(Date.now(), `job ${id} still ${status}`).toBeLessThan(deadline)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    }
    for (const id of done) {
      for (const path of [`/metrics/${id}`, `/preview/${id}`]) {
        const answer = await send('GET', path)
        if (answer.status === 200) continue
        const schema = (await send('GET', `/jobs/${id}/schema`)).text
        expect(answer.status, `GET ${path} → ${answer.text.slice(0, 300)}; the job's schema: ${schema.slice(0, 1000)}`).toBe(200)
      }
    }
    await expectHealthy()
  }, 150_000)

  it('at the end, the server is healthy and an innocent small job is done', async () => {
    await expectHealthy()
    const answer = await postJson('/generate', JSON.stringify({ template: 'customers', rows: 100, seed: 1 }))
    expect(answer.status, answer.text).toBe(202)
    const { job_id } = JSON.parse(answer.text) as { job_id: string }
    const deadline = Date.now() + 30_000
    let status = 'queued'
    while ((status === 'queued' || status === 'running') && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 100))
      status = (JSON.parse((await send('GET', `/jobs/${job_id}`)).text) as { status: string }).status
    }
    expect(status).toBe('done')
    await expectHealthy()
  })
})
