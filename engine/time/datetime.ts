/**
 * Dates and times as the schema writes them: patterns of YYYY MMMM MMM MM DD D HH mm ss SSS Z, ISO 8601 in any
 * IANA time zone (offsets computed with Intl and cached per quarter hour), epoch numbers.
 */

const pad = (n: number, width = 2) => String(n).padStart(width, '0')
export const DAY_MS = 86_400_000
/** Tokens, longest first: MMMM and MMM are month names, D the day without padding. */
const TOKENS = /YYYY|SSS|MMMM|MMM|MM|DD|D|HH|mm|ss|Z/g

/** Wall-clock fields of an instant in a zone, plus that zone's offset in minutes. */
interface Wall {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
  ms: number
  offsetMinutes: number
}

const QUARTER_HOUR = 900_000

/** Computes offsets of a zone (Intl is slow, so offsets are cached per quarter hour). */
function offsetFinder(timeZone: string): (ms: number) => number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return () => 0
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  })
  const cache = new Map<number, number>()
  return (ms) => {
    const bucket = Math.floor(ms / QUARTER_HOUR)
    let offset = cache.get(bucket)
    if (offset === undefined) {
      const at = bucket * QUARTER_HOUR
      const parts: Record<string, number> = {}
      for (const part of format.formatToParts(new Date(at))) if (part.type !== 'literal') parts[part.type] = Number(part.value)
      const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!)
      offset = Math.round((wall - at) / 60_000)
      if (cache.size > 100_000) cache.clear()
      cache.set(bucket, offset)
    }
    return offset
  }
}

function wallOf(ms: number, offsetMinutes: number): Wall {
  const d = new Date(ms + offsetMinutes * 60_000)
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
    hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), ms: d.getUTCMilliseconds(), offsetMinutes,
  }
}

function offsetText(minutes: number): string {
  if (minutes === 0) return 'Z'
  const sign = minutes < 0 ? '-' : '+'
  const abs = Math.abs(minutes)
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

function renderPattern(pattern: string, wall: Wall): string {
  return pattern.replace(TOKENS, (token) => {
    switch (token) {
      case 'YYYY': return pad(wall.year, 4)
      case 'MMMM': return MONTH_FULL_NAMES[wall.month - 1]!
      case 'MMM': return MONTH_NAMES[wall.month - 1]!
      case 'MM': return pad(wall.month)
      case 'DD': return pad(wall.day)
      case 'D': return String(wall.day)
      case 'HH': return pad(wall.hour)
      case 'mm': return pad(wall.minute)
      case 'ss': return pad(wall.second)
      case 'SSS': return pad(wall.ms, 3)
      default: return offsetText(wall.offsetMinutes)
    }
  })
}

/** True when a format string is one of the named formats or contains at least one token. */
export function isValidDatetimeFormat(format: string): boolean {
  return format === 'iso' || format === 'epoch' || format === 'epoch_seconds' || /YYYY|MM|D|HH|mm|ss|SSS|Z/.test(format)
}

/**
 * `new Date(ms).toISOString()` without the Date object (civil-from-days, Howard Hinnant's algorithm):
 * several times faster, and datetime columns format millions of values.
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

/** Days since the epoch of the first and last day the date cache covers (1900-01-01 to 2199-12-31). */
const CACHE_FIRST_DAY = -25_567
const CACHE_DAYS = 109_572
const DATE_CACHE = new Array<string | undefined>(CACHE_DAYS)

/** `YYYY-MM-DD` of a day (days since the epoch), or undefined outside years 0 to 9999. */
function isoDate(days: number): string | undefined {
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

const CIVIL_CACHE = new Int32Array(CACHE_DAYS)

/**
 * The calendar date of a day (days since the epoch) as the number YYYYMMDD, or -1 outside years 0
 * to 9999 (civil-from-days, Howard Hinnant's algorithm; cached over the date cache's years).
 */
export function civilDay(days: number): number {
  const slot = days - CACHE_FIRST_DAY
  const inCache = slot >= 0 && slot < CACHE_DAYS
  if (inCache && CIVIL_CACHE[slot]) return CIVIL_CACHE[slot]!
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0)
  if (year < 0 || year > 9999) return -1
  const ymd = year * 10_000 + month * 100 + day
  if (inCache) CIVIL_CACHE[slot] = ymd
  return ymd
}

const PAD2 = Array.from({ length: 100 }, (_, i) => pad(i))
const PAD3 = Array.from({ length: 1000 }, (_, i) => pad(i, 3))
const PAD4 = Array.from({ length: 10_000 }, (_, i) => pad(i, 4))

/** Formats instants (epoch ms) as a datetime column asks. */
export function datetimeFormatter(format: string, timeZone: string): (ms: number) => string | number {
  if (format === 'epoch') return ms => ms
  if (format === 'epoch_seconds') return ms => Math.floor(ms / 1000)
  const offsetOf = offsetFinder(timeZone)
  if (format === 'iso') {
    if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return isoString
    return ms => renderPattern('YYYY-MM-DDTHH:mm:ss.SSSZ', wallOf(ms, offsetOf(ms)))
  }
  return ms => renderPattern(format, wallOf(ms, offsetOf(ms)))
}

/** Formats a day (epoch ms of its UTC midnight) with YYYY MMMM MMM MM DD D tokens. */
export function dateFormatter(format: string): (ms: number) => string {
  if (format === 'YYYY-MM-DD') return ms => isoString(ms).slice(0, 10)
  return ms => renderPattern(format, wallOf(ms, 0))
}

/** Seconds since midnight of `HH:mm[:ss]`. */
export function secondsOfDay(time: string): number {
  const [h, m, s] = time.split(':').map(Number)
  return h! * 3600 + m! * 60 + (s ?? 0)
}

/** Formats a time of day (seconds since midnight) with HH mm ss tokens. */
export function timeFormatter(format: string): (seconds: number) => string {
  return seconds => renderPattern(format, { year: 1970, month: 1, day: 1, hour: Math.floor(seconds / 3600), minute: Math.floor(seconds / 60) % 60, second: seconds % 60, ms: 0, offsetMinutes: 0 })
}


/** English month names, as the `MMMM` and `MMM` tokens write them and dates like `Jun 12 1998` spell them. */
export const MONTH_FULL_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
export const MONTH_NAMES = MONTH_FULL_NAMES.map(m => m.slice(0, 3))
const MONTH_INDEX = new Map<string, number>([...MONTH_NAMES.map((m, i) => [m.toLowerCase(), i] as const), ['sept', 8]])
const monthOf = (name: string) => MONTH_INDEX.get(name.toLowerCase()) ?? MONTH_INDEX.get(name.slice(0, 3).toLowerCase())

/**
 * Epoch ms of UTC midnight of a calendar day (month 1-12), or NaN when there is no such day:
 * Date.UTC and Date.parse roll `2024-02-30` over to March 1st and `2024-13-05` into 2025.
 */
function calendarDay(year: number, month: number, day: number): number {
  // setUTCFullYear, not Date.UTC, which reads years 0-99 as 1900-1999.
  const d = new Date(0)
  const ms = d.setUTCFullYear(year, month - 1, day)
  return d.getUTCMonth() === month - 1 && d.getUTCDate() === day ? ms : Number.NaN
}

/** `ms` when `text` starts with a real calendar day YYYY-MM-DD (an ISO date-time's date), else NaN. */
function onRealDay(text: string, ms: number): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text)
  return !m || Number.isFinite(calendarDay(+m[1]!, +m[2]!, +m[3]!)) ? ms : Number.NaN
}

/**
 * Epoch ms of a date as the profiler recognises them (ISO, MM/DD/YYYY, `Jun 12 1998`, `12 Jun 1998`);
 * NaN otherwise, and for days no calendar has (`2024-13-05`, `02/30/2024`, `2023-02-29`).
 */
export function parseDateLike(text: string): number {
  const value = text.trim()
  // The common case first: an ISO instant with its zone, as written by `iso` formats.
  if (value.length >= 20 && value.charCodeAt(10) === 84 /* T */ && /(Z|[+-]\d\d:?\d\d)$/.test(value)) return onRealDay(value, Date.parse(value))
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (m) return calendarDay(+m[1]!, +m[2]!, +m[3]!)
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value)
  if (m) return calendarDay(+m[3]!, +m[1]!, +m[2]!)
  m = /^([a-z]+)\.? (\d{1,2}),? (\d{4})$/i.exec(value)
  if (m && monthOf(m[1]!) !== undefined) return calendarDay(+m[3]!, monthOf(m[1]!)! + 1, +m[2]!)
  m = /^(\d{1,2}) ([a-z]+)\.? (\d{4})$/i.exec(value)
  if (m && monthOf(m[2]!) !== undefined) return calendarDay(+m[3]!, monthOf(m[2]!)! + 1, +m[1]!)
  const iso = /T.*([Zz]|[+-]\d\d:?\d\d)$/.test(value) || !/[T ]\d/.test(value) ? value : `${value.replace(' ', 'T')}Z`
  return onRealDay(value, Date.parse(iso))
}
