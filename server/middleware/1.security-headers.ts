/** Security headers on pages, API answers and files alike (server/utils/security-headers.ts). */
export default defineEventHandler((event) => {
  if (isInternalRequest(event)) return
  setResponseHeaders(event, SECURITY_HEADERS)
  // The dev server's hot reload injects scripts no fixed policy allows.
  if (import.meta.dev) removeResponseHeader(event, 'Content-Security-Policy')
})
