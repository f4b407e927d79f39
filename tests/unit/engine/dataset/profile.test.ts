import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseDateLike } from '~~/engine/time/iso'
import { fitCsv } from '~~/engine/dataset/fit'
import { DatasetError, profileCsv, withTypes } from '~~/engine/dataset/profile'

const dir = mkdtempSync(join(tmpdir(), 'sdaas-profile-'))
let count = 0
function file(content: string | Buffer): string {
  const path = join(dir, `f${count++}.csv`)
  writeFileSync(path, content)
  return path
}
const vega = (name: string) => new URL(`../../../../node_modules/vega-datasets/data/${name}.csv`, import.meta.url).pathname
const typesOf = async (path: string) => Object.fromEntries((await profileCsv(path)).columns.map(c => [c.name, c.type]))

/** n rows built by a function of the row index. */
const rowsOf = (header: string, n: number, row: (i: number) => string, eol = '\n') => [header, ...Array.from({ length: n }, (_, i) => row(i))].join(eol) + eol

describe('profileCsv reads messy CSV', () => {
  it('handles a BOM, CRLF, semicolons, quoted delimiters and line breaks, thousands separators and null spellings', async () => {
    const csv = '\uFEFFid;full_name;income;joined;note\r\n'
      + Array.from({ length: 30 }, (_, i) => `${i + 1};"Doe${i}, Jane";"${(52_300.5 + i).toLocaleString('en-US')}";2021-03-${String((i % 28) + 1).padStart(2, '0')};"line one\r\nline; two"`).join('\r\n')
      + '\r\n31;NA;NaN;null;""\r\n'
    const profile = await profileCsv(file(csv))
    expect(profile.delimiter).toBe(';')
    expect(profile.rows).toBe(31)
    expect(profile.columns.map(c => c.name)).toEqual(['id', 'full_name', 'income', 'joined', 'note'])
    const byName = Object.fromEntries(profile.columns.map(c => [c.name, c]))
    expect(byName.id!.type).toBe('id')
    expect(byName.income!.type).toBe('number')
    expect(byName.income!.nulls).toBe(1)
    expect(byName.joined!.type).toBe('date')
    expect(byName.note!.examples[0]).toBe('line one\r\nline; two')
    expect(byName.full_name!.nulls).toBe(1)
  })

  it('detects tabs and infers ids, categories hidden in integers, booleans, dates, emails, phones and names', async () => {
    const path = file(rowsOf('customer_id\tlevel\tactive\tflag\tsigned_up\tcreated_at\tbirthday\tcontact_email\tphone\tfirst_name\tscore\tcomment', 200, i => [
      1000 + i, (i % 3) + 1, i % 2 ? 'yes' : 'no', i % 2, `${(i % 12) + 1}/${(i % 27) + 1}/2020`, 1_600_000_000 + i * 3600,
      `Jun ${(i % 27) + 1} 1998`, `user${i}@example.com`, `+1 (555) 01${String(i).padStart(2, '0')}-22`, ['Ann', 'Bob', 'Cara', 'Dev'][i % 4], (i * 0.37).toFixed(2), `free text ${i * 7919}`,
    ].join('\t')))
    expect((await profileCsv(path)).delimiter).toBe('\t')
    expect(await typesOf(path)).toEqual({
      customer_id: 'id', level: 'categorical', active: 'boolean', flag: 'boolean', signed_up: 'date', created_at: 'datetime',
      birthday: 'date', contact_email: 'email', phone: 'phone', first_name: 'name', score: 'number', comment: 'text',
    })
  })

  it('profiles real datasets from vega-datasets', async () => {
    expect(await typesOf(vega('seattle-weather'))).toEqual({ date: 'date', precipitation: 'number', temp_max: 'number', temp_min: 'number', wind: 'number', weather: 'categorical' })
    expect(await typesOf(vega('stocks'))).toEqual({ symbol: 'categorical', date: 'date', price: 'number' })
    const airports = await profileCsv(vega('airports'))
    expect(airports.rows).toBe(3376)
    expect(airports.columns.find(c => c.name === 'iata')!.type).toBe('id')
    expect(airports.columns.find(c => c.name === 'latitude')!.type).toBe('number')
  })

  it('caps distinct counting and says so', async () => {
    const profile = await profileCsv(file(rowsOf('v', 12_000, i => `value-${i}`)))
    expect(profile.columns[0]!.distinct).toBe(10_000)
    expect(profile.columns[0]!.distinct_capped).toBe(true)
  })

  it('refuses empty, header-only, ragged, binary, non-UTF-8 and duplicate-header files with a clear reason', async () => {
    const cases: [string | Buffer, RegExp][] = [
      ['', /empty/],
      ['a,b\n', /no rows/],
      ['a,b\n1,2\n3\n', /cannot be read.*(Invalid Record Length|columns length)/i],
      [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x1a]), /binary/],
      [Buffer.from('a,b\n\xff\xfe,\xc3\x28\n'.split('').map(c => c.charCodeAt(0)).concat(Array(10).fill(0x61))), /not UTF-8/],
      ['a,a\n1,2\n', /repeats a column name: a/],
    ]
    for (const [content, message] of cases) {
      const error = await profileCsv(file(content)).catch((e: unknown) => e)
      expect(error, String(message)).toBeInstanceOf(DatasetError)
      expect((error as Error).message).toMatch(message)
    }
  })
})

describe('dates that no calendar has', () => {
  /** 40 days of January 2024 as each spelling writes them, then three impossible days. */
  const INVALID = { iso: ['2024-13-05', '2024-02-30', '2023-02-29'], us: ['13/05/2024', '02/30/2024', '04/31/2024'], stamp: ['2024-04-31T10:00:00Z', '2024-02-30T08:00:00Z', '2024-13-01T00:00:00Z'] }
  const day = (i: number) => String((i % 31) + 1).padStart(2, '0')
  const csv = rowsOf('iso,us,stamp,clean', 43, i => (i < 40
    ? [`2024-01-${day(i)}`, `01/${day(i)}/2024`, `2024-01-${day(i)}T10:00:00Z`, `2024-01-${day(i)}`]
    : [INVALID.iso[i - 40], INVALID.us[i - 40], INVALID.stamp[i - 40], '2024-02-29']).join(','))

  it('parses them as not a date instead of rolling them over to another day', () => {
    for (const text of [...INVALID.iso, ...INVALID.us, ...INVALID.stamp, 'Feb 30 2024', '31 Apr 2024']) expect(parseDateLike(text), text).toBeNaN()
    expect(parseDateLike('2024-02-29')).toBe(Date.UTC(2024, 1, 29))
    expect(parseDateLike('0099-12-31')).toBe(new Date('0099-12-31T00:00:00Z').getTime())
  })

  it('keeps a column with some from being typed as dates, as any other cell that is not a date does', async () => {
    const types = await typesOf(file(csv))
    // Nor as phone numbers, which their digits and dashes would pass for.
    for (const name of ['iso', 'us', 'stamp']) expect(['date', 'datetime', 'phone'], name).not.toContain(types[name])
    expect(types.clean).toBe('date')
  })

  it('reads them as nulls when the column is typed as dates anyway', async () => {
    const path = file(csv)
    const profile = withTypes(await profileCsv(path), { iso: 'date', us: 'date', stamp: 'datetime' })
    const schema = await fitCsv(path, profile, 1)
    const january = [Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 31, 10)]
    for (const name of ['iso', 'us', 'stamp']) {
      const column = schema.columns.find(c => c.name === name)!
      if (column.kind !== 'empirical') throw new Error(`${name} was fitted as ${column.kind}`)
      // Rolled over, 2024-13-05 would be 2025-01-05 and 2024-02-30 March 1st: outside January.
      expect(Math.min(...column.values), name).toBeGreaterThanOrEqual(january[0]!)
      expect(Math.max(...column.values), name).toBeLessThanOrEqual(january[1]!)
      expect(column.null_rate, name).toBeCloseTo(3 / 43, 10)
    }
  })
})
