/**
 * Errors from API paths are answered as JSON, whatever the client's Accept header: Nuxt's own handler,
 * next in the chain, would render an HTML page for a client that does not ask for JSON (curl, a
 * service). Page paths (/app and Nuxt's internals) are left to Nuxt's error page.
 */
import type { ApiError, Issue } from './utils/api'

export default defineNitroErrorHandler((error, event) => {
  if (isPagePath(event.path)) return
  const statusCode = error.statusCode || 500
  // Unexpected errors are logged and answered without their details; a 503 is a deliberate answer.
  const internal = statusCode >= 500 && statusCode !== 503
  if (internal) console.error('[api]', event.method, event.path, error.cause ?? error)
  const body: ApiError = {
    statusCode,
    statusMessage: error.statusMessage || (internal ? 'Internal Server Error' : 'Error'),
    message: internal ? 'Internal server error' : error.message,
  }
  const data = error.data as { issues?: Issue[]; retryAfter?: number } | undefined
  if (data?.issues) body.issues = data.issues
  // A body too large is not read to its end: the connection closes after the answer.
  if (statusCode === 413) setResponseHeader(event, 'Connection', 'close')
  if (data?.retryAfter) setResponseHeader(event, 'Retry-After', data.retryAfter)
  setResponseHeader(event, 'Content-Type', 'application/json')
  setResponseStatus(event, statusCode, body.statusMessage)
  return send(event, JSON.stringify(body))
})
