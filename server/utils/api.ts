/**
 * The API's request and error plumbing: every route answers JSON, bad input is a 400 naming each bad
 * field (path + message), and nothing a client sends becomes a 500.
 */
import { Transform } from 'node:stream'
import type { H3Event } from 'h3'
import type { z } from 'zod'
import { FORBIDDEN_KEYS, type Issue } from '#shared/schema'


type Path = readonly PropertyKey[]

const joinPath = (path: Path) => path.map(String).join('.') || '(root)'


/** A 400 whose body lists every bad field. */
export function badRequest(issues: Issue[], message = 'Invalid request') {
  return createError({ statusCode: 400, statusMessage: 'Bad Request', message, data: { issues } })
}

/**
 * Validates `data` with a shared zod schema; a failure is a 400 listing `extraIssues` (found before
 * parsing) and every zod issue.
 */
export function parseOr400<T extends z.ZodType>(schema: T, data: unknown, extraIssues: Issue[] = []): z.output<T> {
  const result = schema.safeParse(data)
  if (result.success && !extraIssues.length) return result.data
  // A forbidden key is reported once, as such, not again as an unknown key.
  const zodIssues = (result.success ? [] : result.error.issues)
    .filter(issue => !(issue.code === 'unrecognized_keys' && issue.keys.every(key => FORBIDDEN_KEYS.has(key))))
    .map(issue => ({ path: joinPath(issue.path), message: issue.message }))
  throw badRequest([...extraIssues, ...zodIssues])
}

/** Route params, validated. */
export const validParams = <T extends z.ZodType>(event: H3Event, schema: T) => parseOr400(schema, getRouterParams(event, { decode: true }))

/**
 * Query string, validated. h3's getQuery silently drops `__proto__` and `constructor`; like in bodies,
 * they are a 400 here.
 */
export function validQuery<T extends z.ZodType>(event: H3Event, schema: T): z.output<T> {
  const forbidden = [...new Set(getRequestURL(event).searchParams.keys())].filter(key => FORBIDDEN_KEYS.has(key.replace(/\[\]$/, '')))
  return parseOr400(schema, getQuery(event), forbidden.map(key => ({ path: key, message: `query parameter "${key}" is not allowed` })))
}

/** Deepest nesting a body may have (the schema language needs far less). */
const MAX_DEPTH = 32

const TOO_DEEP = `nested deeper than ${MAX_DEPTH} levels`

/** Forbidden keys anywhere in a body, and nesting deeper than MAX_DEPTH; walked without recursion. */
function forbiddenKeys(body: unknown): Issue[] {
  const found: Issue[] = []
  const stack: { value: unknown; path: PropertyKey[] }[] = [{ value: body, path: [] }]
  while (stack.length) {
    const { value, path } = stack.pop()!
    if (!value || typeof value !== 'object') continue
    if (path.length >= MAX_DEPTH) {
      found.push({ path: joinPath(path), message: TOO_DEEP })
      continue
    }
    const entries: [PropertyKey, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value)
    for (const [key, child] of entries) {
      if (typeof key === 'string' && FORBIDDEN_KEYS.has(key)) found.push({ path: joinPath([...path, key]), message: `key "${key}" is not allowed` })
      else stack.push({ value: child, path: [...path, key] })
    }
  }
  return found
}

/** Largest JSON body accepted. */
export const MAX_JSON_BYTES = 1024 * 1024

/** 413 for a body over `limit` bytes. */
export const payloadTooLarge = (limit: number) => createError({ statusCode: 413, statusMessage: 'Payload Too Large', message: `the body may be at most ${limit} bytes` })

/** A 413 at once when the declared Content-Length is over the limit. */
export function refuseDeclaredLength(event: H3Event, limit: number): void {
  if (Number(getRequestHeader(event, 'content-length') ?? 0) > limit) throw payloadTooLarge(limit)
}

/**
 * A pass-through stream of the request body that fails with a 413 as soon as more than `limit` bytes
 * went through: a chunked body (no Content-Length) is refused without being read to its end.
 */
export function bodyLimit(limit: number): Transform {
  let bytes = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length
      callback(bytes > limit ? payloadTooLarge(limit) : null, chunk)
    },
  })
}

/** What is read and dropped of a refused body before the answer (see drainRequest). */
const DRAIN_BYTES = 8 * 1024 * 1024
const DRAIN_MS = 2000

/**
 * Reads and drops what is left of a refused request body (a 413), at most DRAIN_BYTES for at most
 * DRAIN_MS, before the answer goes out: a client still sending its body then reads the answer, where
 * closing at once would reset the connection under it (EPIPE) whenever its body outruns the socket's
 * buffers. Past the bound the connection is closed all the same.
 */
export function drainRequest(event: H3Event): Promise<void> {
  const req = event.node.req
  if (isInternalRequest(event) || req.readableEnded || req.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    let bytes = 0
    const done = () => {
      clearTimeout(timer)
      req.off('data', onData)
      req.off('end', done)
      req.off('error', done)
      resolve()
    }
    const onData = (chunk: Buffer) => {
      bytes += chunk.length
      if (bytes > DRAIN_BYTES) done()
    }
    const timer = setTimeout(done, DRAIN_MS)
    req.on('data', onData)
    req.once('end', done)
    req.once('error', done)
    req.resume()
  })
}

/** The request body, at most `limit` bytes (413 otherwise, declared or chunked). */
export async function readLimitedBody(event: H3Event, limit: number): Promise<Buffer> {
  refuseDeclaredLength(event, limit)
  // Requests made inside this process (server-side rendering) carry their body whole, not as a stream.
  if (isInternalRequest(event)) {
    const raw = await readRawBody(event, false)
    if (raw && raw.byteLength > limit) throw payloadTooLarge(limit)
    return raw ?? Buffer.alloc(0)
  }
  const limiter = bodyLimit(limit)
  const chunks: Buffer[] = []
  try {
    for await (const chunk of event.node.req.pipe(limiter)) chunks.push(chunk as Buffer)
  }
  catch (error) {
    // The rest is discarded, not read into memory; the 413 closes the connection.
    event.node.req.unpipe(limiter)
    event.node.req.resume()
    throw error
  }
  return Buffer.concat(chunks)
}

/**
 * The JSON body exactly as sent, validated. h3's readBody silently drops keys such as `__proto__`;
 * here they are a 400 like any other bad field, reported beside the schema's own issues.
 */
export async function validBody<T extends z.ZodType>(event: H3Event, schema: T): Promise<z.output<T>> {
  const body = await readJsonBody(event)
  const issues = forbiddenKeys(body)
  // zod walks a JSON value (faker `args`) recursively: a body nested thousands of levels deep would
  // overflow the stack there, so too deep a body is refused before the schema sees it.
  if (issues.some(issue => issue.message === TOO_DEEP)) throw badRequest(issues)
  return parseOr400(schema, body, issues)
}

async function readJsonBody(event: H3Event): Promise<unknown> {
  const type = getRequestHeader(event, 'content-type')
  if (type && !/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw createError({ statusCode: 415, statusMessage: 'Unsupported Media Type', message: 'send the body as JSON with Content-Type: application/json' })
  }
  const raw = (await readLimitedBody(event, MAX_JSON_BYTES)).toString('utf8')
  let body: unknown
  try {
    body = JSON.parse(raw)
  }
  catch (error) {
    throw badRequest([{ path: '(root)', message: `body is not valid JSON: ${error instanceof Error ? error.message : String(error)}` }], 'Malformed JSON')
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest([{ path: '(root)', message: 'body must be a JSON object' }])
  return body
}


/** Whether the client sent HEAD (routed as GET by server/middleware/0.head.ts): no body will be sent. */
export const isHeadRequest = (event: H3Event) => event.context.head === true

/** 404 for an unknown id or name. */
export const notFound = (what: string) => createError({ statusCode: 404, statusMessage: 'Not Found', message: `${what} not found` })

/**
 * 429 (this client sends too much) or 503 (the server cannot take it now) with the seconds to wait,
 * which the error handler sends as Retry-After.
 */
export function retryLater(statusCode: 429 | 503, message: string, retryAfterSeconds: number) {
  const statusMessage = statusCode === 429 ? 'Too Many Requests' : 'Service Unavailable'
  return createError({ statusCode, statusMessage, message, data: { retryAfter: Math.max(1, Math.ceil(retryAfterSeconds)) } })
}

/** What each storage fault means, for the 507's message and the health check. */
const STORAGE_FAULTS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
}

/**
 * The storage fault (ENOSPC, EDQUOT, EROFS) somewhere in an error's cause chain, as "CODE (meaning)",
 * or undefined: the server's environment, not the request, is what failed.
 */
export function storageFault(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && code in STORAGE_FAULTS) return `${code} (${STORAGE_FAULTS[code]})`
  }
  return undefined
}

/** Seconds a client is told to wait after a 507: an operator has to free space first. */
const STORAGE_RETRY_SECONDS = 60

/** 507 for a write the data folder refused (full, over quota, read-only), with Retry-After. */
export const insufficientStorage = (fault: string) => createError({
  statusCode: 507,
  statusMessage: 'Insufficient Storage',
  message: `the server cannot store this now: its data folder refused the write, ${fault}; retry later`,
  data: { retryAfter: STORAGE_RETRY_SECONDS },
})

/** 410 for the files of a job that expired (NUXT_ARTIFACT_TTL). */
export const gone = (message: string) => createError({ statusCode: 410, statusMessage: 'Gone', message })

/** 409 for a result asked of a job that is not done. */
export const notReady = (status: string) => createError({ statusCode: 409, statusMessage: 'Conflict', message: `job is ${status}, not done` })
