import { describe, expect, it } from 'vitest'
import { createChunkGenerator } from '~~/engine/run/chunk'
import { schemaOf } from '../../../support/schemas'

describe('chunks with deferred instants', () => {
  it('CSV and Parquet chunks leave ISO UTC instants as numbers only inside the encoder: samples, previews and counts match a JSON chunk\'s', () => {
    const schema = schemaOf({ columns: [
      { name: 'seen', kind: 'datetime', start: '1999-01-01T00:00:00Z', end: '2030-12-31T23:59:59Z' },
      { name: 'read', kind: 'datetime', start: '2020-01-01T00:00:00Z', end: '2020-12-31T23:59:59Z', null_rate: 0.2 },
      { name: 'label', kind: 'template', template: 'at {{read}}' },
      { name: 'local', kind: 'datetime', start: '2020-01-01T00:00:00Z', end: '2020-12-31T23:59:59Z', timezone: 'Europe/Paris' },
    ] })
    const spec = { schema, rows: 3000, seed: 4, sampleSize: 3000, previewRows: 50 }
    const json = createChunkGenerator({ ...spec, format: 'json' })(0, 3000)
    for (const sample of json.sample) {
      expect(sample.cells[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      if (sample.cells[1] !== null) expect(sample.cells[2]).toBe(`at ${sample.cells[1]}`)
    }
    for (const format of ['csv', 'parquet'] as const) {
      const chunk = createChunkGenerator({ ...spec, format })(0, 3000)
      expect(chunk.sample, format).toEqual(json.sample)
      expect(chunk.preview, format).toEqual(json.preview)
      expect(chunk.nulls, format).toEqual(json.nulls)
    }
    // The CSV holds the same text as the JSON.
    const csv = new TextDecoder().decode(createChunkGenerator({ ...spec, format: 'csv' })(0, 3000).bytes).trimEnd().split('\n')
    const objects = JSON.parse(`[${new TextDecoder().decode(json.bytes)}]`) as Record<string, string | null>[]
    csv.forEach((line, i) => expect(line).toBe(Object.values(objects[i]!).map(v => (v === null ? '' : v)).join(',')))
  })
})
