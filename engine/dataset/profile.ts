/**
 * Datasets (uploaded real samples): reads a CSV as people really write them (BOM, CRLF or LF, quoted
 * fields with delimiters and line breaks, `,` `;` or tab detected) and infers each column's type
 * from its name and content, in one streaming pass with bounded memory.
 */
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { parse } from 'csv-parse'
import { MAX_CATEGORY_LENGTH, MAX_COLUMNS, type ColumnProfile, type InferredType } from '../../shared/schema.ts'
import { parseDateLike } from '../time/iso.ts'

export interface DatasetProfile {
  rows: number
  delimiter: string
  columns: ColumnProfile[]
}

/** Something wrong with the file itself: the message is for the person who uploaded it. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DatasetError'
  }
}

/** Cells that mean "no value". */
export const NULL_TOKENS = new Set(['', 'NA', 'N/A', 'na', 'n/a', 'null', 'NULL', 'Null', 'NaN', 'nan', 'None', 'none', '#N/A'])

/** Distinct values tracked per column before counting stops (the count is then a lower bound). */
const DISTINCT_CAP = 10_000
const EXAMPLES = 5
const SNIFF_BYTES = 64 * 1024

const INTEGER = /^[+-]?(\d{1,3}(,\d{3})+|\d+)$/
const NUMBER = /^[+-]?((\d{1,3}(,\d{3})+|\d+)(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/
const BOOLEAN = new Set(['true', 'false', 'yes', 'no', 't', 'f', 'y', 'n'])
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/
const US_DATE = /^\d{1,2}\/\d{1,2}\/\d{4}$/
const MONTHS = 'jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august|september|october|november|december'
const WORDY_DATE = new RegExp(`^((${MONTHS})\\.? \\d{1,2},? \\d{4}|\\d{1,2} (${MONTHS})\\.? \\d{4})$`, 'i')
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const PHONE = /^\+?[\d\s().-]{7,}$/
const PERSON_NAME = /^[\p{Lu}][\p{L}'’.-]*( [\p{Lu}][\p{L}'’.-]*){0,3}$/u
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Evidence gathered for one column. */
interface Tally {
  nonNull: number
  nulls: number
  distinct: Set<string>
  capped: boolean
  examples: string[]
  integer: number
  number: number
  boolean: number
  date: number
  datetime: number
  email: number
  phone: number
  personName: number
  uuid: number
}

const newTally = (): Tally => ({
  nonNull: 0, nulls: 0, distinct: new Set(), capped: false, examples: [],
  integer: 0, number: 0, boolean: 0, date: 0, datetime: 0, email: 0, phone: 0, personName: 0, uuid: 0,
})

function observe(tally: Tally, raw: string): void {
  const value = raw.trim()
  if (NULL_TOKENS.has(value)) {
    tally.nulls++
    return
  }
  tally.nonNull++
  if (!tally.distinct.has(value)) {
    if (tally.distinct.size < DISTINCT_CAP) tally.distinct.add(value)
    else tally.capped = true
    if (tally.examples.length < EXAMPLES) tally.examples.push(value)
  }
  // Cheap checks of the first character and the length skip patterns that cannot match (millions of cells).
  const first = value.charCodeAt(0)
  const digit = first >= 48 && first <= 57
  if ((digit || first === 43 || first === 45 || first === 46) && NUMBER.test(value)) {
    tally.number++
    if (INTEGER.test(value)) tally.integer++
  }
  if (value.length <= 5 && BOOLEAN.has(value.toLowerCase())) tally.boolean++
  // A date needs a real calendar day: `2024-13-05` or `2024-02-30` counts as not a date, so (as any
  // other odd cell does) it keeps its column from being typed date; typed so by an override, the fit
  // reads such cells as nulls.
  // Spelled as a date, even one no calendar has, a value is never a phone number.
  let dateSpelling = false
  if ((digit && (ISO_DATE.test(value) || US_DATE.test(value))) || (value.length <= 20 && WORDY_DATE.test(value))) {
    dateSpelling = true
    if (Number.isFinite(parseDateLike(value))) tally.date++
  }
  else if (digit && ISO_DATETIME.test(value)) {
    dateSpelling = true
    if (Number.isFinite(parseDateLike(value))) tally.datetime++
  }
  if (value.includes('@') && EMAIL.test(value)) tally.email++
  if (!dateSpelling && (digit || first === 40 || first === 41 || first === 43 || first === 45 || first === 46) && PHONE.test(value) && value.replace(/\D/g, '').length >= 7 && /[\s().+-]/.test(value)) tally.phone++
  if ((first >= 65 && first <= 90) || first > 127) {
    if (PERSON_NAME.test(value)) tally.personName++
  }
  if (value.length === 36 && UUID.test(value)) tally.uuid++
}

const ID_NAME = /^(id|uuid|key)$|_id$|Id$|_key$|^id_/i
/** Columns that hold people's names, by their header (a bare `name` may be an airport or a product). */
const PERSON_NAME_COLUMN = /((first|last|full|given|family|sur|middle|maiden|person|customer|employee|patient|contact|client|author)_?name|^surname$)/i
const TIME_NAME = /(time|date|_at$|_on$|timestamp|created|updated)/i

/** The type a column's evidence points to. */
function inferType(name: string, tally: Tally): InferredType {
  const n = tally.nonNull
  if (n === 0) return 'text'
  const all = (count: number) => count === n
  const most = (count: number) => count >= 0.95 * n
  const distinct = tally.distinct.size
  const unique = !tally.capped && distinct === n
  if (most(tally.email)) return 'email'
  if (all(tally.boolean) && distinct <= 2) return 'boolean'
  if (all(tally.integer)) {
    if (unique && ID_NAME.test(name)) return 'id'
    if (TIME_NAME.test(name) && [...tally.distinct].every(v => /^\d{10}(\d{3})?$/.test(v))) return 'datetime'
    if (distinct === 2 && tally.distinct.has('0') && tally.distinct.has('1')) return 'boolean'
    // Integers that are really codes or levels: few values, each seen often.
    if (!tally.capped && distinct <= 12 && n >= 5 * distinct) return 'categorical'
    return 'integer'
  }
  if (all(tally.number)) return 'number'
  if (all(tally.date)) return 'date'
  if (all(tally.date + tally.datetime)) return 'datetime'
  if (/phone|mobile|tel(ephone)?$|fax/i.test(name) ? most(tally.phone) : all(tally.phone)) return 'phone'
  if (/address|street/i.test(name)) return 'address'
  // Unique keys: named like ids, UUIDs, or short codes without spaces (IATA codes, SKUs).
  if (unique && n >= 20 && (ID_NAME.test(name) || all(tally.uuid) || [...tally.distinct].every(v => v.length <= 16 && !/\s/.test(v)))) return 'id'
  if (PERSON_NAME_COLUMN.test(name) && most(tally.personName)) return 'name'
  // Values too long to be categories are text (re-synthesised, not copied).
  if (!tally.capped && distinct <= Math.max(20, Math.min(1000, 0.05 * n)) && n >= 2 * distinct && [...tally.distinct].every(v => v.length <= MAX_CATEGORY_LENGTH)) return 'categorical'
  return 'text'
}

/** The delimiter that splits the first lines into the same number of fields. */
function detectDelimiter(head: string): string {
  const lines = head.split(/\r?\n/).filter(Boolean).slice(0, 20)
  let best = ','
  let bestScore = -1
  for (const delimiter of [',', ';', '\t']) {
    // Count outside quotes, line by line.
    const counts = lines.map((line) => {
      let count = 0
      let quoted = false
      for (const ch of line) {
        if (ch === '"') quoted = !quoted
        else if (ch === delimiter && !quoted) count++
      }
      return count
    })
    const first = counts[0] ?? 0
    const consistent = counts.filter(c => c === first).length
    const score = first > 0 ? consistent * 1000 + first : -1
    if (score > bestScore) {
      best = delimiter
      bestScore = score
    }
  }
  return best
}

/** The profile with some columns' types overridden by name (POST /generate `source.columns`). */
export function withTypes(profile: DatasetProfile, types: Record<string, InferredType> | undefined): DatasetProfile {
  if (!types) return profile
  return { ...profile, columns: profile.columns.map(c => (Object.hasOwn(types, c.name) ? { ...c, type: types[c.name]! } : c)) }
}

/**
 * Reads, checks and profiles a CSV file. Throws DatasetError for files that are not usable CSV.
 * `onRow` sees every data row (index from 0) in the same pass, e.g. to keep a sample for fitting.
 */
export async function profileCsv(path: string, onRow?: (cells: string[], index: number) => void): Promise<DatasetProfile> {
  const handle = await open(path)
  let head: string
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES)
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0)
    if (bytesRead === 0) throw new DatasetError('the file is empty')
    const bytes = buffer.subarray(0, bytesRead)
    if (bytes.includes(0)) throw new DatasetError('the file is binary, not CSV text (it contains NUL bytes)')
    // A multi-byte character may be cut at the end of the sniffed part: only the last 3 bytes may fail.
    head = new TextDecoder('utf-8', { fatal: false }).decode(bytes)
    const strict = new TextDecoder('utf-8', { fatal: true })
    try {
      strict.decode(bytes.subarray(0, Math.max(0, bytesRead - 3)))
    }
    catch {
      throw new DatasetError('the file is not UTF-8 text')
    }
  }
  finally {
    await handle.close()
  }
  const delimiter = detectDelimiter(head.replace(/^\uFEFF/, ''))
  const parser = createReadStream(path).pipe(parse({ delimiter, bom: true, skip_empty_lines: true, relax_quotes: false }))
  let header: string[] | undefined
  let tallies: Tally[] = []
  let rows = 0
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!header) {
        // Blank lines before the header (only whitespace, whatever the line ending) are no header.
        if (record.length === 1 && !record[0]!.trim()) continue
        header = record.map((name, i) => name.trim() || `column_${i + 1}`)
        if (header.length > MAX_COLUMNS) throw new DatasetError(`the file has ${header.length} columns; at most ${MAX_COLUMNS} are supported`)
        if (new Set(header).size !== header.length) throw new DatasetError(`the header repeats a column name: ${header.find((h, i) => header!.indexOf(h) !== i)}`)
        tallies = header.map(newTally)
        continue
      }
      onRow?.(record, rows)
      rows++
      for (let i = 0; i < record.length; i++) observe(tallies[i]!, record[i]!)
    }
  }
  catch (error) {
    if (error instanceof DatasetError) throw error
    const message = error instanceof Error ? error.message : String(error)
    throw new DatasetError(`the CSV cannot be read: ${message}`)
  }
  if (!header) throw new DatasetError('the file is empty')
  if (rows === 0) throw new DatasetError('the file has a header but no rows')
  if (header.length < 1) throw new DatasetError('the file has no columns')
  return {
    rows,
    delimiter,
    columns: header.map((name, i) => {
      const tally = tallies[i]!
      return { name, type: inferType(name, tally), nulls: tally.nulls, distinct: tally.distinct.size, distinct_capped: tally.capped, examples: tally.examples }
    }),
  }
}
