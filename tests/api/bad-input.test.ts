/**
 * Bad input, table-driven: malformed requests to every route (wrong types, huge numbers, NaN and
 * Infinity, nulls, unicode and NUL bytes, prototype-pollution keys, path traversal in every id and
 * name, malformed JSON, wrong content types, binary and ragged CSV, empty bodies, arrays for objects,
 * oversized strings). Each must get the 4xx it deserves with a JSON error body that names the field or
 * the problem, never a 500 or a stack trace; afterwards the server is healthy and still makes jobs.
 */
import { describe, expect, it } from 'vitest'
import { apiErrorSchema, type ApiError } from '#shared/schema'
import { tempDataDir } from '../support/data-dir'
import { setupBuiltServer } from '../support/e2e'
import { rawRequest, submit, waitForJob } from '../support/api'
import { fetch } from '@nuxt/test-utils/e2e'

const UPLOAD_LIMIT = 64 * 1024
await setupBuiltServer({ NUXT_DATA_DIR: tempDataDir(), NUXT_MAX_ROWS: '1000000', NUXT_MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT) })

const UNKNOWN = '0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d'
const column = { name: 'a', kind: 'integer', min: 0, max: 9 }

interface Case {
  label: string
  method: string
  /** Sent as written; `{done}`, `{canceled}` and `{dataset}` become real ids. */
  path: string
  headers?: Record<string, string>
  body?: string | Buffer
  status: number
  /** What the message or an issue (path and message) must mention. */
  mention: RegExp
}

const json = (label: string, body: unknown, mention: RegExp, status = 400): Case => ({
  label, method: 'POST', path: '/generate', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body), status, mention,
})
const schemaWith = (label: string, columns: unknown[], mention: RegExp, extra: Record<string, unknown> = {}) => json(label, { rows: 10, schema: { columns, ...extra } }, mention)
const csv = (label: string, body: string | Buffer, mention: RegExp, status = 400, type = 'text/csv'): Case => ({
  label, method: 'POST', path: '/datasets', headers: { 'content-type': type }, body, status, mention,
})

const generateCases: Case[] = [
  json('malformed JSON', '{"template":', /not valid JSON/),
  json('JSON with a trailing comma', '{"template":"customers",}', /not valid JSON/),
  json('JSON with single quotes', "{'template':'customers'}", /not valid JSON/),
  json('JSON behind a byte order mark', '\uFEFF{"template":"customers"}', /not valid JSON/),
  json('an empty body', '', /not valid JSON/),
  json('null for the body', 'null', /JSON object/),
  json('an array for the body', '[{"template":"customers"}]', /JSON object/),
  json('a string for the body', '"customers"', /JSON object/),
  json('a number for the body', '42', /JSON object/),
  json('rows as a string', { template: 'customers', rows: '10' }, /rows/),
  json('rows "NaN"', { template: 'customers', rows: 'NaN' }, /rows/),
  json('rows "Infinity"', { template: 'customers', rows: 'Infinity' }, /rows/),
  json('rows 1e400 (Infinity once parsed)', '{"template":"customers","rows":1e400}', /rows/),
  json('rows 1e12', { template: 'customers', rows: 1e12 }, /rows/),
  json('negative rows', { template: 'customers', rows: -5 }, /rows/),
  json('rows true', { template: 'customers', rows: true }, /rows/),
  json('rows as an array', { template: 'customers', rows: [10] }, /rows/),
  json('seed "NaN"', { template: 'customers', seed: 'NaN' }, /seed/),
  json('seed 1e300', { template: 'customers', seed: 1e300 }, /seed/),
  json('fractional seed', { template: 'customers', seed: 0.5 }, /seed/),
  json('null seed', { template: 'customers', seed: null }, /seed/),
  json('format in capitals', { template: 'customers', format: 'CSV' }, /format/),
  json('format as a path', { template: 'customers', format: '../../etc/passwd' }, /format/),
  json('null format', { template: 'customers', format: null }, /format/),
  json('gzip "true"', { template: 'customers', gzip: 'true' }, /gzip/),
  json('null template', { template: null }, /template/),
  json('template as a number', { template: 123 }, /template/),
  json('template as a path', { template: '../../etc/passwd' }, /template/),
  json('template as an encoded path', { template: '%2e%2e%2fpackage' }, /template/),
  json('template with a NUL byte', { template: 'customers\u0000' }, /template/),
  json('template with unicode', { template: 'cüstomers' }, /template/),
  json('template of 100,000 characters', { template: 'a'.repeat(100_000) }, /template/),
  json('template "__proto__"', { template: '__proto__' }, /template/),
  json('template "constructor"', { template: 'constructor' }, /template.*unknown template|unknown template/),
  json('__proto__ key at the top', '{"template":"customers","__proto__":{"rows":5}}', /__proto__/),
  json('constructor.prototype key', { template: 'customers', constructor: { prototype: { polluted: true } } }, /constructor/),
  json('__proto__ key inside a column', `{"rows":10,"schema":{"columns":[{"name":"a","kind":"integer","min":0,"max":9,"__proto__":{"max":1e9}}]}}`, /__proto__/),
  json('an unknown key', { template: 'customers', toString: 1 }, /toString/),
  json('a duplicated key whose last value is bad', '{"template":"customers","rows":5,"rows":"x"}', /rows/),
  json('schema as an array', { schema: [column] }, /schema/),
  json('schema as a string', { schema: 'columns: a' }, /schema/),
  json('null schema', { schema: null }, /schema/),
  json('columns as an object', { schema: { columns: { a: column } } }, /columns/),
  json('null columns', { schema: { columns: null } }, /columns/),
  schemaWith('a column name with a NUL byte', [{ ...column, name: 'a\u0000' }], /name/),
  schemaWith('a column name in another script', [{ ...column, name: '名前' }], /name/),
  schemaWith('a column name of 65 characters', [{ ...column, name: 'a'.repeat(65) }], /name/),
  schemaWith('a column named __proto__', [{ ...column, name: '__proto__' }], /name/),
  schemaWith('a column named constructor', [{ ...column, name: 'constructor' }], /name/),
  schemaWith('null kind', [{ name: 'a', kind: null }], /kind/),
  schemaWith('min as a string', [{ ...column, min: '0' }], /min/),
  schemaWith('an integer min beyond 2^53', [{ ...column, min: -1e300 }], /min/),
  schemaWith('float bounds whose span overflows', [{ name: 'x', kind: 'float', min: -1e308, max: 1e308 }], /max|min/),
  schemaWith('float min "NaN"', [{ name: 'x', kind: 'float', min: 'NaN', max: 1 }], /min/),
  schemaWith('null_rate 2', [{ ...column, null_rate: 2 }], /null_rate/),
  schemaWith('no categories', [{ name: 'c', kind: 'categorical', categories: [] }], /categories/),
  schemaWith('a negative weight', [{ name: 'c', kind: 'categorical', categories: [{ value: 'x', weight: -1 }] }], /weight/),
  schemaWith('an object as a category value', [{ name: 'c', kind: 'categorical', categories: [{ value: { a: 1 } }] }], /value/),
  schemaWith('a category value of 300 characters', [{ name: 'c', kind: 'categorical', categories: [{ value: 'v'.repeat(300) }] }], /value/),
  schemaWith('faker method through the prototype', [{ name: 'f', kind: 'faker', method: 'constructor.constructor' }], /method/),
  schemaWith('faker method __proto__', [{ name: 'f', kind: 'faker', method: '__proto__.x' }], /method/),
  schemaWith('faker args as an object', [{ name: 'f', kind: 'faker', method: 'string.alpha', args: { length: 5 } }], /args/),
  schemaWith('faker asked for a gigantic value', [{ name: 'f', kind: 'faker', method: 'string.alpha', args: [{ length: 1e9 }] }], /length/),
  schemaWith('a template token through the prototype', [{ name: 't', kind: 'template', template: '{{constructor.constructor}}' }], /template/),
  schemaWith('an empty pattern', [{ name: 'p', kind: 'pattern', pattern: '' }], /pattern/),
  schemaWith('the 30th of February', [{ name: 'd', kind: 'date', start: '2024-02-30', end: '2024-03-31' }], /start/),
  schemaWith('a five-digit year', [{ name: 'd', kind: 'date', start: '99999-01-01', end: '99999-12-31' }], /start/),
  schemaWith('an hour 25', [{ name: 't', kind: 'time', start: '25:00', end: '26:00' }], /start/),
  schemaWith('an unknown time zone', [{ name: 'd', kind: 'datetime', start: '2024-01-01T00:00:00Z', end: '2024-02-01T00:00:00Z', timezone: 'Mars/Olympus' }], /timezone/),
  schemaWith('a time zone with a NUL byte', [{ name: 'd', kind: 'datetime', start: '2024-01-01T00:00:00Z', end: '2024-02-01T00:00:00Z', timezone: 'UTC\u0000' }], /timezone/),
  schemaWith('an expression 1,000 parentheses deep', [{ name: 'e', kind: 'derived', expression: `${'('.repeat(999)}1${')'.repeat(999)}` }], /expression/),
  schemaWith('an expression reaching the prototype', [{ name: 'e', kind: 'derived', expression: 'constructor' }], /expression/),
  schemaWith('a conditional on __proto__', [column, { name: 'c', kind: 'conditional', on: '__proto__', cases: [{ when: 1, then: { kind: 'uuid' } }] }], /on/),
  schemaWith('a correlation matrix holding strings', [column, { ...column, name: 'b' }], /matrix/, { correlations: [{ columns: ['a', 'b'], matrix: [[1, 'NaN'], ['NaN', 1]] }] }),
  schemaWith('a correlation matrix of the wrong size', [column, { ...column, name: 'b' }], /matrix/, { correlations: [{ columns: ['a', 'b'], matrix: [[1]] }] }),
  json('a locale as a path', { schema: { locale: '../../etc', columns: [column] } }, /locale/),
  json('a locale with a NUL byte', { schema: { locale: 'en\u0000', columns: [column] } }, /locale/),
  json('a SQL table in another script', { template: 'customers', format: 'sql', table: 'tablé' }, /table/),
  json('a dataset id as a path', { source: { dataset: '../../etc/passwd' } }, /source\.dataset/),
  json('a dataset id as an encoded path', { source: { dataset: '%2e%2e%2f%2e%2e%2fetc' } }, /source\.dataset/),
  json('source as a string', { source: UNKNOWN }, /source/),
  json('an unknown dataset', { source: { dataset: UNKNOWN } }, /source\.dataset/),
  json('a body of 2 MB', { template: 'customers', pad: 'x'.repeat(2 * 1024 * 1024) }, /at most \d+ bytes/, 413),
  { label: 'a text/plain body', method: 'POST', path: '/generate', headers: { 'content-type': 'text/plain' }, body: '{"template":"customers"}', status: 415, mention: /application\/json/ },
  { label: 'a form body', method: 'POST', path: '/generate', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'template=customers', status: 415, mention: /application\/json/ },
  { label: 'a multipart body', method: 'POST', path: '/generate', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x\r\n\r\n{}\r\n--x--', status: 415, mention: /application\/json/ },
]

/** Path tricks for every id: traversal (plain, encoded, double-encoded), NUL, case, unicode, length. */
const BAD_IDS: [string, string][] = [
  ['traversal with encoded slashes', '..%2f..%2fetc%2fpasswd'],
  ['fully encoded traversal', '%2e%2e%2f%2e%2e%2fpackage.json'],
  ['encoded dot-dot', '%2e%2e'],
  ['double-encoded traversal', '%252e%252e%252fpackage.json'],
  ['an id with a NUL byte', `${UNKNOWN}%00`],
  ['an id in capitals', UNKNOWN.toUpperCase()],
  ['a malformed escape', '%ZZ%E0%A4%A'],
  ['an id in unicode', '%E2%80%AE%D9%A0'],
  ['an id of 4,000 characters', 'a'.repeat(4000)],
]
const ID_ROUTES: [string, string][] = [
  ['GET', '/jobs/'], ['DELETE', '/jobs/'], ['GET', '/preview/'], ['GET', '/metrics/'], ['GET', '/download/'],
  ['GET', '/datasets/'], ['DELETE', '/datasets/'], ['GET', '/datasets/:id/model'],
]
const idCases: Case[] = ID_ROUTES.flatMap(([method, route]) => BAD_IDS.map(([label, id]) => ({
  label: `${method} ${route}: ${label}`,
  method,
  path: route.includes(':id') ? route.replace(':id', id) : route + id,
  status: 400,
  mention: /id/,
})))

const templateNameCases: Case[] = [
  ['traversal', '..%2f..%2fpackage'],
  ['encoded dot-dot', '%2e%2e'],
  ['capitals', 'Customers'],
  ['a NUL byte', 'customers%00'],
  ['__proto__', '__proto__'],
  ['a malformed escape', '%E0%A4%A'],
].map(([label, name]) => ({ label: `GET /templates/: ${label}`, method: 'GET', path: `/templates/${name}`, status: 400, mention: /name/ }))

const queryCases: Case[] = [
  ...['0', 'abc', 'NaN', 'Infinity', '-5', '1.5', '', '1e9', '%00'].map(limit => ({ label: `GET /jobs?limit=${limit}`, method: 'GET', path: `/jobs?limit=${limit}`, status: 400, mention: /limit/ })),
  { label: 'GET /jobs with limit twice', method: 'GET', path: '/jobs?limit=1&limit=2', status: 400, mention: /limit/ },
  { label: 'GET /jobs with a garbage cursor', method: 'GET', path: '/jobs?cursor=garbage', status: 400, mention: /cursor/ },
  { label: 'GET /jobs with a NUL cursor', method: 'GET', path: '/jobs?cursor=%00', status: 400, mention: /cursor/ },
  { label: 'GET /jobs with an empty cursor', method: 'GET', path: '/jobs?cursor=', status: 400, mention: /cursor/ },
  { label: 'GET /jobs with a cursor of 300 characters', method: 'GET', path: `/jobs?cursor=${'A'.repeat(300)}`, status: 400, mention: /cursor/ },
  { label: 'GET /jobs with __proto__ in the query', method: 'GET', path: '/jobs?__proto__=1', status: 400, mention: /__proto__/ },
  { label: 'GET /jobs with constructor in the query', method: 'GET', path: '/jobs?constructor=1', status: 400, mention: /constructor/ },
  ...['0', '1001', 'abc', 'Infinity', '-1', '1.5', '%00'].map(n => ({ label: `GET /preview?n=${n}`, method: 'GET', path: `/preview/{done}?n=${n}`, status: 400, mention: /\bn\b/ })),
  { label: 'GET /preview with n[]', method: 'GET', path: '/preview/{done}?n[]=5', status: 400, mention: /\bn\b/ },
]

const resultCases: Case[] = [
  { label: 'GET /preview of a canceled job', method: 'GET', path: '/preview/{canceled}', status: 409, mention: /canceled, not done/ },
  { label: 'GET /metrics of a canceled job', method: 'GET', path: '/metrics/{canceled}', status: 409, mention: /canceled, not done/ },
  { label: 'GET /download of a canceled job', method: 'GET', path: '/download/{canceled}', status: 409, mention: /canceled, not done/ },
  { label: 'GET /jobs/ of an unknown id', method: 'GET', path: `/jobs/${UNKNOWN}`, status: 404, mention: /job not found/ },
  { label: 'GET /datasets/ of an unknown id', method: 'GET', path: `/datasets/${UNKNOWN}`, status: 404, mention: /dataset not found/ },
  { label: 'GET /templates/ of "constructor"', method: 'GET', path: '/templates/constructor', status: 404, mention: /template not found/ },
]

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5dd7d470000000049454e44ae426082', 'hex')
const uploadCases: Case[] = [
  csv('a JSON upload', '[{"a":1}]', /text\/csv/, 415, 'application/json'),
  csv('an upload without a content type', 'a,b\n1,2\n', /text\/csv/, 415, ''),
  csv('a multipart form whose CSV is a plain field, not a file', '--x\r\nContent-Disposition: form-data; name="file"\r\n\r\na,b\n1,2\n\r\n--x--', /no file/, 400, 'multipart/form-data; boundary=x'),
  csv('a multipart form without its boundary', 'a,b\n1,2\n', /multipart form/, 400, 'multipart/form-data'),
  csv('a PNG image', PNG, /binary/),
  csv('random bytes with NULs', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), /binary/),
  csv('Latin-1 text', Buffer.from('name,city\nJosé,Málaga\nAnaïs,Orléans\n', 'latin1'), /UTF-8/),
  csv('UTF-16 text', Buffer.concat([Buffer.from([0xFF, 0xFE]), Buffer.from('a,b\n1,2\n', 'utf16le')]), /binary/),
  csv('an empty file', '', /empty/),
  csv('only blank lines', '\n\n\r\n', /empty/),
  csv('a header and no rows', 'a,b,c\n', /no rows/),
  csv('ragged rows', 'a,b\n1,2\n3,4,5\n6\n', /cannot be read/),
  csv('an unterminated quote', 'a,b\n"1,2\n3,4\n', /cannot be read/),
  csv('a repeated column name', 'a,a\n1,2\n', /repeats a column name: a/),
  csv('250 columns', `${Array.from({ length: 250 }, (_, i) => `c${i}`).join(',')}\n${'1,'.repeat(249)}1\n`, /250 columns; at most 200/),
  csv('an upload over the limit', `a,b\n${'1,2\n'.repeat(UPLOAD_LIMIT / 4 + 10)}`, /at most \d+ bytes/, 413),
]

const otherCases: Case[] = [
  { label: 'an unknown route', method: 'GET', path: '/etc/passwd', status: 404, mention: /not found|Cannot find/i },
  { label: 'traversal at the root', method: 'GET', path: '/%2e%2e/%2e%2e/etc/passwd', status: 404, mention: /not found|Cannot find/i },
  { label: 'GET /generate', method: 'GET', path: '/generate', status: 405, mention: /GET is not allowed here; allowed: POST/ },
  { label: 'PUT /jobs/:id', method: 'PUT', path: `/jobs/${UNKNOWN}`, status: 405, mention: /PUT is not allowed here; allowed: GET, DELETE/ },
  { label: 'POST /healthz', method: 'POST', path: '/healthz', status: 405, mention: /POST is not allowed here; allowed: GET/ },
]

const CASES = [...generateCases, ...idCases, ...templateNameCases, ...queryCases, ...resultCases, ...uploadCases, ...otherCases]

/** Resources the cases refer to: a finished job, a canceled one, an uploaded dataset. */
async function fixtures() {
  const done = await submit({ template: 'customers', rows: 50, seed: 1 })
  expect((await waitForJob(done)).status).toBe('done')
  // Queued behind a job that takes a while, then canceled: its results are a 409.
  const slow = await submit({ template: 'customers', rows: 1_000_000, seed: 2 })
  const canceled = await submit({ template: 'customers', rows: 1_000_000, seed: 3 })
  const third = await submit({ template: 'customers', rows: 1_000_000, seed: 4 })
  for (const id of [canceled, slow, third]) await fetch(`/jobs/${id}`, { method: 'DELETE' })
  expect((await (await fetch(`/jobs/${canceled}`)).json()).status).toBe('canceled')
  const upload = await fetch('/datasets', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,x\n2,y\n' })
  expect(upload.status).toBe(201)
  const { dataset_id } = await upload.json() as { dataset_id: string }
  return { done, canceled, dataset: dataset_id }
}

describe('malformed requests get a 4xx JSON error naming the problem', () => {
  let ids: Record<string, string>

  it(`has at least 60 cases across every route (${CASES.length})`, async () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60)
    ids = await fixtures()
  })

  for (const c of CASES) {
    it(`${c.status} for ${c.label}`, async () => {
      const path = c.path.replace(/\{(\w+)\}/g, (_, key: string) => ids[key]!)
      const headers = { ...c.headers }
      if (headers['content-type'] === '') delete headers['content-type']
      const response = await rawRequest(c.method, path, { headers, body: c.body })
      const where = `${c.method} ${path.slice(0, 120)} → ${response.status} ${response.text.slice(0, 600)}`
      expect(response.status, where).toBe(c.status)
      expect(response.headers['content-type'], where).toMatch(/^application\/json/)
      const body = apiErrorSchema.parse(JSON.parse(response.text)) as ApiError
      expect(body.statusCode, where).toBe(c.status)
      // Never a stack trace or a file path of the server.
      expect(response.text, where).not.toMatch(/\n\s+at |node_modules|\.output\/|\/server\/|\.[mc]?[jt]s:\d+/)
      if (c.status === 405) expect(response.headers.allow, where).toMatch(/^[A-Z, ]+$/)
      const said = [body.message, ...(body.issues ?? []).map(i => `${i.path}: ${i.message}`)].join('\n')
      expect(said, where).toMatch(c.mention)
    })
  }
})

describe('after the bad input', () => {
  it('odd but valid uploads (long values, reserved or empty header names) still give a usable model', async () => {
    const files = {
      'values too long to be categories': `kind,v\n${Array.from({ length: 60 }, (_, i) => `${'x'.repeat(300)}${i % 3},${i}`).join('\n')}\n`,
      'headers named like prototype keys': `__proto__,constructor,prototype\n${Array.from({ length: 30 }, (_, i) => `${i},${i % 3},a${i % 2}`).join('\n')}\n`,
      'an empty header row': ',,\n1,2,3\n4,5,6\n',
    }
    for (const [label, text] of Object.entries(files)) {
      const upload = await fetch('/datasets', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: text })
      expect(upload.status, label).toBe(201)
      const { dataset_id } = await upload.json() as { dataset_id: string }
      const model = await (await fetch(`/datasets/${dataset_id}/model`)).json() as { columns: { name: string }[] }
      expect(model.columns.map(c => c.name).some(name => ['__proto__', 'constructor', 'prototype'].includes(name)), label).toBe(false)
      const job = await waitForJob(await submit({ source: { dataset: dataset_id }, rows: 100, seed: 1 }))
      expect(job.status, label).toBe('done')
    }
  })

  it('the server is healthy and still runs a valid job to the end', async () => {
    const health = await fetch('/healthz')
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })
    const job = await waitForJob(await submit({ template: 'orders', rows: 2000, seed: 5, format: 'json' }))
    expect(job).toMatchObject({ status: 'done', rows_written: 2000 })
    expect((await fetch(`/download/${job.job_id}`)).status).toBe(200)
  })

})
