/**
 * Rate limit (NUXT_RATE_LIMIT requests a minute; 0 turns it off): a token bucket in memory per API
 * key or signed-in session, else per client address (X-Forwarded-For only from NUXT_TRUSTED_PROXIES).
 * A bucket holds a minute's worth and refills continuously; an empty one answers 429 with Retry-After.
 * Static files, /healthz and requests made while rendering a page are not counted.
 */
interface Bucket {
  tokens: number
  at: number
}

const buckets = new Map<string, Bucket>()
/** Past this many clients, full buckets (idle for a minute) are forgotten. */
const PRUNE_ABOVE = 10_000

/** Takes a token from `who`'s bucket; returns 0, or the seconds until one is available. */
function take(who: string, perMinute: number, now: number): number {
  const rate = perMinute / 60_000
  const bucket = buckets.get(who) ?? { tokens: perMinute, at: now }
  bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.at) * rate)
  bucket.at = now
  buckets.set(who, bucket)
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1
    return 0
  }
  return (1 - bucket.tokens) / rate / 1000
}

function prune(perMinute: number, now: number): void {
  for (const [who, bucket] of buckets) {
    if (bucket.tokens + (now - bucket.at) * perMinute / 60_000 >= perMinute) buckets.delete(who)
  }
}

export default defineEventHandler((event) => {
  const perMinute = Math.max(0, Number(useRuntimeConfig().rateLimit) || 0)
  if (!perMinute || isInternalRequest(event) || isAssetPath(event.path) || event.path === '/healthz') return
  const now = Date.now()
  if (buckets.size > PRUNE_ABOVE) prune(perMinute, now)
  const who = authPrincipal(event) ?? `ip:${clientAddress(event)}`
  const wait = take(who, perMinute, now)
  if (wait > 0) throw retryLater(429, `more than ${perMinute} requests a minute (NUXT_RATE_LIMIT); retry in ${Math.ceil(wait)} s`, wait)
})
