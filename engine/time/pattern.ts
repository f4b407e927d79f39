/**
 * The one renderer of date and time patterns: YYYY MMMM MMM MM DD D HH mm ss SSS Z, for datetime, date and
 * time columns and for `format_date` in expressions alike, in any IANA time zone (offsets computed with
 * Intl and cached per quarter hour). A pattern is split into literals and tokens once, not per value.
 */
import { civilDay, civilFromDays, DAY_MS, MONTH_FULL_NAMES, MONTH_NAMES, type CivilDate } from './calendar.ts'
import { isoString, PAD2, PAD3, PAD4 } from './iso.ts'

/** Tokens, longest first: MMMM and MMM are month names, D the day without padding, Z the zone's offset. */
const TOKENS = /YYYY|SSS|MMMM|MMM|MM|DD|D|HH|mm|ss|Z/g
const YEAR = 0
const MILLI = 1
const MONTH_NAME = 2
const MONTH_ABBREVIATION = 3
const MONTH = 4
const DAY_2 = 5
const DAY = 6
const HOUR = 7
const MINUTE = 8
const SECOND = 9
const OFFSET = 10
const TOKEN_CODES = new Map([['YYYY', YEAR], ['SSS', MILLI], ['MMMM', MONTH_NAME], ['MMM', MONTH_ABBREVIATION], ['MM', MONTH], ['DD', DAY_2], ['D', DAY], ['HH', HOUR], ['mm', MINUTE], ['ss', SECOND], ['Z', OFFSET]])

/** A pattern split once: `literals[k]` comes before `tokens[k]`, and one more literal ends it. */
export interface CompiledPattern {
  literals: string[]
  tokens: number[]
}

/** Splits a pattern into its literal text and its tokens (scanned left to right, longest token first). */
export function compilePattern(pattern: string): CompiledPattern {
  const literals: string[] = []
  const tokens: number[] = []
  let last = 0
  for (const match of pattern.matchAll(TOKENS)) {
    literals.push(pattern.slice(last, match.index))
    tokens.push(TOKEN_CODES.get(match[0])!)
    last = match.index + match[0].length
  }
  literals.push(pattern.slice(last))
  return { literals, tokens }
}

/** Wall-clock fields of an instant in a zone, plus that zone's offset in minutes. */
interface Wall extends CivilDate {
  hour: number
  minute: number
  second: number
  ms: number
  offsetMinutes: number
}

/** Filled in place for each value rendered, so rendering allocates no Date and no object. */
const wall: Wall = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, ms: 0, offsetMinutes: 0 }

/** The wall clock of an instant (epoch ms) at an offset from UTC, in `wall`. */
function wallAt(ms: number, offsetMinutes: number): Wall {
  const local = Math.trunc(ms + offsetMinutes * 60_000) // as a Date would hold it
  const days = Math.floor(local / DAY_MS)
  const ymd = civilDay(days)
  if (ymd >= 0) {
    wall.year = Math.floor(ymd / 10_000)
    wall.month = Math.floor(ymd / 100) % 100
    wall.day = ymd % 100
  } else {
    civilFromDays(days, wall)
  }
  let rest = local - days * DAY_MS
  wall.hour = Math.floor(rest / 3_600_000)
  rest -= wall.hour * 3_600_000
  wall.minute = Math.floor(rest / 60_000)
  rest -= wall.minute * 60_000
  wall.second = Math.floor(rest / 1000)
  wall.ms = rest - wall.second * 1000
  wall.offsetMinutes = offsetMinutes
  return wall
}

/** A time of day (seconds since midnight) on 1970-01-01 UTC, in `wall`. */
function wallOfTime(seconds: number): Wall {
  wall.year = 1970
  wall.month = 1
  wall.day = 1
  wall.hour = Math.floor(seconds / 3600)
  wall.minute = Math.floor(seconds / 60) % 60
  wall.second = seconds % 60
  wall.ms = 0
  wall.offsetMinutes = 0
  return wall
}

/** A year as ISO 8601 writes it: 4 digits for 0-9999, otherwise signed 6 digits. */
function yearText(year: number): string {
  if (year >= 0 && year <= 9999) return PAD4[year]!
  return (year < 0 ? '-' : '+') + String(Math.abs(year)).padStart(6, '0')
}

/** An offset as ISO 8601 writes it: `Z` for UTC, else `±HH:MM`. */
function offsetText(minutes: number): string {
  if (minutes === 0) return 'Z'
  const abs = Math.abs(minutes)
  return `${minutes < 0 ? '-' : '+'}${PAD2[Math.floor(abs / 60)]}:${PAD2[abs % 60]}`
}

function tokenText(token: number, w: Wall): string {
  switch (token) {
    case YEAR: return yearText(w.year)
    case MILLI: return PAD3[w.ms]!
    case MONTH_NAME: return MONTH_FULL_NAMES[w.month - 1]!
    case MONTH_ABBREVIATION: return MONTH_NAMES[w.month - 1]!
    case MONTH: return PAD2[w.month]!
    case DAY_2: return PAD2[w.day]!
    case DAY: return String(w.day)
    case HOUR: return PAD2[w.hour]!
    case MINUTE: return PAD2[w.minute]!
    case SECOND: return PAD2[w.second]!
    default: return offsetText(w.offsetMinutes)
  }
}

function render(pattern: CompiledPattern, w: Wall): string {
  const { literals, tokens } = pattern
  let out = literals[0]!
  for (let k = 0; k < tokens.length; k++) out += tokenText(tokens[k]!, w) + literals[k + 1]!
  return out
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
      const wallMs = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!)
      offset = Math.round((wallMs - at) / 60_000)
      if (cache.size > 100_000) cache.clear()
      cache.set(bucket, offset)
    }
    return offset
  }
}

/** True when a format string is one of the named formats or contains at least one token. */
export function isValidDatetimeFormat(format: string): boolean {
  return format === 'iso' || format === 'epoch' || format === 'epoch_seconds' || /YYYY|MM|D|HH|mm|ss|SSS|Z/.test(format)
}

/** Formats instants (epoch ms) as a datetime column asks: `iso`, `epoch`, `epoch_seconds` or a pattern. */
export function datetimeFormatter(format: string, timeZone: string): (ms: number) => string | number {
  if (format === 'epoch') return ms => ms
  if (format === 'epoch_seconds') return ms => Math.floor(ms / 1000)
  if (format === 'iso' && (timeZone === 'UTC' || timeZone === 'Etc/UTC')) return isoString
  const offsetOf = offsetFinder(timeZone)
  const pattern = compilePattern(format === 'iso' ? 'YYYY-MM-DDTHH:mm:ss.SSSZ' : format)
  return ms => render(pattern, wallAt(ms, offsetOf(ms)))
}

/** Formats a day (epoch ms of its UTC midnight) with YYYY MMMM MMM MM DD D tokens. */
export function dateFormatter(format: string): (ms: number) => string {
  if (format === 'YYYY-MM-DD') return ms => isoString(ms).slice(0, 10)
  const pattern = compilePattern(format)
  return ms => render(pattern, wallAt(ms, 0))
}

/** Formats a time of day (seconds since midnight) with HH mm ss tokens. */
export function timeFormatter(format: string): (seconds: number) => string {
  const pattern = compilePattern(format)
  return seconds => render(pattern, wallOfTime(seconds))
}

/** Patterns seen by formatInstant, compiled; cleared when full, as expressions may build patterns per row. */
const compiled = new Map<string, CompiledPattern>()

/** An instant (epoch ms) written with a pattern in UTC, as `format_date` in expressions writes it. */
export function formatInstant(ms: number, pattern: string): string {
  let split = compiled.get(pattern)
  if (split === undefined) {
    if (compiled.size >= 256) compiled.clear()
    split = compilePattern(pattern)
    compiled.set(pattern, split)
  }
  return render(split, wallAt(ms, 0))
}
