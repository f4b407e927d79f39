import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { $fetch, fetch } from '@nuxt/test-utils/e2e'
import type { Job, Template, TemplateSummary } from '#shared/schema'
import { tempDataDir } from '../support/data-dir'
import { setupBuiltServer } from '../support/e2e'
import { postJson, submit, waitForJob } from '../support/api'

const dataDir = tempDataDir()
await setupBuiltServer({ NUXT_DATA_DIR: dataDir })

const custom = {
  name: 'sensors',
  title: 'Sensors',
  description: 'Readings of a few sensors',
  schema: { columns: [{ name: 'sensor', kind: 'pattern', pattern: 'S-###' }, { name: 'value', kind: 'float', min: 0, max: 10 }] },
}

describe('custom templates: save, list, use, delete', () => {
  it('saves a template into the data folder, lists it beside the shipped ones and generates from it', async () => {
    const created = await postJson('/templates', custom)
    expect(created.status).toBe(201)
    expect(created.headers.get('location')).toBe('/templates/sensors')
    expect(existsSync(join(dataDir, 'templates', 'sensors.json'))).toBe(true)

    const { templates } = await $fetch<{ templates: TemplateSummary[] }>('/templates')
    expect(templates.find(t => t.name === 'customers')).toMatchObject({ custom: false })
    expect(templates.find(t => t.name === 'sensors')).toEqual({ name: 'sensors', title: 'Sensors', description: 'Readings of a few sensors', custom: true, columns: [{ name: 'sensor', kind: 'pattern' }, { name: 'value', kind: 'float' }] })
    const one = await $fetch<Template & { custom: boolean }>('/templates/sensors')
    expect(one.custom).toBe(true)
    expect(one.schema.columns[1]).toMatchObject({ name: 'value', kind: 'float', decimals: 2 })

    const job = await waitForJob(await submit({ template: 'sensors', rows: 50, seed: 1 }))
    expect(job).toMatchObject({ status: 'done', template: 'sensors' })
    expect((await (await fetch(`/download/${job.job_id}`)).text()).split('\n')[0]).toBe('sensor,value')

    const replaced = await postJson('/templates', { ...custom, title: 'Sensors v2' })
    expect(replaced.status).toBe(200)
    expect((await $fetch<Template>('/templates/sensors')).title).toBe('Sensors v2')
  })

  it('refuses invalid templates and shipped names, and deletes only custom ones', async () => {
    const invalid = await postJson('/templates', { ...custom, name: 'bad', schema: { columns: [{ name: 'x', kind: 'integer', min: 5, max: 1 }] } })
    expect(invalid.status).toBe(400)
    expect((await invalid.json()).issues).toContainEqual({ path: 'schema.columns.0.min', message: 'min must not exceed max' })
    const shipped = await postJson('/templates', { ...custom, name: 'customers' })
    expect(shipped.status).toBe(409)
    expect((await $fetch<Template>('/templates/customers')).title).not.toBe('Sensors')

    expect((await fetch('/templates/customers', { method: 'DELETE' })).status).toBe(403)
    expect((await fetch('/templates/nothing', { method: 'DELETE' })).status).toBe(404)
    await postJson('/templates', { ...custom, name: 'gone' })
    expect((await fetch('/templates/gone', { method: 'DELETE' })).status).toBe(204)
    expect((await fetch('/templates/gone')).status).toBe(404)
    expect(existsSync(join(dataDir, 'templates', 'gone.json'))).toBe(false)
    expect((await postJson('/generate', { template: 'gone' })).status).toBe(400)
  })
})

describe('GET /jobs/:id/events', () => {
  it('streams the job as server-sent events until it finishes', async () => {
    const id = await submit({ template: 'customers', rows: 400_000, seed: 2 })
    const response = await fetch(`/jobs/${id}/events`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const text = await response.text()
    const ended = Date.now()
    const jobs = text.split('\n').filter(line => line.startsWith('data: ')).map(line => JSON.parse(line.slice(6)) as Job)
    expect(jobs.length).toBeGreaterThan(1)
    expect(jobs.every(job => job.job_id === id)).toBe(true)
    expect(jobs.at(-1)).toMatchObject({ status: 'done', progress: 1, rows_written: 400_000 })
    // Progress only moves forward.
    const written = jobs.map(job => job.rows_written)
    expect(written).toEqual([...written].sort((a, b) => a - b))
    const done = await waitForJob(id)
    expect(done).toMatchObject({ status: 'done' })
    // Each write of the record is pushed as it happens: the last message does not wait for the
    // stream's periodic read (every 5 s).
    expect(ended - Date.parse(done.finished_at!)).toBeLessThan(2000)
    expect((await fetch('/jobs/0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d/events')).status).toBe(404)
  })
})
