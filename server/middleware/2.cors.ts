/**
 * CORS with an allowlist (NUXT_CORS_ORIGINS, comma-separated origins such as https://app.example.com):
 * an allowed Origin is echoed with `Vary: Origin` and its preflight answered 204; any other origin gets
 * no CORS headers, its preflight a 403, and its state-changing requests (POST, DELETE, ...) a 403, so
 * a foreign page cannot make a signed-in browser act. Requests from this server's own pages, and
 * requests without an Origin (curl, services), are not cross-origin and pass.
 */
const ALLOW_METHODS = 'GET, POST, DELETE, OPTIONS'
const ALLOW_HEADERS = 'Authorization, X-API-Key, Content-Type, X-Filename, If-None-Match'
const EXPOSE_HEADERS = 'Location, ETag, Content-Disposition, Content-Length, Retry-After'
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

let allowlist: { raw: string; origins: Set<string> } | undefined
function allowedOrigins(): Set<string> {
  const raw = String(useRuntimeConfig().corsOrigins ?? '')
  if (allowlist?.raw !== raw) allowlist = { raw, origins: new Set(raw.split(',').map(o => o.trim().replace(/\/+$/, '')).filter(Boolean)) }
  return allowlist.origins
}

const forbiddenOrigin = (origin: string) => createError({ statusCode: 403, statusMessage: 'Forbidden', message: `origin ${origin} is not allowed (NUXT_CORS_ORIGINS)` })

export default defineEventHandler((event) => {
  if (isInternalRequest(event) || isAssetPath(event.path)) return
  appendResponseHeader(event, 'Vary', 'Origin')
  const origin = getRequestHeader(event, 'origin')
  const preflight = event.method === 'OPTIONS' && getRequestHeader(event, 'access-control-request-method') !== undefined
  if (origin === undefined || isSameOrigin(event, origin)) {
    if (event.method === 'OPTIONS') {
      setResponseHeader(event, 'Allow', ALLOW_METHODS)
      return sendNoContent(event, 204)
    }
    return
  }
  if (!allowedOrigins().has(origin)) {
    if (preflight || !SAFE_METHODS.has(event.method)) throw forbiddenOrigin(origin)
    return
  }
  setResponseHeaders(event, { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': EXPOSE_HEADERS })
  if (event.method === 'OPTIONS') {
    setResponseHeaders(event, { 'Access-Control-Allow-Methods': ALLOW_METHODS, 'Access-Control-Allow-Headers': ALLOW_HEADERS, 'Access-Control-Max-Age': '600' })
    return sendNoContent(event, 204)
  }
})
