/**
 * Who and where a request comes from: internal (made by this process while rendering a page) or over
 * the network, the client's address (X-Forwarded-For only from NUXT_TRUSTED_PROXIES), which paths are
 * pages and static files rather than API routes, and whether an Origin is this server's own.
 */
import { isIPv4, Socket } from 'node:net'
import type { H3Event } from 'h3'

/** Vue pages and Nuxt's own files, answered as HTML by Nuxt rather than as API JSON. */
export const isPagePath = (path: string) => /^\/(app|_nuxt|__nuxt)(\/|$|\?)|^\/($|\?)/.test(path)

/** Built assets and public/ files: served to anyone, not counted by the rate limit. */
export const isAssetPath = (path: string) => /^\/(_nuxt\/|favicon\.svg($|\?))/.test(path)

/**
 * Whether a request was made inside this process (Nitro's local fetch while rendering a page the
 * client was let in to see) rather than over a connection: its socket is not a real one.
 */
export function isInternalRequest(event: H3Event): boolean {
  return !(event.node.req.socket instanceof Socket)
}

/** `::ffff:1.2.3.4` is 1.2.3.4. */
const normalize = (address: string) => address.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '')

const ipv4ToInt = (address: string) => address.split('.').reduce((n, part) => n * 256 + Number(part), 0)

/** A matcher for NUXT_TRUSTED_PROXIES: exact addresses and IPv4 CIDR ranges, comma-separated. */
function proxyMatcher(list: string): (address: string) => boolean {
  const rules = list.split(',').map(s => s.trim()).filter(Boolean).map((rule) => {
    const [base, bits] = rule.split('/')
    if (bits !== undefined && base && isIPv4(base)) {
      const size = Number(bits)
      const mask = size <= 0 ? 0 : (~0 << (32 - Math.min(32, size))) >>> 0
      const net = (ipv4ToInt(base) & mask) >>> 0
      return (address: string) => isIPv4(address) && ((ipv4ToInt(address) & mask) >>> 0) === net
    }
    const exact = normalize(rule)
    return (address: string) => address === exact
  })
  return address => rules.some(rule => rule(address))
}

let matcher: { list: string; match: (address: string) => boolean } | undefined
function isTrustedProxy(address: string): boolean {
  const list = String(useRuntimeConfig().trustedProxies ?? '')
  if (matcher?.list !== list) matcher = { list, match: proxyMatcher(list) }
  return matcher.match(address)
}

/** Whether the peer is a trusted proxy, whose X-Forwarded-* headers count. */
export const fromTrustedProxy = (event: H3Event) => isTrustedProxy(normalize(event.node.req.socket.remoteAddress ?? ''))

/**
 * The client's address: the peer's, unless the peer is a trusted proxy; then the right-most
 * X-Forwarded-For address that is not a trusted proxy (those left of it can be forged by the client).
 */
export function clientAddress(event: H3Event): string {
  const peer = normalize(event.node.req.socket.remoteAddress ?? '')
  if (!isTrustedProxy(peer)) return peer
  const forwarded = (getRequestHeader(event, 'x-forwarded-for') ?? '').split(',').map(normalize).filter(Boolean)
  for (let i = forwarded.length - 1; i >= 0; i--) if (!isTrustedProxy(forwarded[i]!)) return forwarded[i]!
  return forwarded[0] ?? peer
}

/** Whether the request came over HTTPS (X-Forwarded-Proto counts from a trusted proxy). */
export const isHttps = (event: H3Event) => getRequestProtocol(event, { xForwardedProto: fromTrustedProxy(event) }) === 'https'

/** Whether an Origin header names this server itself (its host as the client reached it). */
export function isSameOrigin(event: H3Event, origin: string): boolean {
  try {
    return new URL(origin).host === getRequestHost(event, { xForwardedHost: fromTrustedProxy(event) })
  }
  catch {
    return false
  }
}
