import { describe, expect, it } from 'vitest'
import { CACHE_DAYS, CACHE_FIRST_DAY, civilDay, civilDayMs, civilFromDays, DAY_MS, daysFromCivil, daysInMonth, isLeapYear, monthOfName, MONTH_FULL_NAMES, MONTH_NAMES } from '~~/engine/time/calendar'

/** The civil date of a day as Date tells it (the reference the arithmetic must match). */
function dateOf(days: number) {
  const d = new Date(days * DAY_MS)
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() }
}

/** Epoch ms of UTC midnight of a civil date as Date tells it (setUTCFullYear: Date.UTC reads 0-99 as 1900-1999). */
function utcMidnight(year: number, month: number, day: number): number {
  const d = new Date(0)
  return d.setUTCFullYear(year, month - 1, day)
}

const DAYS_TO_9999 = daysFromCivil(9999, 12, 31)
const DAYS_FROM_MINUS_9999 = daysFromCivil(-9999, 1, 1)

describe('the calendar core', () => {
  it('turns days into civil dates and back as Date does, across years -9999 to 9999', () => {
    for (let days = DAYS_FROM_MINUS_9999; days <= DAYS_TO_9999; days += 97) {
      const civil = civilFromDays(days)
      expect(civil, String(days)).toEqual(dateOf(days))
      expect(daysFromCivil(civil.year, civil.month, civil.day)).toBe(days)
      expect(daysFromCivil(civil.year, civil.month, civil.day) * DAY_MS).toBe(utcMidnight(civil.year, civil.month, civil.day))
    }
  })

  it('agrees with Date on every day of leap and common years, centuries included', () => {
    for (const year of [-1, 0, 4, 99, 100, 1600, 1900, 1970, 2000, 2023, 2024, 2100, 9999]) {
      let days = daysFromCivil(year, 1, 1)
      const length = isLeapYear(year) ? 366 : 365
      expect(daysFromCivil(year + 1, 1, 1) - days, String(year)).toBe(length)
      for (let month = 1; month <= 12; month++) {
        expect(daysInMonth(year, month), `${year}-${month}`).toBe(dateOf(daysFromCivil(year, month + 1, 1) - 1).day)
        for (let day = 1; day <= daysInMonth(year, month); day++, days++) {
          expect(civilFromDays(days)).toEqual({ year, month, day })
          expect(civilDayMs(year, month, day)).toBe(utcMidnight(year, month, day))
        }
      }
    }
  })

  it('knows the leap years of the Gregorian calendar', () => {
    expect([1600, 2000, 2024, 0, -4, 4].every(isLeapYear)).toBe(true)
    expect([1700, 1800, 1900, 2023, 2100, -1, 1].some(isLeapYear)).toBe(false)
  })

  it('has no day the calendar does not have', () => {
    for (const [y, m, d] of [[2023, 2, 29], [1900, 2, 29], [2024, 2, 30], [2024, 4, 31], [2024, 13, 1], [2024, 0, 10], [2024, 1, 0], [2024, 1, 32]] as const) {
      expect(civilDayMs(y, m, d), `${y}-${m}-${d}`).toBeNaN()
    }
    expect(civilDayMs(2000, 2, 29)).toBe(Date.UTC(2000, 1, 29))
  })

  it('fills the object it is given, so hot loops allocate nothing', () => {
    const into = { year: 0, month: 0, day: 0 }
    expect(civilFromDays(0, into)).toBe(into)
    expect(into).toEqual({ year: 1970, month: 1, day: 1 })
  })
})

describe('civilDay', () => {
  it('is YYYYMMDD for years 0 to 9999, the same from its cache and without, and -1 outside', () => {
    const check = (days: number) => {
      const { year, month, day } = dateOf(days)
      expect(civilDay(days), String(days)).toBe(year >= 0 && year <= 9999 ? year * 10_000 + month * 100 + day : -1)
    }
    const edges = [CACHE_FIRST_DAY - 1, CACHE_FIRST_DAY, CACHE_FIRST_DAY + CACHE_DAYS - 1, CACHE_FIRST_DAY + CACHE_DAYS, daysFromCivil(0, 1, 1), daysFromCivil(0, 1, 1) - 1, DAYS_TO_9999, DAYS_TO_9999 + 1]
    for (const days of edges) check(days)
    for (let round = 0; round < 2; round++) for (let days = DAYS_FROM_MINUS_9999; days <= DAYS_TO_9999 + 400; days += 311) check(days)
  })
})

describe('month names', () => {
  it('are English, full and abbreviated, and read back in any case', () => {
    expect(MONTH_FULL_NAMES).toEqual(Array.from({ length: 12 }, (_, i) => new Date(Date.UTC(2024, i, 1)).toLocaleString('en-US', { month: 'long', timeZone: 'UTC' })))
    expect(MONTH_NAMES).toEqual(Array.from({ length: 12 }, (_, i) => new Date(Date.UTC(2024, i, 1)).toLocaleString('en-US', { month: 'short', timeZone: 'UTC' })))
    expect(['Jan', 'january', 'FEB', 'Sept', 'sep', 'September', 'dec'].map(monthOfName)).toEqual([1, 1, 2, 9, 9, 9, 12])
    expect(monthOfName('Smarch')).toBeUndefined()
  })
})
