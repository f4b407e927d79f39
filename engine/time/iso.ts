/**
 * ISO 8601 and the other date texts the engine reads and writes: the one strict parser (shared/time.ts)
 * and the readers built on it for the encoders and the profiler, and `toISOString()` without a Date.
 */
import { CACHE_DAYS, CACHE_FIRST_DAY, civilDay, civilDayMs, DAY_MS, monthOfName } from './calendar.ts'
import { isoDays, parseIso } from '../../shared/time.ts'

export { instantMs, isoDays, parseIso } from '../../shared/time.ts'

const pad = (n: number, width: number) => String(n).padStart(width, '0')
/** Zero-padded 0-99, 0-999 and 0-9999, so hot loops format numbers by lookup. */
export const PAD2 = Array.from({ length: 100 }, (_, i) => pad(i, 2))
export const PAD3 = Array.from({ length: 1000 }, (_, i) => pad(i, 3))
export const PAD4 = Array.from({ length: 10_000 }, (_, i) => pad(i, 4))

/**
 * `new Date(ms).toISOString()` without the Date object (and its dates cached): several times faster,
 * and datetime columns format millions of values.
 */
export function isoString(ms: number): string {
  const days = Math.floor(ms / DAY_MS)
  let rest = ms - days * DAY_MS
  const date = isoDate(days)
  if (date === undefined) return new Date(ms).toISOString()
  const hour = Math.floor(rest / 3_600_000)
  rest -= hour * 3_600_000
  const minute = Math.floor(rest / 60_000)
  rest -= minute * 60_000
  const second = Math.floor(rest / 1000)
  const milli = rest - second * 1000
  return `${date}T${PAD2[hour]}:${PAD2[minute]}:${PAD2[second]}.${PAD3[milli]}Z`
}

/** The dates' texts over the years the calendar caches (1900 to 2199). */
const DATE_CACHE = new Array<string | undefined>(CACHE_DAYS)

/** `YYYY-MM-DD` of a day (days since the epoch), or undefined outside years 0 to 9999. */
export function isoDate(days: number): string | undefined {
  const slot = days - CACHE_FIRST_DAY
  const inCache = slot >= 0 && slot < CACHE_DAYS
  if (inCache) {
    const cached = DATE_CACHE[slot]
    if (cached !== undefined) return cached
  }
  const ymd = civilDay(days)
  if (ymd < 0) return undefined
  const text = `${PAD4[Math.floor(ymd / 10_000)]}-${PAD2[Math.floor(ymd / 100) % 100]}-${PAD2[ymd % 100]}`
  if (inCache) DATE_CACHE[slot] = text
  return text
}

/** 'YYYY-MM-DD' → days since the epoch; NaN when malformed or not a calendar date (Parquet DATE). */
export function parseDate(text: string): number {
  return text.length === 10 ? isoDays(text) : Number.NaN
}

const HAS_OFFSET = /[+-]\d\d:?\d\d$/

/**
 * An ISO 8601 instant → epoch ms; NaN when unparseable (Parquet TIMESTAMP). `toISOString()`'s own shapes,
 * the common case, go through the strict parser; anything else through Date.parse, a date-time without a
 * zone read as UTC (not the machine's local time, which would make the bytes depend on where they are made).
 */
export function parseTimestamp(text: string): number {
  const length = text.length
  const last = text.charCodeAt(length - 1)
  if ((length === 24 || length === 20) && last === 90 && text.charCodeAt(10) === 84) {
    const fast = parseIso(text)
    if (fast === fast) return fast // not NaN
  }
  if (last === 90 || last === 122 || length <= 10 || HAS_OFFSET.test(text)) return Date.parse(text)
  return Date.parse(`${text}Z`)
}

/** `ms` when `text` starts with a real calendar day YYYY-MM-DD (an ISO date-time's date), else NaN. */
function onRealDay(text: string, ms: number): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text)
  return !m || Number.isFinite(civilDayMs(+m[1]!, +m[2]!, +m[3]!)) ? ms : Number.NaN
}

/**
 * Epoch ms of a date as the profiler recognises them (ISO, MM/DD/YYYY, `Jun 12 1998`, `12 Jun 1998`);
 * NaN otherwise, and for days no calendar has (`2024-13-05`, `02/30/2024`, `2023-02-29`).
 */
export function parseDateLike(text: string): number {
  const value = text.trim()
  // The common case first: an ISO instant with its zone, as written by `iso` formats.
  if (value.length >= 20 && value.charCodeAt(10) === 84 /* T */ && /(Z|[+-]\d\d:?\d\d)$/.test(value)) {
    const fast = parseIso(value)
    return fast === fast ? fast : onRealDay(value, Date.parse(value))
  }
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (m) return civilDayMs(+m[1]!, +m[2]!, +m[3]!)
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value)
  if (m) return civilDayMs(+m[3]!, +m[1]!, +m[2]!)
  m = /^([a-z]+)\.? (\d{1,2}),? (\d{4})$/i.exec(value)
  let month = m ? monthOfName(m[1]!) : undefined
  if (m && month !== undefined) return civilDayMs(+m[3]!, month, +m[2]!)
  m = /^(\d{1,2}) ([a-z]+)\.? (\d{4})$/i.exec(value)
  month = m ? monthOfName(m[2]!) : undefined
  if (m && month !== undefined) return civilDayMs(+m[3]!, month, +m[1]!)
  const iso = /T.*([Zz]|[+-]\d\d:?\d\d)$/.test(value) || !/[T ]\d/.test(value) ? value : `${value.replace(' ', 'T')}Z`
  return onRealDay(value, Date.parse(iso))
}

/** Seconds since midnight of `HH:mm[:ss]`. */
export function secondsOfDay(time: string): number {
  const [h, m, s] = time.split(':').map(Number)
  return h! * 3600 + m! * 60 + (s ?? 0)
}
