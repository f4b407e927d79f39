/**
 * The API's request and error plumbing: every route answers JSON, bad input is a 400 naming each bad
 * field (path + message), and nothing a client sends becomes a 500.
 */
import type { H3Event } from 'h3'
import type { z } from 'zod'
import type { Issue } from '#shared/schema'

export type { Issue }

type Path = readonly PropertyKey[]

const joinPath = (path: Path) => path.map(String).join('.') || '(root)'

/** Keys that h3 would silently drop and that could pollute prototypes: refused anywhere in a body. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

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

/** Query string, validated. */
export const validQuery = <T extends z.ZodType>(event: H3Event, schema: T) => parseOr400(schema, getQuery(event))

/** Deepest nesting a body may have (the schema language needs far less). */
const MAX_DEPTH = 32

/** Forbidden keys anywhere in a body, and nesting deeper than MAX_DEPTH; walked without recursion. */
function forbiddenKeys(body: unknown): Issue[] {
  const found: Issue[] = []
  const stack: { value: unknown; path: PropertyKey[] }[] = [{ value: body, path: [] }]
  while (stack.length) {
    const { value, path } = stack.pop()!
    if (!value || typeof value !== 'object') continue
    if (path.length >= MAX_DEPTH) {
      found.push({ path: joinPath(path), message: `nested deeper than ${MAX_DEPTH} levels` })
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

/**
 * The JSON body exactly as sent, validated. h3's readBody silently drops keys such as `__proto__`;
 * here they are a 400 like any other bad field, reported beside the schema's own issues.
 */
export async function validBody<T extends z.ZodType>(event: H3Event, schema: T): Promise<z.output<T>> {
  const body = await readJsonBody(event)
  return parseOr400(schema, body, forbiddenKeys(body))
}

async function readJsonBody(event: H3Event): Promise<unknown> {
  const type = getRequestHeader(event, 'content-type')
  if (type && !/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw createError({ statusCode: 415, statusMessage: 'Unsupported Media Type', message: 'send the body as JSON with Content-Type: application/json' })
  }
  if (Number(getRequestHeader(event, 'content-length') ?? 0) > MAX_JSON_BYTES) {
    throw createError({ statusCode: 413, statusMessage: 'Payload Too Large', message: `the body may be at most ${MAX_JSON_BYTES} bytes` })
  }
  const raw = await readRawBody(event, 'utf8')
  if (raw && Buffer.byteLength(raw) > MAX_JSON_BYTES) {
    throw createError({ statusCode: 413, statusMessage: 'Payload Too Large', message: `the body may be at most ${MAX_JSON_BYTES} bytes` })
  }
  let body: unknown
  try {
    body = JSON.parse(raw ?? '')
  }
  catch (error) {
    throw badRequest([{ path: '(root)', message: `body is not valid JSON: ${error instanceof Error ? error.message : String(error)}` }], 'Malformed JSON')
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest([{ path: '(root)', message: 'body must be a JSON object' }])
  return body
}

/** The JSON shape of every error the API answers (see server/error-handler.ts). */
export interface ApiError {
  statusCode: number
  statusMessage: string
  message: string
  issues?: Issue[]
}

/** 404 for an unknown id or name. */
export const notFound = (what: string) => createError({ statusCode: 404, statusMessage: 'Not Found', message: `${what} not found` })

/** 409 for a result asked of a job that is not done. */
export const notReady = (status: string) => createError({ statusCode: 409, statusMessage: 'Conflict', message: `job is ${status}, not done` })
