import { describe, expect, it } from 'vitest'
import type { CellValue } from '#shared/schema'
import { ValueTable } from '~~/engine/schema/cells'
import { fileFormat } from '~~/engine/encode/formats'
import { encodeRowGroup, type ParquetColumn } from '~~/engine/encode/parquet'
import { RowRandom } from '~~/engine/schema/random'
import { columnsOf, randomText } from '../../../support/cells'

describe('Parquet chunk encoder', () => {
  it('encodes string columns value by value, list entries from their pre-encoded bytes, exactly as encodeRowGroup does from the values', () => {
    const values = ['plain', 'Zoë', '中文', '😀', 12.5, true, '']
    const table = new ValueTable(values)
    const rng = new RowRandom(8)
    rng.setRow(0)
    const rows: CellValue[][] = []
    const codes: number[] = []
    for (let row = 0; row < 3000; row++) {
      const k = rng.int(0, values.length - 1)
      const stale = rng.next() < 0.2
      const listed = rng.next() < 0.1 ? null : stale ? randomText(rng) : values[k]!
      rows.push([listed, rng.next() < 0.3 ? null : randomText(rng), rng.int(0, 100)])
      codes.push(stale && rng.next() < 0.5 ? -1 : k)
    }
    const format = fileFormat('parquet', columnsOf(['string', 'string', 'integer'], i => (i === 0 ? { table } : {}), ['listed', 'text', 'n']), { rows: rows.length })
    const chunk = format.newChunk()
    rows.forEach((cells, row) => {
      table.code = codes[row]!
      chunk.add(cells, row)
    })
    const { bytes } = chunk.finish()
    // The reference: whole columns, non-text values of a string column as their text.
    const columns: ParquetColumn[] = [{ name: 'listed', type: 'STRING', nullable: true }, { name: 'text', type: 'STRING', nullable: true }, { name: 'n', type: 'INT64', nullable: true }]
    const reference = encodeRowGroup(columns, [0, 1, 2].map(c => rows.map(r => (c === 0 && r[c] !== null && typeof r[c] !== 'string' ? String(r[c]) : r[c]!))))
    expect(Buffer.from(bytes).equals(Buffer.from(reference.bytes))).toBe(true)
  })
})
