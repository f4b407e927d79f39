import { describe, expect, it } from 'vitest'
import { fetch } from '@nuxt/test-utils/e2e'
import { tempDataDir } from '../support/data-dir'
import { setupBuiltServer } from '../support/e2e'
import { postJson } from '../support/api'

await setupBuiltServer({ NUXT_DATA_DIR: tempDataDir(), NUXT_MAX_ROWS: '1000000' })

const UNKNOWN = '0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d'
const column = { name: 'a', kind: 'integer', min: 0, max: 9 }

/** Each bad body and the issue paths its 400 must name. */
const badBodies: [string, unknown, string[]][] = [
  ['neither template nor schema', {}, ['template']],
  ['both template and schema', { template: 'customers', schema: { columns: [column] } }, ['schema']],
  ['rows below 1, bad format, negative seed', { template: 'customers', rows: 0, format: 'xml', seed: -1 }, ['rows', 'format', 'seed']],
  ['rows as a string', { template: 'customers', rows: '10' }, ['rows']],
  ['fractional rows', { template: 'customers', rows: 2.5 }, ['rows']],
  ['rows above NUXT_MAX_ROWS', { template: 'customers', rows: 1_000_001 }, ['rows']],
  ['a seed beyond 2^53', { template: 'customers', seed: 2 ** 53 }, ['seed']],
  ['null rows', { template: 'customers', rows: null }, ['rows']],
  ['unknown top-level key', { template: 'customers', extra: true }, ['(root)']],
  ['unknown template', { template: 'nope' }, ['template']],
  ['template name with a path', { template: '../secrets' }, ['template']],
  ['__proto__ key', { template: 'customers', __proto__: { polluted: true } }, ['__proto__']],
  ['constructor key nested in schema', { schema: { columns: [{ ...column, constructor: { prototype: 1 } }] } }, ['schema.columns.0.constructor']],
  ['empty columns', { schema: { columns: [] } }, ['schema.columns']],
  ['unknown column kind', { schema: { columns: [{ name: 'a', kind: 'wat' }] } }, ['schema.columns.0.kind']],
  ['duplicate names and inverted bounds', { schema: { columns: [column, { ...column, min: 9, max: 0 }] } }, ['schema.columns.1.min', 'schema.columns.1.name']],
  ['unknown faker method', { schema: { columns: [{ name: 'x', kind: 'faker', method: 'person.wat' }] } }, ['schema.columns.0.method']],
  ['faker method outside the modules', { schema: { columns: [{ name: 'x', kind: 'faker', method: 'constructor.constructor' }] } }, ['schema.columns.0.method']],
  ['unknown locale', { schema: { locale: 'zz', columns: [column] } }, ['schema.locale']],
  ['unique with too few values for the rows', { rows: 11, schema: { columns: [{ ...column, unique: true }] } }, ['schema.columns.0.unique']],
  ['columns in a cycle', { schema: { columns: [{ name: 'a', kind: 'derived', expression: 'b' }, { name: 'b', kind: 'derived', expression: 'a' }] } }, ['schema.columns.0']],
  ['an expression that does not parse', { schema: { columns: [{ name: 'a', kind: 'derived', expression: '1 +' }] } }, ['schema.columns.0.expression']],
  ['a reference to an unknown column', { schema: { columns: [{ name: 'a', kind: 'template', template: '{{ghost}}' }] } }, ['schema.columns.0.template']],
  ['a correlation matrix that is not positive definite', { schema: { columns: [column, { ...column, name: 'b' }, { ...column, name: 'c' }], correlations: [{ columns: ['a', 'b', 'c'], matrix: [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]] }] } }, ['schema.correlations.0.matrix']],
  ['a bad SQL table name', { template: 'customers', format: 'sql', table: 'x; DROP TABLE y' }, ['table']],
  ['gzip not a boolean', { template: 'customers', gzip: 'yes' }, ['gzip']],
  ['bad datetime', { schema: { columns: [{ name: 'd', kind: 'datetime', start: 'yesterday', end: '2024-01-01' }] } }, ['schema.columns.0.start']],
]

describe('POST /generate rejects bad input with a 400 naming each bad field', () => {
  for (const [label, body, paths] of badBodies) {
    it(label, async () => {
      // Sent as text so keys such as __proto__ reach the server exactly as written.
      const text = label === '__proto__ key' ? '{"template":"customers","__proto__":{"polluted":true}}' : JSON.stringify(body)
      const response = await postJson('/generate', text)
      const payload = await response.json() as { statusCode: number; issues: { path: string; message: string }[] }
      expect(response.status, JSON.stringify(payload)).toBe(400)
      expect(payload.statusCode).toBe(400)
      expect([...new Set(payload.issues.map(i => i.path))].sort()).toEqual([...paths].sort())
      for (const issue of payload.issues) expect(issue.message.length).toBeGreaterThan(0)
    })
  }

  it('malformed JSON, a JSON array and an empty body are 400s', async () => {
    for (const text of ['{"template":', '[1,2]', '', 'null']) {
      const response = await postJson('/generate', text)
      expect(response.status, text).toBe(400)
      expect((await response.json()).issues[0].path).toBe('(root)')
    }
  })

  it('a body nested deeper than any schema needs is a 400, even 200,000 levels deep', async () => {
    for (const depth of [40, 200_000]) {
      const response = await postJson('/generate', `{"template":"customers","schema":${'['.repeat(depth)}${']'.repeat(depth)}}`)
      expect(response.status, String(depth)).toBe(400)
      expect((await response.json()).issues.some((i: { message: string }) => /nested deeper than 32 levels/.test(i.message))).toBe(true)
    }
  })

  it('faker arguments asking for gigantic values are a 400, and the server stays up', async () => {
    const response = await postJson('/generate', { rows: 5, schema: { columns: [{ name: 'a', kind: 'faker', method: 'string.alpha', args: [{ length: 300_000_000 }] }] } })
    expect(response.status).toBe(400)
    expect((await response.json()).issues[0].path).toBe('schema.columns.0.args.0.length')
    expect((await fetch('/healthz')).status).toBe(200)
  })

  it('a body that is not JSON is a 415', async () => {
    const response = await fetch('/generate', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'template=customers' })
    expect(response.status).toBe(415)
    expect((await response.json()).message).toMatch(/application\/json/)
  })

  it('a body over 1 MB is a 413', async () => {
    const response = await postJson('/generate', JSON.stringify({ template: 'customers', pad: 'x'.repeat(1_100_000) }))
    expect(response.status).toBe(413)
  })
})

describe('ids, names and queries are validated', () => {
  const idRoutes = ['/jobs/', '/preview/', '/metrics/', '/download/']

  for (const route of idRoutes) {
    it(`${route}:id is 400 for a malformed id and 404 for an unknown one`, async () => {
      for (const bad of ['nope', '..%2F..%2Fetc%2Fpasswd', `${UNKNOWN}x`, `${UNKNOWN}%00`, UNKNOWN.toUpperCase()]) {
        const response = await fetch(route + bad)
        expect(response.status, route + bad).toBe(400)
        expect((await response.json()).issues[0].path).toBe('id')
      }
      const response = await fetch(route + UNKNOWN)
      expect(response.status).toBe(404)
      expect((await response.json()).message).toBe('job not found')
    })
  }

  it('DELETE /jobs/:id validates too', async () => {
    expect((await fetch('/jobs/nope', { method: 'DELETE' })).status).toBe(400)
    expect((await fetch(`/jobs/${UNKNOWN}`, { method: 'DELETE' })).status).toBe(404)
  })

  it('/templates/:name is 400 for a malformed name and 404 for an unknown one', async () => {
    expect((await fetch('/templates/..%2Fpackage')).status).toBe(400)
    expect((await fetch('/templates/Customers')).status).toBe(400)
    expect((await fetch('/templates/nope')).status).toBe(404)
  })

  it('bad query parameters are 400s naming the parameter', async () => {
    for (const [path, param] of [['/jobs?limit=0', 'limit'], ['/jobs?limit=abc', 'limit'], ['/jobs?cursor=garbage', 'cursor'], ['/jobs?extra=1', '(root)'], [`/preview/${UNKNOWN}?n=5`, null]] as const) {
      const response = await fetch(path)
      if (param === null) {
        expect(response.status).toBe(404)
        continue
      }
      expect(response.status, path).toBe(400)
      expect((await response.json()).issues.map((i: { path: string }) => i.path)).toContain(param)
    }
  })

  it('answers JSON errors on API paths whatever the Accept header, and HTML on page paths', async () => {
    for (const accept of ['*/*', 'text/html']) {
      const response = await fetch('/no-such-route', { headers: { accept } })
      expect(response.status).toBe(404)
      expect(response.headers.get('content-type')).toContain('application/json')
      expect((await response.json()).statusCode).toBe(404)
      const bad = await fetch('/jobs/nope', { headers: { accept } })
      expect(bad.headers.get('content-type')).toContain('application/json')
    }
    const page = await fetch('/app/no-such-page', { headers: { accept: 'text/html' } })
    expect(page.status).toBe(404)
    expect(page.headers.get('content-type')).toContain('text/html')
  })

  it('stays healthy after all of that', async () => {
    expect((await fetch('/healthz')).status).toBe(200)
  })
})
