import { describe, expect, it } from 'vitest'
import { instantMs, isoDate, isoString, parseDate, parseDateLike, parseIso, parseTimestamp, secondsOfDay } from '~~/engine/time/iso'
import { DAY_MS } from '~~/engine/time/calendar'
import { RowRandom } from '~~/engine/schema/random'

const rng = new RowRandom(19)
rng.setRow(0)
const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** Instants over years 0 to 9999 at whole milliseconds, and a few that matter. */
const INSTANTS = [0, -1, 951_782_400_000, 253_402_300_799_999, -62_167_219_200_000, 1_709_164_800_000,
  ...Array.from({ length: 20_000 }, () => Math.floor(-62_167_219_200_000 + rng.next() * 315_537_897_600_000))]

/** An instant written in shapes ISO 8601 allows and Date.parse reads, each with the instant it stands for. */
function shapes(ms: number): [string, number][] {
  const iso = new Date(ms).toISOString()
  const noMs = ms - (((ms % 1000) + 1000) % 1000)
  const noSeconds = ms - (((ms % 60_000) + 60_000) % 60_000)
  const offset = Math.floor(rng.next() * 24 * 60) * (rng.next() < 0.5 ? -1 : 1)
  const abs = Math.abs(offset)
  const zoneText = `${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  const localIso = new Date(ms + offset * 60_000).toISOString()
  const local = /^\d{4}-/.test(localIso) ? localIso.slice(0, 23) : iso.slice(0, 23) // an offset past year 0 or 9999: none
  const zone = local === localIso.slice(0, 23) ? zoneText : 'Z'
  const digits = 1 + Math.floor(rng.next() * 9)
  const fraction = (((ms % 1000) + 1000) % 1000) / 1000
  const fractionText = fraction.toFixed(9).slice(2, 2 + digits)
  const truncated = noMs + Number(fractionText.padEnd(3, '0').slice(0, 3))
  return [
    [iso, ms],
    [iso.slice(0, 19) + 'Z', noMs],
    [iso.slice(0, 16) + 'Z', noSeconds],
    [iso.slice(0, 23), ms], // no zone: UTC
    [iso.slice(0, 10), Math.floor(ms / DAY_MS) * DAY_MS],
    [local + zone, ms],
    [local + zone.replace(':', ''), ms], // Z has no colon: the same text again
    [`${iso.slice(0, 19)}.${fractionText}Z`, truncated],
  ]
}

describe('parseIso, the one ISO 8601 parser', () => {
  it('reads what Date.parse reads, to the millisecond, in every shape and zone', () => {
    for (const ms of INSTANTS) {
      for (const [text, expected] of shapes(ms)) {
        const dateParse = Date.parse(/T.*([Zz]|[+-]\d\d:?\d\d)$/.test(text) || !text.includes('T') ? text : `${text}Z`)
        expect(dateParse, text).toBe(expected)
        expect(parseIso(text), text).toBe(expected)
      }
    }
  })

  it('reads extended years, lower-case separators, a space for T and offsets of hours only', () => {
    expect(parseIso('+010000-01-01T00:00:00.000Z')).toBe(Date.parse('+010000-01-01T00:00:00.000Z'))
    expect(parseIso('-000044-03-15')).toBe(Date.parse('-000044-03-15'))
    expect(parseIso('+275760-09-13T00:00:00Z')).toBe(8.64e15)
    expect(parseIso('2024-03-05t07:08:09z')).toBe(Date.UTC(2024, 2, 5, 7, 8, 9))
    expect(parseIso('2024-03-05 07:08:09.250+02:00')).toBe(Date.UTC(2024, 2, 5, 5, 8, 9, 250))
    expect(parseIso('2024-03-05T07:08:09+01')).toBe(Date.UTC(2024, 2, 5, 6, 8, 9))
  })

  it('is NaN on days no calendar has, where Date.parse rolls over', () => {
    for (const text of ['2023-02-29', '1900-02-29', '2024-02-30', '2024-04-31', '2024-13-01', '2024-00-10', '2024-01-00', '2024-01-32',
      '2023-02-29T10:00:00Z', '2024-02-30T00:00:00.000Z', '2024-04-31T12:00:00+02:00']) {
      expect(parseIso(text), text).toBeNaN()
    }
    expect(Date.parse('2024-02-30')).toBe(Date.UTC(2024, 2, 1)) // why the parser checks: Date.parse does not
    expect(parseIso('2024-02-29')).toBe(Date.UTC(2024, 1, 29))
    expect(parseIso('2000-02-29')).toBe(Date.UTC(2000, 1, 29))
  })

  it('is NaN on impossible times, offsets and anything that is not ISO 8601', () => {
    for (const text of ['2024-03-05T24:00:00Z', '2024-03-05T23:60:00Z', '2024-03-05T23:59:60Z', '2024-03-05T10:00:00+24:00', '2024-03-05T10:00:00+01:60',
      '2024-03-05T10:00:00Zjunk', '2024-03-05T10:00:00.Z', '2024-03-05T10', '2024-3-05', '24-03-05', '', 'soon', '2024/03/05', '+275760-09-13T00:00:00.001Z']) {
      expect(parseIso(text), text).toBeNaN()
    }
  })

  it('keeps as many fraction digits as asked, and only the milliseconds of them', () => {
    expect(parseIso('1970-01-01T00:00:00.123456789Z', 9)).toBe(123)
    expect(parseIso('1970-01-01T00:00:00.1234567890Z', 9)).toBeNaN()
    expect(parseIso('1970-01-01T00:00:00.1234567890Z')).toBe(Date.parse('1970-01-01T00:00:00.1234567890Z'))
    expect(parseIso('1970-01-01T00:00:00.9999999Z')).toBe(999)
  })
})

describe('instantMs', () => {
  it('reads the schema\'s start and end as Date.parse did, a time without offset in UTC', () => {
    for (const ms of INSTANTS.slice(0, 2000)) {
      for (const [text] of shapes(ms)) expect(instantMs(text), text).toBe(Date.parse(/T.*([Zz]|[+-]\d\d:?\d\d)$/.test(text) || !text.includes('T') ? text : `${text}Z`))
    }
  })
})

describe('the readers the Parquet encoder uses', () => {
  const texts = [
    ...INSTANTS.slice(0, 3000).flatMap(ms => shapes(ms).map(([text]) => text)),
    '2024-02-30T00:00:00Z', '2024-02-30', '2024-03-10T24:00:00.000Z', '2024-03-10T24:30:00.000Z', '2024-03-10T02:30:00', '2024-03-10 02:30:00',
    '2024-03-10T02:30:00+01', '+002024-03-05', '-000001-12-31T00:00:00.000Z', '2024-03-05T07:08:09z', 'soon', '', '1709622489000', '0000-01-01', '9999-12-31',
  ]

  /** What the Parquet encoder has always read: a YYYY-MM-DD of a real day, and Date.parse for instants (UTC unless an offset is given). */
  const referenceDays = (text: string) => (/^\d{4}-\d{2}-\d{2}$/.test(text) && new Date(Date.parse(text)).toISOString().startsWith(text) ? Date.parse(text) / DAY_MS : Number.NaN)
  const referenceInstant = (text: string) => (/[Zz]$/.test(text) || text.length <= 10 || /[+-]\d\d:?\d\d$/.test(text) ? Date.parse(text) : Date.parse(`${text}Z`))

  it('parseDate is the days of a YYYY-MM-DD of a real day, NaN for anything else', () => {
    for (const text of texts) expect(parseDate(text), text).toBe(referenceDays(text))
    expect(parseDate('1970-01-01')).toBe(0)
    expect(parseDate('2024-02-29')).toBe(Date.UTC(2024, 1, 29) / DAY_MS)
    expect(parseDate('1900-02-29')).toBeNaN()
  })

  it('parseTimestamp is an instant as engine/encode/parquet.ts reads it: fast for toISOString, Date.parse for the rest', () => {
    for (const text of texts) expect(Object.is(parseTimestamp(text), referenceInstant(text)), text).toBe(true)
    expect(parseTimestamp('2024-03-10T02:30:00')).toBe(Date.UTC(2024, 2, 10, 2, 30))
    expect(parseTimestamp('2024-03-10T02:30:00.250+01:00')).toBe(Date.UTC(2024, 2, 10, 1, 30, 0, 250))
    expect(parseTimestamp('2024-03-10T24:30:00.000Z')).toBeNaN()
  })
})

describe('the Parquet encoder\'s readers, as it always read dates and timestamps', () => {
  it('parses dates and timestamps as UTC, with a fast path equal to Date.parse', () => {
    expect(parseDate('1970-01-01')).toBe(0)
    expect(parseDate('2024-02-29')).toBe(Date.UTC(2024, 1, 29) / 86_400_000)
    expect(parseDate('1600-03-01')).toBe(Date.UTC(1600, 2, 1) / 86_400_000)
    expect(parseDate('1900-02-29')).toBeNaN()
    expect(parseTimestamp('2024-03-10T02:30:00')).toBe(Date.UTC(2024, 2, 10, 2, 30))
    expect(parseTimestamp('2024-03-10T02:30:00.250+01:00')).toBe(Date.UTC(2024, 2, 10, 1, 30, 0, 250))
    expect(parseTimestamp('2024-03-10')).toBe(Date.UTC(2024, 2, 10))
    let state = 7
    for (let i = 0; i < 2000; i++) {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0
      const iso = new Date(-62e12 + (state / 2 ** 32) * 315e12).toISOString()
      expect(parseTimestamp(iso)).toBe(Date.parse(iso))
      expect(parseTimestamp(iso.replace(/\.\d+Z$/, 'Z'))).toBe(Date.parse(iso.replace(/\.\d+Z$/, 'Z')))
    }
    expect(parseTimestamp('2024-03-10T24:30:00.000Z')).toBeNaN()
  })
})

describe('parseDateLike', () => {
  it('reads ISO instants as Date.parse does, and refuses their impossible days', () => {
    for (const ms of INSTANTS.slice(0, 3000)) {
      for (const [text] of shapes(ms)) {
        const expected = Date.parse(/T.*([Zz]|[+-]\d\d:?\d\d)$/.test(text) || !/[T ]\d/.test(text) ? text : `${text}Z`)
        expect(parseDateLike(` ${text} `), text).toBe(expected)
      }
    }
    expect(parseDateLike('2024-02-30T10:00:00.000Z')).toBeNaN()
    expect(parseDateLike('2024-03-05T24:00:00Z')).toBe(Date.UTC(2024, 2, 6)) // Date.parse's reading, on a real day
  })
})

describe('isoString and isoDate', () => {
  it('write what toISOString writes', () => {
    for (const ms of INSTANTS) {
      expect(isoString(ms)).toBe(new Date(ms).toISOString())
      expect(isoDate(Math.floor(ms / DAY_MS))).toBe(new Date(ms).toISOString().slice(0, 10))
    }
    expect(isoString(-62_167_219_200_001)).toBe('-000001-12-31T23:59:59.999Z')
    expect(isoDate(-719_529)).toBeUndefined()
  })
})

describe('secondsOfDay', () => {
  it('reads HH:mm and HH:mm:ss', () => {
    expect(secondsOfDay('00:00')).toBe(0)
    expect(secondsOfDay('23:59:59')).toBe(86_399)
    expect(secondsOfDay('07:30')).toBe(27_000)
  })
})
