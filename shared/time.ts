/**
 * The calendar core and the one ISO 8601 reader: proleptic Gregorian days ↔ civil dates (Howard Hinnant's
 * algorithms, exact for every year Date can hold) and a strict, fast ISO parser. They live in shared/
 * because the schema's own validation reads start/end instants with them, so the pages load this file too:
 * plain arithmetic only, nothing of Node. engine/time/ builds the engine's readers and writers on it.
 */

/** Milliseconds in a day. */
export const DAY_MS = 86_400_000

/** The largest |epoch ms| a Date can hold (±100,000,000 days, years -271821 to 275760). */
export const MAX_TIME = 8.64e15

/** True for leap years of the proleptic Gregorian calendar (year 0 is one). */
export function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
}

/** Days in a month (1-12) of a year. */
export function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** Days from 1970-01-01 to a civil date (month 1-12), for any year (days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146_097 + doe - 719_468
}

/** A civil date: year, month 1-12, day 1-31. */
export interface CivilDate {
  year: number
  month: number
  day: number
}

/**
 * The civil date of a day (days since 1970-01-01), for any year (civil_from_days), written into `into`
 * so that hot loops allocate nothing.
 */
export function civilFromDays(days: number, into: CivilDate = { year: 0, month: 0, day: 0 }): CivilDate {
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  into.day = doy - Math.floor((153 * mp + 2) / 5) + 1
  into.month = mp < 10 ? mp + 3 : mp - 9
  into.year = yoe + era * 400 + (into.month <= 2 ? 1 : 0)
  return into
}

/**
 * Epoch ms of UTC midnight of a civil date (month 1-12), or NaN when the calendar has no such day
 * (Date.UTC and Date.parse roll `2024-02-30` over to March 1st).
 */
export function civilDayMs(year: number, month: number, day: number): number {
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month))) return Number.NaN
  return daysFromCivil(year, month, day) * DAY_MS
}

/** The value of `count` ASCII digits at `start`, or -1. */
function digitsAt(s: string, start: number, count: number): number {
  if (start + count > s.length) return -1
  let v = 0
  for (let i = start; i < start + count; i++) {
    const c = s.charCodeAt(i) - 48
    if (c < 0 || c > 9) return -1
    v = v * 10 + c
  }
  return v
}

/** The value of the two ASCII digits at `i`, or -1 (past the end, charCodeAt is NaN and fails the test). */
function twoDigitsAt(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48
  const b = s.charCodeAt(i + 1) - 48
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1
}

/**
 * Epoch ms of an ISO 8601 date or date-time, or NaN: `YYYY-MM-DD` (or `±YYYYYY-MM-DD`), then optionally
 * `T`, `t` or a space, `HH:mm`, `:ss`, `.fraction` (at most `maxFraction` digits, kept to the millisecond)
 * and `Z`, `z` or an offset `±HH`, `±HHMM`, `±HH:MM`; without one the time is UTC (never the machine's
 * zone). Strict where Date.parse is not: `2024-02-30`, `2023-02-29`, `24:00` and offsets past 23:59 are NaN.
 */
export function parseIso(s: string, maxFraction = Infinity): number {
  const c0 = s.charCodeAt(0)
  let days: number
  let i: number
  if (c0 === 43 || c0 === 45) { // +YYYYYY / -YYYYYY (extended years)
    const y = digitsAt(s, 1, 6)
    if (y < 0) return Number.NaN
    days = monthDayAt(s, c0 === 45 ? -y : y, 7)
    i = 13
  } else {
    days = isoDays(s)
    i = 10
  }
  if (days !== days) return Number.NaN
  const t = days * DAY_MS + (i < s.length ? timeOfDay(s, i, maxFraction) : 0)
  return t >= -MAX_TIME && t <= MAX_TIME ? t : Number.NaN
}

/** Days since 1970-01-01 of the `YYYY-MM-DD` that starts `s`, or NaN (malformed, or no such day). */
export function isoDays(s: string): number {
  const high = twoDigitsAt(s, 0)
  const low = twoDigitsAt(s, 2)
  return high < 0 || low < 0 ? Number.NaN : monthDayAt(s, high * 100 + low, 4)
}

/** Days since 1970-01-01 of `year` and the `-MM-DD` at `i`, or NaN. */
function monthDayAt(s: string, year: number, i: number): number {
  if (s.charCodeAt(i) !== 45 || s.charCodeAt(i + 3) !== 45) return Number.NaN
  const month = twoDigitsAt(s, i + 1)
  const day = twoDigitsAt(s, i + 4)
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN
  return daysFromCivil(year, month, day)
}

/** Milliseconds from the day's UTC midnight of the time (and offset) at `i` of an ISO date-time, or NaN. */
function timeOfDay(s: string, i: number, maxFraction: number): number {
  const n = s.length
  const sep = s.charCodeAt(i)
  if (sep !== 84 && sep !== 116 && sep !== 32) return Number.NaN // T, t or space
  const hour = twoDigitsAt(s, i + 1)
  const minute = twoDigitsAt(s, i + 4)
  if (hour < 0 || hour > 23 || s.charCodeAt(i + 3) !== 58 || minute < 0 || minute > 59) return Number.NaN
  i += 6
  let second = 0
  let fraction = 0
  if (s.charCodeAt(i) === 58) { // :ss
    second = twoDigitsAt(s, i + 1)
    if (second < 0 || second > 59) return Number.NaN
    i += 3
    if (s.charCodeAt(i) === 46) { // .fraction
      let k = i + 1
      let scale = 100
      while (k < n && k - i <= maxFraction) {
        const c = s.charCodeAt(k) - 48
        if (c < 0 || c > 9) break
        if (scale >= 1) fraction += c * scale // digits past the millisecond are dropped, as Date.parse drops them
        scale /= 10
        k++
      }
      if (k === i + 1) return Number.NaN
      i = k
    }
  }
  const ms = hour * 3_600_000 + minute * 60_000 + second * 1000 + fraction
  return i < n ? ms - offsetAt(s, i) : ms
}

/** The offset in ms of the zone designator that ends an ISO date-time at `i` (Z is 0), or NaN. */
function offsetAt(s: string, i: number): number {
  const n = s.length
  const z = s.charCodeAt(i)
  if (z === 90 || z === 122) return i + 1 === n ? 0 : Number.NaN // Z, z
  if (z !== 43 && z !== 45) return Number.NaN
  const oh = twoDigitsAt(s, i + 1) // +HH:MM, +HHMM or +HH
  if (oh < 0 || oh > 23) return Number.NaN
  i += 3
  let om = 0
  if (s.charCodeAt(i) === 58) {
    om = twoDigitsAt(s, i + 1)
    i += 3
  } else if (i < n) {
    om = twoDigitsAt(s, i)
    i += 2
  }
  if (om < 0 || om > 59 || i !== n) return Number.NaN
  const offset = (oh * 60 + om) * 60_000
  return z === 43 ? offset : -offset
}

/** Epoch ms of an ISO 8601 date or date-time as the schema accepts them; one without an offset is UTC. */
export function instantMs(text: string): number {
  return parseIso(text)
}
