/**
 * GET /openapi.json: a valid OpenAPI 3.1 document whose refs all resolve, whose operations are exactly
 * the route files under server/routes (a new route without an entry fails here), built from the
 * shared zod schemas, with examples the server accepts.
 */
import { readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { fetch } from '@nuxt/test-utils/e2e'
import { Validator } from '@seriousme/openapi-schema-validator'
import { generateRequestSchema, jobSchema, datasetRecordSchema } from '#shared/schema'
import { tempDataDir } from '../support/data-dir'
import { setupBuiltServer } from '../support/e2e'
import { postJson, submit, waitForJob } from '../support/api'

await setupBuiltServer({ NUXT_DATA_DIR: tempDataDir(), NUXT_MAX_ROWS: '1000000' })

const routesDir = fileURLToPath(new URL('../../server/routes', import.meta.url))
const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options']
/**
 * Route files that are deliberately not part of the public API (pages' form handlers, internals), as
 * `METHOD /path`. Empty today.
 */
const NOT_PUBLIC = new Set<string>([])

type Spec = Parameters<Validator['validate']>[0]
type Doc = {
  openapi: string
  info: { title: string; version: string }
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> }
}
type Operation = {
  operationId: string
  parameters?: { name: string; in: string; required: boolean }[]
  requestBody?: { content: Record<string, { examples?: Record<string, { value: unknown }> }> }
  responses: Record<string, unknown>
}

/** `METHOD /path` of every route file: the method from the suffix, the path from the folders. */
function routeFiles(dir = routesDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) return routeFiles(full)
    const match = relative(routesDir, full).match(/^(.*?)(?:\.(\w+))?\.ts$/)
    if (!match) return []
    const [, route, method] = match
    if (!method || !METHODS.includes(method)) throw new Error(`${full}: a route file must end in .<method>.ts (answers every method otherwise)`)
    const path = `/${route!}`.replace(/\/index$/, '').replace(/\[(\w+)\]/g, '{$1}') || '/'
    if (/\[/.test(path)) throw new Error(`${full}: catch-all routes are not described`)
    return [`${method.toUpperCase()} ${path}`]
  })
}

/** Resolves a local JSON pointer (`#/components/schemas/Job`) in the document. */
function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined
  return ref.slice(2).split('/').map(part => decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')).reduce<unknown>(
    (node, key) => (node && typeof node === 'object' && Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined),
    doc,
  )
}

function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach(v => refsIn(v, found))
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') found.push(child)
      else refsIn(child, found)
    }
  }
  return found
}

let response: Response
let doc: Doc
let operations: { key: string; path: string; method: string; op: Operation }[]

beforeAll(async () => {
  response = await fetch('/openapi.json')
  doc = await response.json() as Doc
  operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, path, method, op })))
})

describe('GET /openapi.json', () => {
  it('is served as JSON', () => {
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('application/json')
  })

  it('is a valid OpenAPI 3.1 document (and the validator does catch a broken one)', async () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/)
    const result = await new Validator().validate(structuredClone(doc) as unknown as Spec)
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([])
    expect(result.valid).toBe(true)
    // A parameter in a place OpenAPI does not have.
    const broken = structuredClone(doc)
    broken.paths['/jobs/{id}']!.get!.parameters![0]!.in = 'body'
    expect((await new Validator().validate(broken as unknown as Spec)).valid).toBe(false)
  })

  it('has every $ref resolve inside the document', () => {
    const refs = [...new Set(refsIn(doc))]
    expect(refs.length).toBeGreaterThan(20)
    const dangling = refs.filter(ref => resolvePointer(doc, ref) === undefined)
    expect(dangling).toEqual([])
  })

  it('describes exactly the routes that exist, both ways', () => {
    const files = routeFiles().filter(key => !NOT_PUBLIC.has(key)).sort()
    const documented = operations.map(o => o.key).sort()
    // A route file without an entry in API_ROUTES (server/utils/openapi.ts), or an entry without a route.
    expect({ undocumented: files.filter(k => !documented.includes(k)), documentedButMissing: documented.filter(k => !files.includes(k)) })
      .toEqual({ undocumented: [], documentedButMissing: [] })
    expect(files.length).toBeGreaterThanOrEqual(17)
  })

  it('gives every operation a unique id, its path parameters, a success answer and the JSON error answers', () => {
    const ids = operations.map(o => o.op.operationId)
    expect(new Set(ids).size).toBe(ids.length)
    for (const { key, path, op } of operations) {
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map(m => m[1]).sort()
      const declared = (op.parameters ?? []).filter(p => p.in === 'path').map(p => p.name).sort()
      expect(declared, key).toEqual(templated)
      expect(Object.keys(op.responses).some(status => /^2\d\d$/.test(status)), key).toBe(true)
      if (templated.length) expect(Object.keys(op.responses), key).toEqual(expect.arrayContaining(['400', '404']))
      for (const status of ['401', '429']) expect(op.responses[status], key).toEqual({ $ref: expect.stringMatching(/^#\/components\/responses\//) })
      for (const [status, answer] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue
        const resolved = resolvePointer(doc, (answer as { $ref: string }).$ref) as { content: Record<string, { schema: unknown }> }
        expect(resolved.content['application/json']!.schema, `${key} ${status}`).toEqual({ $ref: '#/components/schemas/ApiError' })
      }
    }
    const upload = doc.paths['/datasets']!.post!
    expect(Object.keys(upload.requestBody!.content)).toContain('text/csv')
    expect(Object.keys(upload.responses)).toEqual(expect.arrayContaining(['201', '400', '413', '415']))
  })

  it('takes its schemas from the shared zod schemas', () => {
    const { schemas } = doc.components
    expect(Object.keys(schemas.Job!.properties!).sort()).toEqual(Object.keys(jobSchema.shape).sort())
    expect(Object.keys(schemas.Dataset!.properties!).sort()).toEqual(Object.keys(datasetRecordSchema.shape).sort())
    // The request as accepted: fields with defaults are optional.
    expect(schemas.GenerateRequest!.required ?? []).toEqual([])
    expect(doc.paths['/generate']!.post!.requestBody!.content['application/json']).toMatchObject({ schema: { $ref: '#/components/schemas/GenerateRequest' } })
  })

  it('has POST /generate examples that the schema and the server accept', async () => {
    const examples = doc.paths['/generate']!.post!.requestBody!.content['application/json']!.examples!
    expect(Object.keys(examples)).toEqual(expect.arrayContaining(['template', 'schema', 'dataset']))
    const upload = await fetch('/datasets', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,x\n2,y\n3,x\n4,y\n' })
    expect(upload.status).toBe(201)
    const { dataset_id } = await upload.json() as { dataset_id: string }
    for (const [name, { value }] of Object.entries(examples)) {
      expect(generateRequestSchema.safeParse(value).success, name).toBe(true)
      const body = { ...(value as Record<string, unknown>), rows: 50 }
      if ('source' in body) body.source = { dataset: dataset_id }
      const id = await submit(body)
      expect((await waitForJob(id)).status, name).toBe('done')
    }
    // An example that the server refuses would fail above: the check is not vacuous.
    expect((await postJson('/generate', { ...(examples.template!.value as object), rows: 0 })).status).toBe(400)
  })
})
