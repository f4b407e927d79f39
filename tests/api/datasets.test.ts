import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { $fetch, fetch } from '@nuxt/test-utils/e2e'
import type { DatasetRecord, GenerationSchema, Preview, SchemaJobMetrics } from '#shared/schema'
import { postJson, submit, waitForJob } from '../support/api'
import { vegaCsv } from '../support/vega'
import { tempDataDir } from '../support/data-dir'
import { setupBuiltServer } from '../support/e2e'

const dataDir = tempDataDir()
const LIMIT = 100_000
await setupBuiltServer({ NUXT_DATA_DIR: dataDir, NUXT_MAX_UPLOAD_BYTES: String(LIMIT) })

const seattle = readFileSync(new URL('../../node_modules/vega-datasets/data/seattle-weather.csv', import.meta.url))
const upload = (body: BodyInit, headers: Record<string, string> = { 'content-type': 'text/csv' }) => fetch('/datasets', { method: 'POST', headers, body })

describe('look-alike rows from an uploaded dataset', () => {
  it('fits the upload, generates from { source: { dataset } }, and exports the model as a schema', async () => {
    const penguins = vegaCsv('penguins')
    const uploaded = await upload(penguins.text)
    expect(uploaded.status).toBe(201)
    const dataset = await uploaded.json() as DatasetRecord
    const id = await submit({ source: { dataset: dataset.dataset_id }, rows: 2000, seed: 7, format: 'csv' })
    const job = await waitForJob(id)
    expect(job).toMatchObject({ status: 'done', rows_written: 2000, dataset: dataset.dataset_id, template: null })
    const preview = await $fetch<Preview>(`/preview/${id}`, { query: { n: 5 } })
    expect(preview.columns).toEqual(['Species', 'Island', 'Beak_Length_mm', 'Beak_Depth_mm', 'Flipper_Length_mm', 'Body_Mass_g', 'Sex'])
    const species = new Set(penguins.rows.map(r => r.Species))
    for (const row of preview.rows) expect(species.has(row[0])).toBe(true)

    const metrics = await $fetch<SchemaJobMetrics>(`/metrics/${id}`)
    expect(metrics.quality!.real_rows).toBe(344)
    expect(metrics.quality!.synthetic_rows).toBe(2000)
    expect(Object.keys(metrics.quality!.columns)).toEqual(['Species', 'Island', 'Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)', 'Sex'])
    expect(metrics.quality!.quality_score).toBeGreaterThan(0.8)
    expect(metrics.quality!.adherence!['Body Mass (g)']).toEqual({ metric: 'BoundaryAdherence', score: 1 })
    expect(metrics.quality!.privacy!.new_row_synthesis).toMatchObject({ synthetic_rows: 2000, real_rows: 344 })
    // Penguins' gridded measurements: see the NewRowSynthesis note in tests/unit/engine/report/fidelity.test.ts.
    expect(metrics.quality!.privacy!.new_row_synthesis.score).toBeGreaterThanOrEqual(0.97)
    expect(metrics.quality!.privacy!.dcr_baseline_protection).toMatchObject({ synthetic_rows: 2000, real_rows: 344 })

    const model = await $fetch<GenerationSchema>(`/datasets/${dataset.dataset_id}/model`)
    expect(model.correlations?.[0]).toMatchObject({ on: 'Species', when: 'Adelie' })
    expect(model.correlations?.[0]?.columns).toContain('Body_Mass_g')
    // The model is an ordinary schema: sent back inline, it gives the same bytes as the source job.
    const again = await waitForJob(await submit({ schema: model, rows: 2000, seed: 7, format: 'csv' }))
    expect((await fetch(`/download/${again.job_id}`)).headers.get('etag')).toBe((await fetch(`/download/${id}`)).headers.get('etag'))

    const unknown = await postJson('/generate', { source: { dataset: '0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d' } })
    expect(unknown.status).toBe(400)
    expect((await unknown.json()).issues[0].path).toBe('source.dataset')
    expect((await fetch('/datasets/0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d/model')).status).toBe(404)
  })
})

describe('overriding inferred column types', () => {
  it('refits with the types asked in source.columns; unknown names and types are 400s naming them', async () => {
    const penguins = vegaCsv('penguins')
    const dataset = await (await upload(penguins.text)).json() as DatasetRecord
    const source = (columns: Record<string, string>) => ({ source: { dataset: dataset.dataset_id, columns }, rows: 500, seed: 3 })

    const unknown = await postJson('/generate', source({ 'Flipper Length (mm)': 'categorical', 'nope': 'number', 'Body Mass': 'integer' }))
    expect(unknown.status).toBe(400)
    const issues = (await unknown.json()).issues as { path: string; message: string }[]
    expect(issues.map(i => i.path)).toEqual(['source.columns.nope', 'source.columns.Body Mass'])
    expect(issues[0]!.message).toMatch(/unknown column "nope".*"Body Mass \(g\)"/)
    const badType = await postJson('/generate', source({ Sex: 'gender' }))
    expect(badType.status).toBe(400)
    expect((await badType.json()).issues[0].path).toBe('source.columns.Sex')

    // Flipper length as a category: only lengths seen in the data; Sex as free text: re-synthesised, not scored.
    const id = await submit(source({ 'Flipper Length (mm)': 'categorical', 'Sex': 'text' }))
    expect(await waitForJob(id)).toMatchObject({ status: 'done', dataset: dataset.dataset_id })
    const lengths = new Set(penguins.rows.map(r => r['Flipper Length (mm)']))
    const preview = await $fetch<Preview>(`/preview/${id}`, { query: { n: 200 } })
    const flipper = preview.rows.map(r => r[4]).filter(v => v !== null)
    expect(flipper.length).toBeGreaterThan(150)
    for (const value of flipper) expect(lengths.has(value)).toBe(true)
    expect(preview.rows.some(r => typeof r[6] === 'string' && r[6].split(' ').length > 2)).toBe(true)
    const metrics = await $fetch<SchemaJobMetrics>(`/metrics/${id}`)
    expect(metrics.quality!.columns['Flipper Length (mm)']!.metric).toBe('TVComplement')
    expect(metrics.quality!.columns.Sex).toBeUndefined()
    // The stored model keeps the inferred types.
    const model = await $fetch<GenerationSchema>(`/datasets/${dataset.dataset_id}/model`)
    expect(JSON.stringify(model)).not.toContain('lorem.sentence')
  })
})

describe('datasets: upload, profile, list, delete', () => {
  it('uploads a real CSV and answers 201 with its rows and inferred column types', async () => {
    const response = await upload(seattle, { 'content-type': 'text/csv', 'x-filename': 'seattle-weather.csv' })
    expect(response.status).toBe(201)
    const dataset = await response.json() as DatasetRecord
    expect(response.headers.get('location')).toBe(`/datasets/${dataset.dataset_id}`)
    expect(dataset).toMatchObject({ rows: 1461, bytes: seattle.byteLength, delimiter: ',', name: 'seattle-weather.csv' })
    expect(dataset.columns.map(c => [c.name, c.type])).toEqual([
      ['date', 'date'], ['precipitation', 'number'], ['temp_max', 'number'], ['temp_min', 'number'], ['wind', 'number'], ['weather', 'categorical'],
    ])
    expect(dataset.columns.find(c => c.name === 'weather')!.examples).toContain('drizzle')
    expect(await $fetch<DatasetRecord>(`/datasets/${dataset.dataset_id}`)).toEqual(dataset)
    const { datasets } = await $fetch<{ datasets: DatasetRecord[] }>('/datasets')
    expect(datasets.map(d => d.dataset_id)).toContain(dataset.dataset_id)
    // The file is stored complete, under its id, with nothing left under a temporary name.
    const files = readdirSync(join(dataDir, 'datasets'))
    expect(files).toContain(`${dataset.dataset_id}.csv`)
    expect(files.filter(f => f.endsWith('.tmp'))).toEqual([])
    expect(readFileSync(join(dataDir, 'datasets', `${dataset.dataset_id}.csv`))).toEqual(seattle)

    expect((await fetch(`/datasets/${dataset.dataset_id}`, { method: 'DELETE' })).status).toBe(204)
    expect((await fetch(`/datasets/${dataset.dataset_id}`)).status).toBe(404)
    expect(readdirSync(join(dataDir, 'datasets')).filter(f => f.startsWith(dataset.dataset_id))).toEqual([])
  })

  it('refuses bodies over NUXT_MAX_UPLOAD_BYTES with 413, declared or chunked, and keeps nothing', async () => {
    const before = readdirSync(join(dataDir, 'datasets')).sort()
    const big = Buffer.concat([seattle, seattle, seattle])
    expect(big.byteLength).toBeGreaterThan(LIMIT)
    expect((await upload(big)).status).toBe(413)
    const chunked = new ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array(big))
        controller.close()
      },
    })
    const response = await fetch('/datasets', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: chunked, duplex: 'half' } as RequestInit)
    expect(response.status).toBe(413)
    expect(readdirSync(join(dataDir, 'datasets')).sort()).toEqual(before)
    expect((await fetch('/healthz')).status).toBe(200)
  })

  it('takes the file of a multipart form (a browser upload) the same way: 201, stored whole, 413 past the limit, 400 without a file', async () => {
    const form = new FormData()
    form.append('note', 'ignored field')
    form.append('file', new Blob([seattle], { type: 'text/csv' }), 'seattle-weather.csv')
    const response = await fetch('/datasets', { method: 'POST', body: form })
    expect(response.status).toBe(201)
    const dataset = await response.json() as DatasetRecord
    expect(dataset).toMatchObject({ rows: 1461, bytes: seattle.byteLength, delimiter: ',', name: 'seattle-weather.csv' })
    expect(dataset.columns.map(c => c.type)).toEqual(['date', 'number', 'number', 'number', 'number', 'categorical'])
    expect(readFileSync(join(dataDir, 'datasets', `${dataset.dataset_id}.csv`))).toEqual(seattle)

    const before = readdirSync(join(dataDir, 'datasets')).sort()
    const big = new FormData()
    big.append('file', new Blob([seattle, seattle, seattle], { type: 'text/csv' }), 'big.csv')
    expect((await fetch('/datasets', { method: 'POST', body: big })).status).toBe(413)
    // Sent chunked (no declared length): refused while streaming.
    const encodedForm = new Response(big)
    const contentType = encodedForm.headers.get('content-type')!
    const encoded = new Uint8Array(await encodedForm.arrayBuffer())
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i < encoded.length; i += 16_384) controller.enqueue(encoded.subarray(i, i + 16_384))
        controller.close()
      },
    })
    expect((await fetch('/datasets', { method: 'POST', headers: { 'content-type': contentType }, body: chunked, duplex: 'half' } as RequestInit)).status).toBe(413)
    expect(readdirSync(join(dataDir, 'datasets')).sort()).toEqual(before)

    const noFile = new FormData()
    noFile.append('note', 'no file here')
    const refused = await fetch('/datasets', { method: 'POST', body: noFile })
    expect(refused.status).toBe(400)
    expect((await refused.json()).issues[0].message).toMatch(/no file/)
    const twoFiles = new FormData()
    twoFiles.append('a', new Blob(['x,y\n1,2\n']), 'a.csv')
    twoFiles.append('b', new Blob(['x,y\n1,2\n']), 'b.csv')
    expect((await fetch('/datasets', { method: 'POST', body: twoFiles })).status).toBe(400)
    expect(readdirSync(join(dataDir, 'datasets')).sort()).toEqual(before)
  })

  it('answers 400 with the reason for unusable files, 415 for other content types, 400/404 for bad ids', async () => {
    for (const [body, reason] of [['', /empty/], ['a,b\n1,2\n3\n', /cannot be read/], [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]), /binary/], ['a,a\n1,2\n', /repeats/]] as const) {
      const response = await upload(body)
      expect(response.status, String(reason)).toBe(400)
      expect((await response.json()).issues[0].message).toMatch(reason)
    }
    expect((await upload('{"a":1}', { 'content-type': 'application/json' })).status).toBe(415)
    expect((await fetch('/datasets/nope')).status).toBe(400)
    expect((await fetch('/datasets/0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d')).status).toBe(404)
    expect((await fetch('/datasets/0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d', { method: 'DELETE' })).status).toBe(404)
  })
})
