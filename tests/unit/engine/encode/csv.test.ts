import { describe, expect, it } from 'vitest'
import type { CellValue } from '#shared/schema'
import { ValueTable, type PartsSource } from '~~/engine/schema/cells'
import { isoString } from '~~/engine/time/iso'
import { csvField } from '~~/engine/encode/csv'
import { fileFormat } from '~~/engine/encode/formats'
import { RowRandom } from '~~/engine/schema/random'
import { createChunkGenerator } from '~~/engine/run/chunk'
import { schemaOf } from '../../../support/schemas'
import { columnsOf, PIECES, randomText } from '../../../support/cells'

const NUMBERS = [0, -0, 1, -1, 7, 42, 2 ** 31, -(2 ** 31) - 5, 2 ** 53 - 1, 2 ** 53, 2 ** 60, 1e21, -1e21, 0.1, -0.5, 12.34, 1234.5678, 0.0001, 1e-7, -3.14159, 1 / 3, 99999999.99, 5e-324, Number.MAX_VALUE]

function randomCell(rng: RowRandom): CellValue {
  const kind = rng.int(0, 4)
  if (kind === 0) return null
  if (kind === 1) return rng.next() < 0.5
  if (kind === 2) return NUMBERS[rng.int(0, NUMBERS.length - 1)]!
  if (kind === 3) return (rng.next() - 0.5) * 10 ** rng.int(-3, 12)
  return randomText(rng)
}

/** The reference: each field through csvField, joined, encoded once. */
function expectedCsv(rows: CellValue[][], escapeFormulas: boolean): Uint8Array {
  const single = rows[0]!.length === 1
  const lines = rows.map(cells => `${cells.map(v => (single && v === null ? '""' : csvField(v, escapeFormulas))).join(',')}\n`)
  return new TextEncoder().encode(lines.join(''))
}

function encodeChunk(rows: CellValue[][], options: { escapeFormulas: boolean; tables?: (ValueTable | undefined)[]; instants?: (((ms: number) => string) | undefined)[]; before?: (row: number) => void }): Uint8Array {
  const width = rows[0]!.length
  const columns = columnsOf(Array.from({ length: width }, () => 'string'), i => ({ table: options.tables?.[i], instant: options.instants?.[i] }))
  const format = fileFormat('csv', columns, { rows: rows.length, escapeFormulas: options.escapeFormulas })
  const chunk = format.newChunk()
  rows.forEach((cells, row) => {
    options.before?.(row)
    chunk.add(cells, row)
  })
  return chunk.finish().bytes
}

describe('CSV chunk encoder', () => {
  for (const escapeFormulas of [false, true]) {
    it(`writes exactly what csvField writes, byte for byte (${escapeFormulas ? 'with' : 'without'} formula escaping): quotes, line breaks, UTF-8, lone surrogates, numbers`, () => {
      const rng = new RowRandom(3)
      rng.setRow(0)
      // Enough rows to outgrow the first buffer.
      const rows = Array.from({ length: 30_000 }, () => Array.from({ length: 5 }, () => randomCell(rng)))
      expect(Buffer.from(encodeChunk(rows, { escapeFormulas })).equals(Buffer.from(expectedCsv(rows, escapeFormulas)))).toBe(true)
    })
  }

  it('writes integers digit pair by digit pair exactly as String does: 0 to 200,000, around every power of ten and 2^31, negative and up to 2^53', () => {
    const values: number[] = []
    for (let v = 0; v <= 200_000; v++) values.push(v)
    for (let k = 0; k <= 15; k++) for (const d of [-2, -1, 0, 1, 2]) values.push(10 ** k + d, 2 ** 31 + d * 99, 2 ** 53 - 1 - d * 1e6)
    const rows = values.flatMap(v => [[v], [-v]])
    expect(new TextDecoder().decode(encodeChunk(rows, { escapeFormulas: false }))).toBe(rows.map(([v]) => `${String(v)}\n`).join(''))
  })

  it('grows its buffer past the first size for long fields, without losing a byte', () => {
    const rng = new RowRandom(5)
    rng.setRow(0)
    const long = (n: number) => Array.from({ length: n }, () => PIECES[rng.int(0, PIECES.length - 1)]).join('')
    // About 8 MB of text: several times the first buffer.
    const rows = Array.from({ length: 40 }, (_, i) => [long(60_000), i, rng.next() < 0.5, long(10)])
    expect(Buffer.from(encodeChunk(rows, { escapeFormulas: true })).equals(Buffer.from(expectedCsv(rows, true)))).toBe(true)
  })

  it('writes a null of a single-column file as "" so that no line is blank', () => {
    const rows: CellValue[][] = [[null], ['x'], [null]]
    expect(new TextDecoder().decode(encodeChunk(rows, { escapeFormulas: false }))).toBe('""\nx\n""\n')
  })

  it('copies list entries pre-encoded, only when the table\'s code matches the cell, and writes deferred instants from their epoch ms', () => {
    const values = ['plain', 'comma, inside', '=SUM(A1)', 'say "hi"', '', 'Zoë', 12.5, true]
    const rng = new RowRandom(11)
    rng.setRow(0)
    const table = new ValueTable(values)
    const rows: CellValue[][] = []
    const expected: CellValue[][] = []
    const codes: number[] = []
    for (let row = 0; row < 2000; row++) {
      const k = rng.int(0, values.length - 1)
      // Years 0 to 9999 are written digit by digit; beyond them, through the column's formatter.
      const ms = rng.int(-62167219200000 - 5 * 86_400_000, 253402300799999 + 5 * 86_400_000)
      // A stale code (another value drawn since) must not be used: the cell's own value is written.
      const stale = rng.next() < 0.2
      const cell = stale ? randomText(rng) : values[k]!
      const other = rng.next() < 0.1 ? null : values[k]!
      rows.push([cell, ms, other])
      expected.push([cell, isoString(ms), other])
      codes.push(stale && rng.next() < 0.5 ? -1 : k)
    }
    for (const escapeFormulas of [false, true]) {
      const bytes = encodeChunk(rows, {
        escapeFormulas,
        tables: [table, undefined, table],
        instants: [undefined, isoString, undefined],
        before: (row) => {
          table.code = codes[row]!
        },
      })
      expect(Buffer.from(bytes).equals(Buffer.from(expectedCsv(expected, escapeFormulas))), `escapeFormulas ${escapeFormulas}`).toBe(true)
    }
  })
})

describe('CSV of concatenated values', () => {
  it('writes a value from its pieces exactly as from the whole text: quotes, formulas, surrogate pairs split across pieces, stale pieces', () => {
    const rng = new RowRandom(21)
    rng.setRow(0)
    let text = ''
    let parts: string[] = []
    const source: PartsSource = { text: () => text, parts: () => parts }
    const rows: CellValue[][] = []
    const sources: { text: string; parts: string[] }[] = []
    for (let row = 0; row < 5000; row++) {
      const pieces = Array.from({ length: rng.int(1, 4) }, () => randomText(rng))
      // Half a surrogate pair at the end of one piece and the other half at the start of the next.
      if (rng.next() < 0.1) pieces.push('x\uD83D', '\uDE00y')
      const whole = pieces.join('')
      const stale = rng.next() < 0.1
      rows.push([stale ? randomText(rng) : whole, 1])
      sources.push({ text: whole, parts: pieces })
    }
    for (const escapeFormulas of [false, true]) {
      const format = fileFormat('csv', columnsOf(['string', 'integer'], i => (i === 0 ? { pieces: source } : {}), ['a', 'b']), { rows: rows.length, escapeFormulas })
      const chunk = format.newChunk()
      rows.forEach((cells, row) => {
        ;({ text, parts } = sources[row]!)
        chunk.add(cells, row)
      })
      expect(Buffer.from(chunk.finish().bytes).equals(Buffer.from(expectedCsv(rows, escapeFormulas))), `escapeFormulas ${escapeFormulas}`).toBe(true)
    }
  })
})

describe('chunks with deferred texts', () => {
  for (const escapeFormulas of [false, true]) {
    it(`CSV chunks write templates no column reads from their pieces: quoting, formulas, empty text, samples and previews as JSON's (${escapeFormulas ? 'with' : 'without'} formula escaping)`, () => {
      const schema = schemaOf({ columns: [
        { name: 'first', kind: 'faker', method: 'person.firstName' },
        { name: 'n', kind: 'integer', min: -5, max: 5, null_rate: 0.3 },
        { name: 'comma', kind: 'template', template: '{{first}}, {{n}}' },
        { name: 'formula', kind: 'template', template: '{{n}}={{first | upper}}' },
        { name: 'maybe', kind: 'template', template: '{{n}}' },
        { name: 'read', kind: 'template', template: '{{first | alnum}}@x' },
        { name: 'reader', kind: 'template', template: '<{{read}}>' },
      ] })
      const spec = { schema, rows: 2000, seed: 9, sampleSize: 2000, previewRows: 30, escapeFormulas }
      const json = createChunkGenerator({ ...spec, format: 'json' })(0, 2000)
      const csv = createChunkGenerator({ ...spec, format: 'csv' })(0, 2000)
      expect(csv.sample).toEqual(json.sample)
      expect(csv.preview).toEqual(json.preview)
      const objects = JSON.parse(`[${new TextDecoder().decode(json.bytes)}]`) as Record<string, CellValue>[]
      expect(Buffer.from(csv.bytes).equals(Buffer.from(expectedCsv(objects.map(o => Object.values(o)), escapeFormulas)))).toBe(true)
    })
  }
})
