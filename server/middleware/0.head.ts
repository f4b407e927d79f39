/**
 * HEAD is answered as GET without a body (RFC 9110 §9.3.2): h3 v1's router matches methods exactly, so
 * a HEAD request goes through as the GET it mirrors (same status and headers; Node sends no body for a
 * HEAD request whatever is written). Routes that stream (download, events) skip the body's work.
 */
export default defineEventHandler((event) => {
  if (event.node.req.method !== 'HEAD') return
  event.context.head = true
  event.node.req.method = 'GET'
  event._method = 'GET'
})
