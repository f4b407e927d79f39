import { createHash } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { $fetch, fetch } from '@nuxt/test-utils/e2e'
import type { Job, JobList, Preview, Template, TemplateSummary } from '#shared/schema'
import type { SchemaJobMetrics } from '#shared/schema'
import { tempDataDir } from '../support/data-dir'
import { setupBuiltServer } from '../support/e2e'
import { getJob, postJson, submit, waitForJob } from '../support/api'

const dataDir = tempDataDir()
await setupBuiltServer({ NUXT_DATA_DIR: dataDir, NUXT_MAX_ROWS: '5000000', NUXT_CONCURRENCY: '2' })

const sha256 = (bytes: ArrayBuffer) => createHash('sha256').update(Buffer.from(bytes)).digest('hex')

describe('the seed flow: template → job → preview → metrics → download', () => {
  it('serves health and the templates', async () => {
    expect(await $fetch<{ status: string }>('/healthz')).toEqual({ status: 'ok' })
    const { templates } = await $fetch<{ templates: TemplateSummary[] }>('/templates')
    expect(templates.map(t => t.name)).toEqual(expect.arrayContaining(['customers', 'orders', 'transactions']))
    const customers = await $fetch<Template>('/templates/customers')
    expect(customers.schema.columns.map(c => c.name)).toContain('email')
  })

  it('runs a customers job end to end', async () => {
    const id = await submit({ template: 'customers', rows: 25_000, format: 'csv', seed: 11 })
    const job = await waitForJob(id)
    expect(job).toMatchObject({ job_id: id, status: 'done', progress: 1, rows: 25_000, rows_written: 25_000, format: 'csv', seed: 11, template: 'customers' })
    expect(Date.parse(job.finished_at!)).toBeGreaterThanOrEqual(Date.parse(job.started_at!))

    const preview = await $fetch<Preview>(`/preview/${id}`, { query: { n: 5 } })
    expect(preview.columns).toEqual(['id', 'first_name', 'last_name', 'email', 'age', 'balance', 'segment', 'signup_at', 'city', 'active'])
    expect(preview.rows).toHaveLength(5)
    expect(preview.rows.map(r => r[0])).toEqual([1, 2, 3, 4, 5])
    expect((await $fetch<Preview>(`/preview/${id}`)).rows).toHaveLength(20)

    const metrics = await $fetch<SchemaJobMetrics>(`/metrics/${id}`)
    expect(metrics).toMatchObject({ kind: 'schema', rows: 25_000, sample_size: 10_000 })
    expect(Object.keys(metrics.utility.columns)).toEqual(preview.columns)
    expect(metrics.utility.columns.age!.ks!.p_value).toBeGreaterThan(0.001)
    expect(metrics.categoricals.segment!.declared.consumer).toBeCloseTo(0.62, 10)
    expect(metrics.privacy_lite.duplicate_rows).toBe(0)

    const download = await fetch(`/download/${id}`)
    expect(download.status).toBe(200)
    expect(download.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="customers-${id.slice(0, 8)}.csv"`)
    const body = await download.arrayBuffer()
    expect(Number(download.headers.get('content-length'))).toBe(body.byteLength)
    expect(body.byteLength).toBe(job.bytes)
    expect(download.headers.get('etag')).toBe(`"${sha256(body)}"`)
    // The job records the finished file's size and checksum; nothing expires without NUXT_ARTIFACT_TTL.
    expect(job.sha256).toBe(sha256(body))
    expect(job).toMatchObject({ expires_at: null, expired_at: null })
    const records: string[][] = parse(Buffer.from(body).toString('utf8'))
    expect(records).toHaveLength(25_001)
    expect(records[1]!.slice(0, 4).map(String)).toEqual(preview.rows[0]!.slice(0, 4).map(String))

    const notModified = await fetch(`/download/${id}`, { headers: { 'if-none-match': download.headers.get('etag')! } })
    expect(notModified.status).toBe(304)
    // No file is left half-written or under a temporary name.
    expect(readdirSync(join(dataDir, 'artifacts')).filter(f => f.endsWith('.tmp'))).toEqual([])
  })

  it('gives the same bytes for the same request and seed, and for the template schema sent inline', async () => {
    const template = await $fetch<Template>('/templates/orders')
    const ids = [
      await submit({ template: 'orders', rows: 3000, format: 'json', seed: 99 }),
      await submit({ template: 'orders', rows: 3000, format: 'json', seed: 99 }),
      await submit({ schema: template.schema, rows: 3000, format: 'json', seed: 99 }),
      await submit({ template: 'orders', rows: 3000, format: 'json', seed: 100 }),
    ]
    const jobs = await Promise.all(ids.map(id => waitForJob(id)))
    const etags = await Promise.all(jobs.map(async job => (await fetch(`/download/${job.job_id}`)).headers.get('etag')))
    expect(etags[1]).toBe(etags[0])
    expect(etags[2]).toBe(etags[0])
    expect(etags[3]).not.toBe(etags[0])
    const rows = await $fetch<unknown[]>(`/download/${ids[0]}`, { responseType: 'json' })
    expect(rows).toHaveLength(3000)
  })

  it('serves the schema a job ran with, which reproduces its bytes', async () => {
    const template = await $fetch<Template>('/templates/customers')
    const first = await waitForJob(await submit({ template: 'customers', rows: 2000, seed: 5 }))
    const schema = await $fetch<Template['schema']>(`/jobs/${first.job_id}/schema`)
    expect(schema).toEqual(template.schema)
    const again = await waitForJob(await submit({ schema, rows: first.rows, format: first.format, seed: first.seed }))
    expect(again.sha256).toBe(first.sha256)
    expect((await fetch(`/jobs/${crypto.randomUUID()}/schema`)).status).toBe(404)
  })

  it('serves NDJSON with its own type and name', async () => {
    const id = await submit({ template: 'transactions', rows: 500, format: 'ndjson', seed: 1 })
    await waitForJob(id)
    const response = await fetch(`/download/${id}`)
    expect(response.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8')
    expect(response.headers.get('content-disposition')).toContain('.ndjson"')
    const lines = (await response.text()).trimEnd().split('\n')
    expect(lines).toHaveLength(500)
    expect(Object.keys(JSON.parse(lines[0]!))).toContain('transaction_id')
  })

  it('publishes the schema language as JSON Schema', async () => {
    const document = await $fetch<{ $schema: string; type: string; properties: { columns: { type: string } } }>('/schema.json')
    expect(document.$schema).toContain('json-schema.org')
    expect(document.type).toBe('object')
    expect(document.properties.columns.type).toBe('array')
    expect(JSON.stringify(document)).toContain('"conditional"')
  })

  it('serves gzip, Parquet and SQL files under their own names and types', async () => {
    const parquet = await submit({ template: 'orders', rows: 1000, format: 'parquet', gzip: true, seed: 4 })
    const sql = await submit({ template: 'orders', rows: 1000, format: 'sql', seed: 4 })
    await Promise.all([waitForJob(parquet), waitForJob(sql)])
    const zipped = await fetch(`/download/${parquet}`)
    expect(zipped.headers.get('content-type')).toBe('application/gzip')
    expect(zipped.headers.get('content-disposition')).toBe(`attachment; filename="orders-${parquet.slice(0, 8)}.parquet.gz"`)
    const file = gunzipSync(Buffer.from(await zipped.arrayBuffer()))
    expect(file.subarray(0, 4).toString()).toBe('PAR1')
    expect(file.subarray(-4).toString()).toBe('PAR1')
    const statements = await fetch(`/download/${sql}`)
    expect(statements.headers.get('content-type')).toBe('application/sql; charset=utf-8')
    expect(await statements.text()).toMatch(/^INSERT INTO "orders" \("order_id", /)
  })

  it('runs an inline schema with derived, conditional and correlated columns, and reports the correlation', async () => {
    const id = await submit({
      rows: 20_000, seed: 12, format: 'csv',
      schema: {
        columns: [
          { name: 'level', kind: 'categorical', categories: [{ value: 'junior', weight: 3 }, { value: 'senior', weight: 1 }] },
          { name: 'salary', kind: 'conditional', on: 'level', cases: [{ when: 'junior', then: { kind: 'integer', min: 40000, max: 60000 } }], default: { kind: 'integer', min: 90000, max: 150000 } },
          { name: 'temperature', kind: 'float', distribution: { type: 'normal', mean: 21, sd: 3 } },
          { name: 'humidity', kind: 'float', min: 0, max: 100, distribution: { type: 'normal', mean: 50, sd: 12 } },
          { name: 'comfort', kind: 'derived', expression: 'temperature > 24 and humidity > 60 ? "muggy" : "ok"' },
        ],
        correlations: [{ columns: ['temperature', 'humidity'], matrix: [[1, -0.6], [-0.6, 1]] }],
      },
    })
    expect((await waitForJob(id)).status).toBe('done')
    const metrics = await $fetch<SchemaJobMetrics>(`/metrics/${id}`)
    const [group] = metrics.correlations
    expect(group!.columns).toEqual(['temperature', 'humidity'])
    // 10,000 sampled rows: the standard error of r is about (1 - 0.36) / 100.
    expect(Math.abs(group!.achieved[1]![0]! + 0.6)).toBeLessThan(5 * 0.64 / Math.sqrt(group!.sample_size))
    const preview = await $fetch<Preview>(`/preview/${id}`)
    for (const row of preview.rows) expect(row[1]).toBeGreaterThanOrEqual(row[0] === 'junior' ? 40000 : 90000)
  })

  it('records a server-chosen seed when none is given, so the job can be reproduced', async () => {
    const id = await submit({ template: 'customers', rows: 10 })
    const job = await waitForJob(id)
    expect(Number.isSafeInteger(job.seed)).toBe(true)
    const again = await waitForJob(await submit({ template: 'customers', rows: 10, seed: job.seed }))
    expect((await fetch(`/download/${again.job_id}`)).headers.get('etag')).toBe((await fetch(`/download/${id}`)).headers.get('etag'))
  })
})

describe('jobs list, cancel and delete', () => {
  it('lists jobs newest first, a page at a time', async () => {
    const all = await $fetch<JobList>('/jobs', { query: { limit: 200 } })
    expect(all.jobs.length).toBeGreaterThanOrEqual(4)
    const created = all.jobs.map(j => j.created_at)
    expect(created).toEqual([...created].sort().reverse())
    const seen: string[] = []
    let cursor: string | null | undefined
    do {
      const page = await $fetch<JobList>('/jobs', { query: { limit: 2, ...(cursor ? { cursor } : {}) } })
      expect(page.jobs.length).toBeLessThanOrEqual(2)
      seen.push(...page.jobs.map(j => j.job_id))
      cursor = page.next_cursor
    } while (cursor)
    expect(seen).toEqual(all.jobs.map(j => j.job_id))
  })

  it('answers 409 while a job runs, cancels it, then deletes it and its files', async () => {
    const id = await submit({ template: 'customers', rows: 3_000_000, seed: 5 })
    for (const path of [`/preview/${id}`, `/metrics/${id}`, `/download/${id}`]) {
      const response = await fetch(path)
      expect(response.status, path).toBe(409)
      expect((await response.json()).message).toMatch(/job is (queued|running), not done/)
    }
    // Wait until it writes, so the cancel interrupts real work.
    const deadline = Date.now() + 60_000
    while ((await getJob(id)).rows_written === 0 && Date.now() < deadline) await new Promise(r => setTimeout(r, 50))
    const canceled = await fetch(`/jobs/${id}`, { method: 'DELETE' })
    expect(canceled.status).toBe(200)
    const job = await canceled.json() as Job
    expect(job.status).toBe('canceled')
    expect(job.rows_written).toBeLessThan(3_000_000)
    expect((await getJob(id)).status).toBe('canceled')
    expect((await fetch(`/download/${id}`)).status).toBe(409)
    expect(readdirSync(join(dataDir, 'artifacts')).filter(f => f.startsWith(id))).toEqual([])

    const deleted = await fetch(`/jobs/${id}`, { method: 'DELETE' })
    expect(deleted.status).toBe(204)
    expect((await fetch(`/jobs/${id}`)).status).toBe(404)
  })

  it('deletes a finished job with its file and sidecars', async () => {
    const id = await submit({ template: 'orders', rows: 100, seed: 3 })
    await waitForJob(id)
    expect(existsSync(join(dataDir, 'artifacts', `${id}.csv`))).toBe(true)
    expect((await fetch(`/jobs/${id}`, { method: 'DELETE' })).status).toBe(204)
    expect(readdirSync(join(dataDir, 'artifacts')).filter(f => f.startsWith(id))).toEqual([])
    for (const path of [`/jobs/${id}`, `/preview/${id}`, `/metrics/${id}`, `/download/${id}`]) expect((await fetch(path)).status, path).toBe(404)
    expect((await fetch(`/jobs/${id}`, { method: 'DELETE' })).status).toBe(404)
  })

  it('cancels a job that is still queued', async () => {
    // Two long jobs fill both slots (NUXT_CONCURRENCY=2), so the third waits in the queue.
    const busy = [await submit({ template: 'customers', rows: 3_000_000, seed: 1 }), await submit({ template: 'customers', rows: 3_000_000, seed: 2 })]
    const queued = await submit({ template: 'orders', rows: 10, seed: 1 })
    expect((await getJob(queued)).status).toBe('queued')
    const response = await fetch(`/jobs/${queued}`, { method: 'DELETE' })
    expect(response.status).toBe(200)
    expect(((await response.json()) as Job).status).toBe('canceled')
    for (const id of busy) expect((await fetch(`/jobs/${id}`, { method: 'DELETE' })).status).toBe(200)
    expect((await getJob(queued)).status).toBe('canceled')
  })
})
