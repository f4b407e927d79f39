/**
 * The calendar as the engine uses it: the core arithmetic of shared/time.ts (days ↔ civil dates, leap
 * years, month lengths; in shared/ because the schema's validation needs it in the pages too), a cached
 * civil date for the hot paths, and the English month names.
 */
import { civilFromDays, type CivilDate } from '../../shared/time.ts'

export { civilDayMs, civilFromDays, DAY_MS, daysFromCivil, daysInMonth, isLeapYear, MAX_TIME, type CivilDate } from '../../shared/time.ts'

/** Days since the epoch of the first day the caches cover, and how many (1900-01-01 to 2199-12-31). */
export const CACHE_FIRST_DAY = -25_567
export const CACHE_DAYS = 109_572

const CIVIL_CACHE = new Int32Array(CACHE_DAYS)
const civil: CivilDate = { year: 0, month: 0, day: 0 }

/**
 * The calendar date of a day (days since the epoch) as the number YYYYMMDD, or -1 outside years 0
 * to 9999 (cached over 1900 to 2199, where datetime columns spend their days).
 */
export function civilDay(days: number): number {
  const slot = days - CACHE_FIRST_DAY
  const inCache = slot >= 0 && slot < CACHE_DAYS
  if (inCache && CIVIL_CACHE[slot]) return CIVIL_CACHE[slot]!
  const { year, month, day } = civilFromDays(days, civil)
  if (year < 0 || year > 9999) return -1
  const ymd = year * 10_000 + month * 100 + day
  if (inCache) CIVIL_CACHE[slot] = ymd
  return ymd
}

/** English month names, as the `MMMM` and `MMM` tokens write them and dates like `Jun 12 1998` spell them. */
export const MONTH_FULL_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
export const MONTH_NAMES = MONTH_FULL_NAMES.map(m => m.slice(0, 3))
const MONTH_INDEX = new Map<string, number>([...MONTH_NAMES.map((m, i) => [m.toLowerCase(), i] as const), ['sept', 8]])

/** The month (1-12) a name or its abbreviation (`Jun`, `June`, `Sept`, any case) stands for, or undefined. */
export function monthOfName(name: string): number | undefined {
  const index = MONTH_INDEX.get(name.toLowerCase()) ?? MONTH_INDEX.get(name.slice(0, 3).toLowerCase())
  return index === undefined ? undefined : index + 1
}
