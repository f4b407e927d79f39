import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createPage, fetch, url } from '@nuxt/test-utils/e2e'
import type { Page } from 'playwright-core'
import { tempDataDir } from '../support/data-dir'
import { setupBuiltServer } from '../support/e2e'
import { vegaCsv } from '../support/vega'

const screenshots = fileURLToPath(new URL('../.screenshots/', import.meta.url))
mkdirSync(screenshots, { recursive: true })

await setupBuiltServer({ NUXT_DATA_DIR: tempDataDir() }, { browser: true })

/** A page that records console errors and failed requests, so a test can assert there were none. */
async function watchedPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await createPage()
  const problems: string[] = []
  page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`) })
  page.on('pageerror', error => problems.push(`page error: ${error.message}`))
  page.on('requestfailed', request => problems.push(`request failed: ${request.url()}`))
  page.on('response', (response) => { if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`) })
  return { page, problems }
}

describe('browser: the seed flow in headless Chromium', () => {
  it('creates a job from /app/new, sees it done with a preview, metrics and a download link', async () => {
    const { page, problems } = await watchedPage()
    await page.goto(url('/'), { waitUntil: 'networkidle' })
    expect(new URL(page.url()).pathname).toBe('/app')
    await page.getByRole('link', { name: 'New job' }).first().click()
    await page.waitForURL('**/app/new')
    await page.getByLabel('Template').selectOption('customers')
    await page.getByLabel('Rows').fill('5000')
    await page.getByLabel('Format').selectOption('csv')
    await page.screenshot({ path: `${screenshots}new-job.png`, fullPage: true })
    await page.getByRole('button', { name: 'Generate' }).click()

    await page.waitForURL(/\/app\/jobs\/[0-9a-f-]{36}$/)
    const id = page.url().split('/').pop()!
    await page.locator('[data-status="done"]').waitFor({ timeout: 60_000 })
    const preview = page.locator('[data-test="preview"]')
    await preview.waitFor()
    expect(await preview.locator('tbody tr').count()).toBe(20)
    expect(await preview.locator('thead th').allTextContents()).toContain('email')
    await page.locator('[data-test="metrics"]').waitFor()
    expect(await page.locator('[data-column="age"] .bars > div').count()).toBe(20)
    const download = page.locator('[data-test="download"]')
    expect(await download.getAttribute('href')).toBe(`/download/${id}`)
    await page.screenshot({ path: `${screenshots}job-done.png`, fullPage: true })

    const file = await fetch(`/download/${id}`)
    expect(file.status).toBe(200)
    expect((await file.text()).split('\n')[0]).toBe('id,first_name,last_name,email,age,balance,segment,signup_at,city,active')

    await page.getByRole('link', { name: '← All jobs' }).click()
    await page.waitForURL('**/app')
    await page.locator(`[data-job="${id}"] [data-status="done"]`).waitFor()
    await page.screenshot({ path: `${screenshots}jobs.png`, fullPage: true })
    expect(problems).toEqual([])
  })

  it('renders a finished job page on the server, preview included', async () => {
    const { page, problems } = await watchedPage()
    const [job] = (await (await fetch('/jobs')).json()).jobs as { job_id: string }[]
    const html = await (await fetch(`/app/jobs/${job!.job_id}`)).text()
    expect(html).toContain('data-test="preview"')
    expect(html).toContain('data-test="metrics"')
    await page.goto(url(`/app/jobs/${job!.job_id}`), { waitUntil: 'networkidle' })
    expect(await page.locator('[data-test="preview"] tbody tr').count()).toBe(20)
    expect(problems).toEqual([])
  })

  it('shows a running job\'s progress live on /app, then its end, without a reload', async () => {
    const { page, problems } = await watchedPage()
    const response = await fetch('/generate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ template: 'customers', rows: 1_500_000, seed: 3 }) })
    const { job_id: id } = await response.json() as { job_id: string }
    await page.goto(url('/app'), { waitUntil: 'domcontentloaded' })
    const row = page.locator(`[data-job="${id}"]`)
    await row.locator('[data-status="running"]').waitFor({ timeout: 30_000 })
    const progress = row.getByRole('progressbar')
    const seen = new Set<string>()
    const deadline = Date.now() + 90_000
    while (!(await row.locator('[data-status="done"]').count()) && Date.now() < deadline) {
      seen.add((await progress.getAttribute('aria-valuenow'))!)
      await page.waitForTimeout(200)
    }
    expect(await row.locator('[data-status="done"]').count()).toBe(1)
    expect(await progress.getAttribute('aria-valuenow')).toBe('100')
    // Several intermediate values were shown while it ran.
    expect([...seen].filter(v => v !== '0' && v !== '100').length).toBeGreaterThan(1)
    await page.screenshot({ path: `${screenshots}jobs-live.png`, fullPage: true })
    expect(problems).toEqual([])
  })

  it('shows the quality against the source on the page of a job made from a dataset', async () => {
    const { page, problems } = await watchedPage()
    const penguins = vegaCsv('penguins')
    const dataset = await (await fetch('/datasets', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: penguins.text })).json() as { dataset_id: string }
    const response = await fetch('/generate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source: { dataset: dataset.dataset_id }, rows: 3000, seed: 4 }) })
    const { job_id: id } = await response.json() as { job_id: string }
    await page.goto(url(`/app/jobs/${id}`), { waitUntil: 'domcontentloaded' })
    await page.locator('[data-test="quality"]').waitFor({ timeout: 60_000 })
    expect(await page.locator('[data-test="quality"] strong').first().innerText()).toMatch(/^0\.\d+$/)
    expect(await page.locator('[data-test="preview"] thead th').allTextContents()).toContain('Body_Mass_g')
    await page.screenshot({ path: `${screenshots}dataset-job.png`, fullPage: true })
    expect(problems).toEqual([])
  })

  it('renders the API reference from /openapi.json: every operation, its responses and the schemas', async () => {
    const { page, problems } = await watchedPage()
    await page.goto(url('/app'), { waitUntil: 'networkidle' })
    await page.getByRole('link', { name: 'API' }).click()
    await page.waitForURL('**/app/api')
    const doc = await (await fetch('/openapi.json')).json() as { paths: Record<string, Record<string, { operationId: string }>>; components: { schemas: object } }
    const ids = Object.values(doc.paths).flatMap(item => Object.values(item).map(op => op.operationId)).sort()
    const shown = await page.locator('[data-operation]').evaluateAll(nodes => nodes.map(n => n.getAttribute('data-operation')))
    expect(shown.sort()).toEqual(ids)
    const generate = page.locator('[data-operation="createJob"]')
    expect(await generate.locator('code').first().textContent()).toBe('/generate')
    expect(await generate.locator('[data-status-code]').evaluateAll(rows => rows.map(r => r.getAttribute('data-status-code')))).toEqual(expect.arrayContaining(['202', '400', '413', '415']))
    await generate.getByText('Example: From a template').click()
    expect(await generate.locator('pre').first().textContent()).toContain('"template": "customers"')
    expect(await page.locator('details[id^="schema-"]').count()).toBe(Object.keys(doc.components.schemas).length)
    expect(await page.locator('[data-test="openapi-link"]').getAttribute('href')).toBe('/openapi.json')
    await page.screenshot({ path: `${screenshots}api.png`, fullPage: false })
    expect(problems).toEqual([])
  })

  it('serves a favicon', async () => {
    const response = await fetch('/favicon.svg')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('image/svg+xml')
  })
})
