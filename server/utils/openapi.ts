/**
 * The public API contract: an OpenAPI 3.1 document served at GET /openapi.json, built from the shared
 * zod schemas (`z.toJSONSchema`, JSON Schema 2020-12, which is OpenAPI 3.1's dialect), so no shape
 * is written twice. Every route under server/routes has one entry in API_ROUTES; tests/api/openapi.test.ts
 * fails when a route file has no entry or an entry has no route file.
 *
 * Schemas are described as accepted on input (`io: 'input'`): fields with a default are optional.
 * Responses always carry them filled in.
 */
import { z } from 'zod'
import {
  apiErrorSchema, authSessionSchema, columnSchema, correlationSchema, datasetListSchema, datasetRecordSchema, generationSchema, distributionSchema,
  formatSchema, generateAcceptedSchema, generateRequestSchema, healthSchema, idParamsSchema, issueSchema, jobListSchema,
  jobSchema, jobsQuerySchema, jobStatusSchema, jsonValueSchema, previewQuerySchema, previewSchema, schemaJobMetricsSchema, templateListSchema,
  loginRequestSchema, templateParamsSchema, templateSchema, templateSummarySchema, valueSpecSchema,
} from '#shared/schema'
import { FORMAT_IDS, FORMATS, GZIP_CONTENT_TYPE } from '#shared/formats'
import { version } from '~~/package.json'

type JsonSchema = Record<string, unknown>
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'
type Tag = 'Jobs' | 'Results' | 'Templates' | 'Datasets' | 'Access' | 'Service'
type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 429 | 503 | 507

interface Example { summary: string; value: unknown }

/** A response: a zod schema (JSON), other content by media type, or nothing (204, 304). */
interface ResponseDoc {
  description: string
  schema?: z.ZodType
  content?: Record<string, { schema?: JsonSchema; example?: unknown }>
  /** Response headers: name → description. */
  headers?: Record<string, string>
}

/** One operation. Errors implied by its inputs (400, 404, 413, 415), its method (403 for a foreign origin) and the access errors (401, 429) are added. */
export interface RouteDoc {
  method: Method
  /** OpenAPI style: `/jobs/{id}`. */
  path: string
  operationId: string
  tag: Tag
  summary: string
  description?: string
  /** Path parameters (a zod object; 400 and 404 follow). */
  params?: z.ZodObject
  /** Query parameters (a zod object; 400 follows). */
  query?: z.ZodObject
  /** Request headers: name → description (optional strings). */
  headers?: Record<string, string>
  /** A JSON body (400, 413, 415 follow), or other content by media type. */
  body?: { schema: z.ZodType; examples?: Record<string, Example> } | { content: Record<string, { schema: JsonSchema }>; description: string }
  responses: Record<number, ResponseDoc>
  /** Further error answers (409 not done, 503 shutting down, ...). */
  errors?: ErrorStatus[]
}

/** Named schemas (components/schemas): referenced wherever they appear, described once. */
const NAMED: [string, z.ZodType, string?][] = [
  ['GenerateRequest', generateRequestSchema, 'Exactly one of `template`, `schema` or `source`.'],
  ['GenerateAccepted', generateAcceptedSchema],
  ['GenerationSchema', generationSchema, 'A schema in the schema language (README "The schema language"; also GET /schema.json).'],
  ['Column', columnSchema, 'One column: a `name`, a `kind` and the fields of that kind.'],
  ['ValueSpec', valueSpecSchema, 'A value kind without a name: what a conditional column\'s cases draw from.'],
  ['Distribution', distributionSchema],
  ['JsonValue', jsonValueSchema, 'Any JSON value.'],
  ['Correlation', correlationSchema],
  ['Format', formatSchema, `The output format: ${FORMAT_IDS.map(format => `\`${format}\` (${FORMATS[format].label}: ${FORMATS[format].description})`).join(', ')}.`],
  ['JobStatus', jobStatusSchema],
  ['Job', jobSchema],
  ['JobList', jobListSchema],
  ['Preview', previewSchema],
  ['Metrics', schemaJobMetricsSchema, 'The quality report; `quality` only for jobs made from a dataset.'],
  ['Template', templateSchema],
  ['TemplateSummary', templateSummarySchema],
  ['TemplateList', templateListSchema],
  ['Dataset', datasetRecordSchema],
  ['DatasetList', datasetListSchema],
  ['Health', healthSchema],
  ['LoginRequest', loginRequestSchema],
  ['AuthSession', authSessionSchema],
  ['Issue', issueSchema],
  ['ApiError', apiErrorSchema, 'The body of every error. `issues` (400s) names each bad field.'],
]

/** Examples of POST /generate (tests/api/openapi.test.ts submits them). */
export const GENERATE_EXAMPLES: Record<string, Example> = {
  template: { summary: 'From a template', value: { template: 'customers', rows: 100_000, format: 'csv', seed: 42 } },
  schema: {
    summary: 'From an inline schema',
    value: {
      rows: 1000, format: 'json', seed: 1,
      schema: {
        locale: 'de',
        columns: [
          { name: 'id', kind: 'pattern', pattern: 'K-#####', unique: true },
          { name: 'name', kind: 'faker', method: 'person.fullName' },
          { name: 'level', kind: 'categorical', categories: [{ value: 'junior', weight: 3 }, { value: 'senior', weight: 1 }] },
          { name: 'salary', kind: 'conditional', on: 'level', cases: [
            { when: 'junior', then: { kind: 'integer', min: 40000, max: 60000 } },
            { when: 'senior', then: { kind: 'integer', min: 80000, max: 120000 } },
          ] },
          { name: 'bonus', kind: 'derived', expression: 'round(salary * 0.1)' },
          { name: 'hired', kind: 'date', start: '2015-01-01', end: '2025-12-31' },
        ],
      },
    },
  },
  dataset: { summary: 'Look-alike rows of an uploaded dataset', value: { source: { dataset: '9c4ad849-5b1e-4c8a-9f3d-2e7a6b1c0d4f' }, rows: 100_000, format: 'parquet', seed: 1 } },
  sql: { summary: 'SQL inserts, gzipped', value: { template: 'orders', rows: 5000, format: 'sql', table: 'orders', gzip: true, seed: 7 } },
}

const ERRORS: Record<ErrorStatus, { name: string; description: string; example: z.input<typeof apiErrorSchema>; headers?: Record<string, string> }> = {
  400: {
    name: 'BadRequest',
    description: 'Invalid input: `issues` names every bad field (path and message).',
    example: { statusCode: 400, statusMessage: 'Bad Request', message: 'Invalid request', issues: [{ path: 'rows', message: 'Too small: expected number to be >=1' }, { path: 'schema.columns.0.min', message: 'min must not exceed max' }] },
  },
  401: {
    name: 'Unauthorized',
    description: 'Missing or wrong API key (only when the server sets `NUXT_API_KEY`).',
    example: { statusCode: 401, statusMessage: 'Unauthorized', message: 'an API key is required' },
  },
  403: {
    name: 'Forbidden',
    description: 'A state-changing request (POST, DELETE) from a browser origin that `NUXT_CORS_ORIGINS` does not allow.',
    example: { statusCode: 403, statusMessage: 'Forbidden', message: 'origin https://elsewhere.example is not allowed' },
  },
  404: { name: 'NotFound', description: 'Unknown id or name.', example: { statusCode: 404, statusMessage: 'Not Found', message: 'job not found' } },
  409: { name: 'Conflict', description: 'The job is not `done` (yet).', example: { statusCode: 409, statusMessage: 'Conflict', message: 'job is running, not done' } },
  410: { name: 'Gone', description: 'The job\'s files expired (`NUXT_ARTIFACT_TTL`) and were deleted (the job record stays, with `expired_at`), or the file asked for is missing from the data folder.', example: { statusCode: 410, statusMessage: 'Gone', message: 'the files of this job expired and were deleted' } },
  413: { name: 'PayloadTooLarge', description: 'The body is over the limit (1 MB of JSON; `NUXT_MAX_UPLOAD_BYTES` for CSV uploads).', example: { statusCode: 413, statusMessage: 'Payload Too Large', message: 'the body may be at most 1048576 bytes' } },
  415: { name: 'UnsupportedMediaType', description: 'The body is not of a type this route reads.', example: { statusCode: 415, statusMessage: 'Unsupported Media Type', message: 'send the body as JSON with Content-Type: application/json' } },
  429: {
    name: 'TooManyRequests',
    description: 'Rate limit reached (when the server sets one); retry after `Retry-After` seconds.',
    example: { statusCode: 429, statusMessage: 'Too Many Requests', message: 'rate limit exceeded' },
    headers: { 'Retry-After': 'Seconds to wait before retrying.' },
  },
  503: {
    name: 'ServiceUnavailable',
    description: 'The server is starting, shutting down, or its queue is full (`NUXT_MAX_QUEUED`); retry after `Retry-After` seconds.',
    headers: { 'Retry-After': 'Seconds to wait before retrying.' },
    example: { statusCode: 503, statusMessage: 'Service Unavailable', message: 'the server is shutting down' },
  },
  507: {
    name: 'InsufficientStorage',
    description: 'The server\'s data folder refused the write (full disk, quota, read-only file system): nothing was stored; retry after `Retry-After` seconds.',
    headers: { 'Retry-After': 'Seconds to wait before retrying.' },
    example: { statusCode: 507, statusMessage: 'Insufficient Storage', message: 'the server cannot store this now: its data folder refused the write, ENOSPC (no space left on the device); retry later' },
  },
}

const idParam = { params: idParamsSchema }
const json = (schema: z.ZodType, description: string, headers?: Record<string, string>): ResponseDoc => ({ description, schema, headers })
const noContent = (description: string): ResponseDoc => ({ description })

const downloadContent = Object.fromEntries([
  ...FORMAT_IDS.map((format) => {
    const { contentType, label, description, text } = FORMATS[format]
    return [contentType.split(';')[0]!, text ? { schema: { type: 'string', description: `format \`${format}\` (${label}: ${description})` } } : {}]
  }),
  [GZIP_CONTENT_TYPE, {}],
])

/** Every route, one entry each (a new route is one more line here). */
export const API_ROUTES: RouteDoc[] = [
  {
    method: 'post', path: '/generate', operationId: 'createJob', tag: 'Jobs', summary: 'Start a generation job',
    description: 'Validates the request (every bad field is named in a 400) and queues a job. The same request and `seed` always give the same bytes; without `seed` a random one is drawn and recorded in the job.',
    body: { schema: generateRequestSchema, examples: GENERATE_EXAMPLES },
    responses: { 202: json(generateAcceptedSchema, 'Job accepted; poll `Location`.', { Location: 'The job: `/jobs/{id}`.' }) },
    errors: [503, 507],
  },
  { method: 'get', path: '/jobs', operationId: 'listJobs', tag: 'Jobs', summary: 'List jobs, newest first', description: 'A page at a time: pass `next_cursor` back as `cursor` for the next page.', query: jobsQuerySchema, responses: { 200: json(jobListSchema, 'A page of jobs.') } },
  { method: 'get', path: '/jobs/{id}', operationId: 'getJob', tag: 'Jobs', summary: 'One job: status and progress', ...idParam, responses: { 200: json(jobSchema, 'The job.') } },
  {
    method: 'get', path: '/jobs/{id}/schema', operationId: 'getJobSchema', tag: 'Jobs', summary: 'The schema a job ran with',
    description: 'Resolved: a template\'s or a dataset model\'s schema as it was when the job was made. Sent back as `schema` with the job\'s `seed` (and `rows`, `format`), it gives the same bytes.', ...idParam,
    responses: { 200: json(generationSchema, 'The schema.') },
  },
  {
    method: 'get', path: '/jobs/{id}/events', operationId: 'jobEvents', tag: 'Jobs', summary: 'Follow a job as server-sent events',
    description: 'One `data:` message with the job (as GET /jobs/{id} shows it) now and on every change; the stream ends after the message with a final status (`done`, `error`, `canceled`).', ...idParam,
    responses: { 200: { description: 'An event stream of Job objects.', content: { 'text/event-stream': { schema: { type: 'string' }, example: 'data: {"job_id":"…","status":"running","progress":0.42,…}\n\n' } } } },
  },
  {
    method: 'delete', path: '/jobs/{id}', operationId: 'deleteJob', tag: 'Jobs', summary: 'Cancel a job, or delete a finished one',
    description: 'A queued or running job is canceled (200 with the job, now `canceled`); a finished one is deleted with its files (204).', ...idParam,
    responses: { 200: json(jobSchema, 'The canceled job.'), 204: noContent('Deleted with its files.') },
  },
  { method: 'get', path: '/preview/{id}', operationId: 'getPreview', tag: 'Results', summary: 'The first rows of a finished job', ...idParam, query: previewQuerySchema, responses: { 200: json(previewSchema, 'Column names and the first `n` rows as values.') }, errors: [409, 410] },
  { method: 'get', path: '/metrics/{id}', operationId: 'getMetrics', tag: 'Results', summary: 'The quality report of a finished job', ...idParam, responses: { 200: json(schemaJobMetricsSchema, 'The output checked against the schema (and against the dataset, for jobs made from one).') }, errors: [409, 410] },
  {
    method: 'get', path: '/download/{id}', operationId: 'download', tag: 'Results', summary: 'Download the file of a finished job',
    description: 'Streamed as an attachment; the media type follows the job\'s `format` (`application/gzip` with `gzip`). `If-None-Match` with the ETag gives 304. HEAD gives the headers alone, like every GET route.', ...idParam,
    headers: { 'If-None-Match': 'An ETag from an earlier download: 304 when unchanged.' },
    responses: {
      200: { description: 'The file.', content: downloadContent, headers: { 'Content-Disposition': '`attachment; filename="customers-5f4a1795.csv"`', 'Content-Length': 'Size in bytes.', 'ETag': 'The file\'s SHA-256, quoted.' } },
      304: { description: 'Not modified (the ETag matched).', headers: { ETag: 'The file\'s SHA-256, quoted.' } },
    },
    errors: [409, 410],
  },
  { method: 'get', path: '/templates', operationId: 'listTemplates', tag: 'Templates', summary: 'The shipped templates, then the custom ones', responses: { 200: json(templateListSchema, 'Name, title, description, `custom` and output columns of each.') } },
  { method: 'get', path: '/templates/{name}', operationId: 'getTemplate', tag: 'Templates', summary: 'One template with its full schema', description: 'Its `schema` is accepted unchanged as an inline `schema` by POST /generate.', params: templateParamsSchema, responses: { 200: json(templateSchema, 'The template.') } },
  {
    method: 'post', path: '/templates', operationId: 'saveTemplate', tag: 'Templates', summary: 'Save a custom template',
    description: 'Stored in the data folder and listed by GET /templates with `custom: true`; usable as `template` in POST /generate. Saving under a custom template\'s name replaces it (200); a shipped template\'s name is a 409. The schema gets the checks POST /generate gives it (a 400 names the field).',
    body: { schema: templateSchema },
    responses: { 201: json(templateSchema, 'Saved.', { Location: 'The template: `/templates/{name}`.' }), 200: json(templateSchema, 'Replaced a custom template of that name.') },
    errors: [409, 507],
  },
  { method: 'delete', path: '/templates/{name}', operationId: 'deleteTemplate', tag: 'Templates', summary: 'Delete a custom template', description: 'Shipped templates cannot be deleted (403).', params: templateParamsSchema, responses: { 204: noContent('Deleted.') } },
  {
    method: 'post', path: '/datasets', operationId: 'uploadDataset', tag: 'Datasets', summary: 'Upload a real CSV sample',
    description: 'The raw CSV is the body, or the file of a multipart form. UTF-8 throughout (a NUL byte or an invalid sequence anywhere is a 400 giving its byte offset), `,` `;` or tab delimited. It is profiled and a model is fitted; generate look-alike rows with `source: { dataset }`. Empty, header-only, ragged, binary or non-UTF-8 files are 400s saying why.',
    headers: { 'X-Filename': 'The file\'s name, kept with the dataset (at most 200 characters).' },
    body: {
      description: 'The CSV file: the raw body, or the one file of a multipart form (a browser\'s upload; its file name is kept).',
      content: {
        ...Object.fromEntries(CSV_UPLOAD_TYPES.map(type => [type, { schema: { type: 'string' } }])),
        'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', contentMediaType: 'text/csv' } }, required: ['file'] } },
      },
    },
    responses: { 201: json(datasetRecordSchema, 'Profiled: rows and inferred column types.', { Location: 'The dataset: `/datasets/{id}`.' }) },
    errors: [400, 413, 415, 503, 507],
  },
  { method: 'get', path: '/datasets', operationId: 'listDatasets', tag: 'Datasets', summary: 'The uploaded samples, newest first', responses: { 200: json(datasetListSchema, 'The datasets.') } },
  { method: 'get', path: '/datasets/{id}', operationId: 'getDataset', tag: 'Datasets', summary: 'One uploaded sample', ...idParam, responses: { 200: json(datasetRecordSchema, 'Rows and inferred column types.') } },
  { method: 'delete', path: '/datasets/{id}', operationId: 'deleteDataset', tag: 'Datasets', summary: 'Delete an uploaded sample and its file', ...idParam, responses: { 204: noContent('Deleted.') } },
  { method: 'get', path: '/datasets/{id}/model', operationId: 'getDatasetModel', tag: 'Datasets', summary: 'The model fitted to a sample, as a schema', description: 'Edit it and send it back as `schema` to POST /generate.', ...idParam, responses: { 200: json(generationSchema, 'A Gaussian copula written in the schema language.') } },
  { method: 'get', path: '/schema.json', operationId: 'getSchemaLanguage', tag: 'Service', summary: 'The schema language as JSON Schema', description: 'Draft 2020-12; point an editor at it.', responses: { 200: { description: 'A JSON Schema document.', content: { 'application/json': { schema: { type: 'object' } } } } } },
  { method: 'get', path: '/openapi.json', operationId: 'getOpenApi', tag: 'Service', summary: 'This document', responses: { 200: { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } } },
  { method: 'get', path: '/healthz', operationId: 'health', tag: 'Service', summary: 'Readiness', description: 'The server answers, has booted (recovered the jobs of the previous run, then warmed the engine up) and its data folder can be written (a small file is written and removed); 503 while starting, shutting down, or while the data folder refuses writes (a full disk). Open without an API key.', responses: { 200: json(healthSchema, 'Ready.') }, errors: [503] },
  {
    method: 'post', path: '/auth/login', operationId: 'signIn', tag: 'Access', summary: 'Sign a browser in with the API key',
    description: 'Sets an HttpOnly, SameSite=Strict session cookie holding a random token (never the key). 404 when the server has no `NUXT_API_KEY`.',
    body: { schema: loginRequestSchema }, responses: { 204: { description: 'Signed in.', headers: { 'Set-Cookie': '`sdaas_session=…; HttpOnly; SameSite=Strict`' } } }, errors: [404],
  },
  { method: 'post', path: '/auth/logout', operationId: 'signOut', tag: 'Access', summary: 'End the browser\'s session', responses: { 204: noContent('Signed out; the cookie is cleared.') } },
  { method: 'get', path: '/auth/session', operationId: 'getSession', tag: 'Access', summary: 'Whether a key is needed, and whether the caller has one', responses: { 200: json(authSessionSchema, '`auth_required` and `signed_in`.') } },
]

const routePatterns = API_ROUTES.map(route => ({ method: route.method.toUpperCase(), pattern: new RegExp(`^${route.path.replace(/\{\w+\}/g, '[^/]+').replace(/\./g, '\\.')}/?$`) }))

/** The methods the API answers on a path (empty when no route has it): what a 405's `Allow` lists. */
export function allowedMethods(path: string): string[] {
  const pathname = path.split('?')[0]!
  const methods = [...new Set(routePatterns.filter(r => r.pattern.test(pathname)).map(r => r.method))]
  // Every GET answers HEAD too (server/middleware/0.head.ts).
  return methods.includes('GET') ? [...methods, 'HEAD'] : methods
}

const REF = '#/components/schemas/'

/**
 * The named schemas as JSON Schema, with refs between them. Definitions zod puts beside them (shared
 * or recursive parts) become components too, so every `$ref` points into `#/components/schemas`.
 */
function namedSchemas(): { schemas: Record<string, JsonSchema>; ids: Map<z.ZodType, string> } {
  const registry = z.registry<{ id: string; description?: string }>()
  const ids = new Map<z.ZodType, string>()
  for (const [id, schema, description] of NAMED) {
    registry.add(schema, description ? { id, description } : { id })
    ids.set(schema, id)
  }
  const converted = z.toJSONSchema(registry, { io: 'input', unrepresentable: 'any', uri: id => REF + id }).schemas as Record<string, JsonSchema>
  const schemas: Record<string, JsonSchema> = {}
  const hoisted = (owner: string, name: string) => owner === '__shared' ? `Shared_${name}` : `${owner}_${name}`
  for (const [owner, schema] of Object.entries(converted)) {
    const { $schema: _dialect, $id: _id, $defs, ...rest } = schema
    const rewrite = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(rewrite)
      if (!value || typeof value !== 'object') return value
      return Object.fromEntries(Object.entries(value).map(([key, child]) => {
        if (key !== '$ref' || typeof child !== 'string') return [key, rewrite(child)]
        const shared = child.match(/^#\/components\/schemas\/(\w+)#\/\$defs\/(\w+)$/)
        if (shared) return [key, REF + hoisted(shared[1]!, shared[2]!)]
        const local = child.match(/^#\/\$defs\/(\w+)$/)
        if (local) return [key, REF + hoisted(owner, local[1]!)]
        if (child === '#') return [key, REF + owner]
        return [key, child]
      }))
    }
    if (owner !== '__shared') schemas[owner] = rewrite(rest) as JsonSchema
    for (const [name, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) schemas[hoisted(owner, name)] = rewrite(def) as JsonSchema
  }
  return { schemas, ids }
}

/** Builds the document (once per process: it depends only on the code). */
function build(): JsonSchema {
  const { schemas, ids } = namedSchemas()
  const schemaOf = (schema: z.ZodType): JsonSchema => {
    const id = ids.get(schema)
    if (id) return { $ref: REF + id }
    const { $schema: _dialect, ...inline } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema
    return inline
  }
  const parameters = (object: z.ZodObject, where: 'path' | 'query') => {
    const { properties = {}, required = [] } = z.toJSONSchema(object, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonSchema & { description?: string }>; required?: string[] }
    return Object.entries(properties).map(([name, { description, ...schema }]) => ({
      name, in: where, required: where === 'path' || required.includes(name), ...(description ? { description } : {}), schema,
    }))
  }
  const headerObjects = (headers: Record<string, string>) =>
    Object.fromEntries(Object.entries(headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]))

  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of API_ROUTES) {
    const errors = new Set<ErrorStatus>([401, 429, ...(route.errors ?? [])])
    if (route.method !== 'get') errors.add(403)
    if (route.params) errors.add(400).add(404)
    if (route.query) errors.add(400)
    if (route.body && 'schema' in route.body) errors.add(400).add(413).add(415)
    const responses: Record<string, unknown> = {}
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.headers ? { headers: headerObjects(response.headers) } : {}),
        ...(response.schema ? { content: { 'application/json': { schema: schemaOf(response.schema) } } } : {}),
        ...(response.content ? { content: response.content } : {}),
      }
    }
    for (const status of [...errors].sort()) responses[status] = { $ref: `#/components/responses/${ERRORS[status].name}` }
    const body = route.body && ('schema' in route.body
      ? { required: true, content: { 'application/json': { schema: schemaOf(route.body.schema), ...(route.body.examples ? { examples: route.body.examples } : {}) } } }
      : { required: true, description: route.body.description, content: route.body.content })
    const parameterList = [
      ...(route.params ? parameters(route.params, 'path') : []),
      ...(route.query ? parameters(route.query, 'query') : []),
      ...Object.entries(route.headers ?? {}).map(([name, description]) => ({ name, in: 'header', required: false, description, schema: { type: 'string' } })),
    ]
    paths[route.path] ??= {}
    paths[route.path]![route.method] = {
      operationId: route.operationId,
      tags: [route.tag],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      ...(parameterList.length ? { parameters: parameterList } : {}),
      ...(body ? { requestBody: body } : {}),
      responses,
    }
  }

  return {
    openapi: '3.1.1',
    info: {
      title: 'SDaaS: Synthetic Data as a Service',
      version,
      summary: 'Realistic tabular data from templates, schemas and real samples, reproducibly.',
      description: 'Start a job with POST /generate, poll GET /jobs/{id} until `done`, then read /preview, /metrics and /download. All answers are JSON except downloads; every error has the `ApiError` shape; a method a path does not have is a 405 with `Allow`. When the server sets `NUXT_API_KEY`, every call needs `Authorization: Bearer <key>` or `X-API-Key: <key>`.',
      license: { name: 'Proprietary' },
    },
    servers: [{ url: '/', description: 'This server' }],
    tags: [
      { name: 'Jobs', description: 'Start, follow, cancel and delete generation jobs.' },
      { name: 'Results', description: 'What a finished job made: rows, quality report, file.' },
      { name: 'Templates', description: 'The shipped templates.' },
      { name: 'Datasets', description: 'Real CSV samples to imitate.' },
      { name: 'Access', description: 'Browser sign-in when the server sets `NUXT_API_KEY`.' },
      { name: 'Service', description: 'Health and machine-readable descriptions.' },
    ],
    security: [{}, { bearerAuth: [] }, { apiKey: [] }],
    paths,
    components: {
      schemas,
      responses: Object.fromEntries(Object.values(ERRORS).map(({ name, description, example, headers }) => [name, {
        description,
        ...(headers ? { headers: headerObjects(headers) } : {}),
        content: { 'application/json': { schema: { $ref: `${REF}ApiError` }, example } },
      }])),
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'The server\'s `NUXT_API_KEY`, when it sets one.' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The same key in a header.' },
      },
    },
  }
}

let document: JsonSchema | undefined

/** The OpenAPI document (built on first use). */
export function openApiDocument(): JsonSchema {
  document ??= build()
  return document
}
