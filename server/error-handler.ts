/**
 * Errors from API paths are answered as JSON, whatever the client's Accept header: Nuxt's own handler,
 * next in the chain, would render an HTML page for a client that does not ask for JSON (curl, a
 * service). Page paths (/app and Nuxt's internals) are left to Nuxt's error page. A method the path
 * has no route for is a 405 with `Allow` (from the routes of server/utils/openapi.ts), not a 404; a
 * write the data folder refuses (ENOSPC, EDQUOT, EROFS) is a 507 with Retry-After, not a 500.
 */
import type { ApiError, Issue } from '#shared/schema'

export default defineNitroErrorHandler(async (error, event) => {
  if (isPagePath(event.path)) return
  let statusCode = error.statusCode || 500
  // No route for this method, but the path is one of the API's: 405 with the methods it has.
  const allowed = statusCode === 404 ? allowedMethods(event.path) : []
  if (allowed.length && !allowed.includes(event.method)) {
    statusCode = 405
    error = createError({ statusCode, statusMessage: 'Method Not Allowed', message: `${event.method} is not allowed here; allowed: ${allowed.join(', ')}` })
    setResponseHeader(event, 'Allow', allowed.join(', '))
  }
  // A write the data folder refused (full disk, quota, read-only) is the environment's fault: 507.
  const fault = statusCode === 500 ? storageFault(error) : undefined
  if (fault) {
    console.error('[api]', event.method, event.path, `storage fault: ${fault}`)
    error = insufficientStorage(fault)
    statusCode = 507
  }
  // Unexpected errors are logged and answered without their details; 503 and 507 are deliberate answers.
  const internal = statusCode >= 500 && statusCode !== 503 && statusCode !== 507
  if (internal) console.error('[api]', event.method, event.path, error.cause ?? error)
  const body: ApiError = {
    statusCode,
    statusMessage: error.statusMessage || (internal ? 'Internal Server Error' : 'Error'),
    message: internal ? 'Internal server error' : error.message,
  }
  const data = error.data as { issues?: Issue[]; retryAfter?: number } | undefined
  if (data?.issues) body.issues = data.issues
  // A body too large is read no further than drainRequest's bound: the connection closes after the answer.
  if (statusCode === 413) {
    setResponseHeader(event, 'Connection', 'close')
    await drainRequest(event)
  }
  if (data?.retryAfter) setResponseHeader(event, 'Retry-After', data.retryAfter)
  setResponseHeader(event, 'Content-Type', 'application/json')
  setResponseStatus(event, statusCode, body.statusMessage)
  return send(event, JSON.stringify(body))
})
