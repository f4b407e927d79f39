import { describe, expect, it } from 'vitest'
import { compilePattern, dateFormatter, datetimeFormatter, formatInstant, isValidDatetimeFormat, timeFormatter } from '~~/engine/time/pattern'
import { parseIso } from '~~/engine/time/iso'
import { DAY_MS } from '~~/engine/time/calendar'
import { compileExpression } from '~~/engine/schema/expression'
import { RowRandom } from '~~/engine/schema/random'

const rng = new RowRandom(23)
rng.setRow(0)
const pad = (n: number, width = 2) => String(n).padStart(width, '0')
const EVERY_TOKEN = 'YYYY|MMMM|MMM|MM|DD|D|HH|mm|ss|SSS|Z'

/** The offset in whole minutes of a zone at an instant, as Intl tells it (the reference for the renderer's cache). */
function intlOffset(timeZone: string, ms: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(new Date(ms)).find(p => p.type === 'timeZoneName')!.value
  const m = /GMT([+-])(\d\d):(\d\d)(?::(\d\d))?/.exec(name)
  // Local mean times before the 1900s have seconds (St John's was -03:30:52): offsets are kept to the minute.
  return m ? Math.round((m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]) + Number(m[4] ?? 0) / 60)) : 0
}

/** Every token of an instant at an offset, written from Date's own getters and toLocaleString's month names. */
function reference(ms: number, offsetMinutes: number): string {
  const d = new Date(ms + offsetMinutes * 60_000)
  const abs = Math.abs(offsetMinutes)
  const month = (style: 'long' | 'short') => d.toLocaleString('en-US', { month: style, timeZone: 'UTC' })
  return [pad(d.getUTCFullYear(), 4), month('long'), month('short'), pad(d.getUTCMonth() + 1), pad(d.getUTCDate()), String(d.getUTCDate()),
    pad(d.getUTCHours()), pad(d.getUTCMinutes()), pad(d.getUTCSeconds()), pad(d.getUTCMilliseconds(), 3),
    offsetMinutes === 0 ? 'Z' : `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`].join('|')
}

const INSTANTS = [0, -1, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2024, 2, 31, 1, 0), Date.UTC(2024, 9, 27, 1, 0), Date.UTC(1900, 0, 1), Date.UTC(2199, 11, 31, 23, 59),
  ...Array.from({ length: 3000 }, () => Math.floor(Date.UTC(1, 0, 1) + rng.next() * (Date.UTC(9998, 11, 31) - Date.UTC(1, 0, 1))))]
const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/St_Johns']

describe('the pattern renderer', () => {
  it('writes every token as Date and Intl tell it, in UTC and in zones with half-hour and 45-minute offsets', () => {
    for (const zone of ZONES) {
      const format = datetimeFormatter(EVERY_TOKEN, zone)
      for (const ms of INSTANTS) expect(format(ms), `${zone} ${ms}`).toBe(reference(ms, intlOffset(zone, ms)))
    }
  })

  it('writes ISO 8601 with the zone\'s offset, which reads back to the same instant', () => {
    expect(datetimeFormatter('iso', 'Europe/Paris')(Date.UTC(2024, 2, 31, 1, 30))).toBe('2024-03-31T03:30:00.000+02:00')
    expect(datetimeFormatter('iso', 'Europe/Paris')(Date.UTC(2024, 2, 31, 0, 59, 59, 999))).toBe('2024-03-31T01:59:59.999+01:00')
    expect(datetimeFormatter('iso', 'America/St_Johns')(Date.UTC(2024, 0, 1))).toBe('2023-12-31T20:30:00.000-03:30')
    expect(datetimeFormatter('iso', 'UTC')(Date.UTC(2024, 0, 1))).toBe('2024-01-01T00:00:00.000Z')
    for (const zone of ZONES) {
      const format = datetimeFormatter('iso', zone)
      for (const ms of INSTANTS) expect(parseIso(String(format(ms))), zone).toBe(ms)
    }
  })

  it('writes epoch numbers for the epoch formats', () => {
    expect(datetimeFormatter('epoch', 'Europe/Paris')(1_709_622_489_123)).toBe(1_709_622_489_123)
    expect(datetimeFormatter('epoch_seconds', 'UTC')(1_709_622_489_999)).toBe(1_709_622_489)
    expect(datetimeFormatter('epoch_seconds', 'UTC')(-1)).toBe(-1)
  })

  it('scans left to right, longest token first, everything else literal', () => {
    const ms = Date.UTC(2024, 8, 5, 7, 8, 9, 45)
    const utc = (pattern: string) => datetimeFormatter(pattern, 'UTC')(ms)
    expect(utc('MMMMM')).toBe('SeptemberM')
    expect(utc('DDD')).toBe('055')
    expect(utc('YYYYY YYY')).toBe('2024Y YYY')
    expect(utc('SSSS')).toBe('045S')
    expect(utc('[at] HH:mm, D MMM')).toBe('[at] 07:08, 5 Sep')
    expect(utc('$& $1 $$')).toBe('$& $1 $$')
    expect(compilePattern('D. MMMM')).toEqual({ literals: ['', '. ', ''], tokens: [6, 2] })
  })

  it('writes years outside 0 to 9999 as ISO 8601 does, signed with six digits', () => {
    expect(formatInstant(Date.UTC(-44, 2, 15), 'YYYY-MM-DD')).toBe('-000044-03-15')
    expect(formatInstant(Date.parse('+010000-01-01T00:00:00Z'), 'D MMM YYYY')).toBe('1 Jan +010000')
    expect(datetimeFormatter('YYYY-MM-DD HH:mm Z', 'America/New_York')(Date.parse('+010001-01-01T12:00:00Z'))).toBe('+010001-01-01 07:00 -05:00')
  })
})

describe('dateFormatter and timeFormatter', () => {
  it('write days with the date tokens, YYYY-MM-DD as toISOString does', () => {
    for (const ms of INSTANTS) {
      const day = Math.floor(ms / DAY_MS) * DAY_MS
      expect(dateFormatter('YYYY-MM-DD')(day)).toBe(new Date(day).toISOString().slice(0, 10))
      expect(dateFormatter(EVERY_TOKEN)(day)).toBe(reference(day, 0))
    }
    expect(dateFormatter('MMMM D, YYYY')(Date.UTC(1998, 8, 12))).toBe('September 12, 1998')
  })

  it('write times of day with HH mm ss', () => {
    expect(timeFormatter('HH:mm:ss')(0)).toBe('00:00:00')
    expect(timeFormatter('HH:mm:ss')(86_399)).toBe('23:59:59')
    expect(timeFormatter('HHhmm')(3600 * 9 + 60 * 5 + 7)).toBe('09h05')
    expect(timeFormatter('HH:mm:ss.SSS Z')(45_296)).toBe('12:34:56.000 Z')
  })
})

describe('format_date in expressions', () => {
  it('accepts every token the columns accept, and writes them as a UTC datetime column does', () => {
    const expression = compileExpression('format_date(d, p)')
    const utc = datetimeFormatter(EVERY_TOKEN, 'UTC')
    for (const ms of INSTANTS) {
      const iso = new Date(ms).toISOString()
      expect(expression.evaluate(i => (i === 0 ? iso : EVERY_TOKEN))).toBe(utc(ms))
      expect(expression.evaluate(i => (i === 0 ? ms : EVERY_TOKEN))).toBe(utc(ms))
    }
    for (const token of EVERY_TOKEN.split('|').filter(t => t !== 'Z')) expect(expression.evaluate(i => (i === 0 ? '2024-09-05T07:08:09.045Z' : token)), token).not.toBe(token)
    expect(expression.evaluate(i => (i === 0 ? '2024-09-05T07:08:09.045+02:00' : 'Z'))).toBe('Z')
  })

  it('writes the instant an offset names in UTC', () => {
    expect(compileExpression("format_date('2024-03-05T01:30:00+02:00', 'D MMM YYYY HH:mm Z')").evaluate(() => null)).toBe('4 Mar 2024 23:30 Z')
  })
})

describe('isValidDatetimeFormat', () => {
  it('takes the named formats and any pattern with a token', () => {
    for (const format of ['iso', 'epoch', 'epoch_seconds', 'YYYY', 'D MMM', 'HH:mm', 'SSS', 'Z']) expect(isValidDatetimeFormat(format), format).toBe(true)
    for (const format of ['', 'date', 'yyyy-dd', 'hh']) expect(isValidDatetimeFormat(format), format).toBe(false)
  })
})
