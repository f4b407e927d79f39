/**
 * Access (when NUXT_API_KEY is set): every API route needs the key (Authorization: Bearer <key> or
 * X-API-Key) or a signed-in browser's session cookie, else 401; a page asked without either redirects
 * to /app/login. Open to all: /healthz, the sign-in routes and page, and static files.
 */
const OPEN_PATHS = new Set(['/healthz', '/auth/login', '/auth/logout', '/auth/session', '/app/login'])

export default defineEventHandler((event) => {
  // Requests made while rendering a page come from a page request that was let in.
  if (!authRequired() || isInternalRequest(event) || isAssetPath(event.path)) return
  const path = event.path.split('?')[0]!
  if (OPEN_PATHS.has(path) || authPrincipal(event)) return
  if (isPagePath(path)) return sendRedirect(event, `/app/login?next=${encodeURIComponent(event.path)}`, 302)
  setResponseHeader(event, 'WWW-Authenticate', 'Bearer realm="SDaaS"')
  throw createError({
    statusCode: 401,
    statusMessage: 'Unauthorized',
    message: 'this server needs its API key: send Authorization: Bearer <key> or X-API-Key: <key> (browsers sign in at /app/login)',
  })
})
