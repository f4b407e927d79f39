/**
 * The optional API key (NUXT_API_KEY; several keys comma-separated): checked in constant time on
 * hashes, so neither a key's length nor its content leaks through timing. Browsers sign in once
 * (POST /auth/login) and get a session: a random token in an HttpOnly, SameSite=Strict cookie, kept
 * in memory (a restart signs everyone out); the key itself is never stored in the browser.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { H3Event } from 'h3'

export const SESSION_COOKIE = 'sdaas_session'
/** How long a browser stays signed in. */
export const SESSION_SECONDS = 12 * 60 * 60

const sha256 = (text: string) => createHash('sha256').update(text).digest()

let keys: { raw: string; hashes: Buffer[] } | undefined

/** The configured keys' hashes; none means the API is open. */
function keyHashes(): Buffer[] {
  const raw = String(useRuntimeConfig().apiKey ?? '')
  if (keys?.raw !== raw) keys = { raw, hashes: raw.split(',').map(k => k.trim()).filter(Boolean).map(sha256) }
  return keys.hashes
}

/** Whether NUXT_API_KEY is set, so every API route needs credentials. */
export const authRequired = () => keyHashes().length > 0

/** Which configured key this is (its index), compared in constant time; -1 when none. */
export function matchKey(candidate: string): number {
  const hash = sha256(candidate)
  let found = -1
  // Every key is compared, whichever matches.
  keyHashes().forEach((known, index) => {
    if (timingSafeEqual(hash, known) && found < 0) found = index
  })
  return found
}

/** Signed-in browsers: the token's hash (the token itself is not kept) → when the session ends. */
const sessions = new Map<string, number>()
const tokenId = (token: string) => sha256(token).toString('hex')

/** A new session; returns its token (for the cookie). */
export function createSession(): string {
  const now = Date.now()
  for (const [id, expires] of sessions) if (expires <= now) sessions.delete(id)
  const token = randomBytes(32).toString('base64url')
  sessions.set(tokenId(token), now + SESSION_SECONDS * 1000)
  return token
}

/** Ends the request's session, if any. */
export function endSession(event: H3Event): void {
  const token = getCookie(event, SESSION_COOKIE)
  if (token) sessions.delete(tokenId(token))
}

/**
 * Who the request authenticates as: `key:<n>` (an API key in Authorization: Bearer or X-API-Key),
 * `session:<id>` (a signed-in browser), or null. Cached on the event.
 */
export function authPrincipal(event: H3Event): string | null {
  if (event.context.authPrincipal !== undefined) return event.context.authPrincipal as string | null
  let principal: string | null = null
  if (authRequired()) {
    const bearer = /^Bearer\s+(.+)$/i.exec(getRequestHeader(event, 'authorization') ?? '')?.[1]
    const presented = bearer ?? getRequestHeader(event, 'x-api-key')
    const key = presented === undefined ? -1 : matchKey(presented.trim())
    if (key >= 0) principal = `key:${key}`
    else {
      const token = getCookie(event, SESSION_COOKIE)
      const id = token ? tokenId(token) : undefined
      if (id && (sessions.get(id) ?? 0) > Date.now()) principal = `session:${id.slice(0, 16)}`
    }
  }
  event.context.authPrincipal = principal
  return principal
}
