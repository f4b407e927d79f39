import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createPage, fetch, url } from '@nuxt/test-utils/e2e'
import type { Page } from 'playwright-core'
import { tempDataDir } from '../support/data-dir'
import { generateFromWizard, setupBuiltServer } from '../support/e2e'
import { vegaCsv } from '../support/vega'

const screenshots = fileURLToPath(new URL('../.screenshots/', import.meta.url))
mkdirSync(screenshots, { recursive: true })

await setupBuiltServer({ NUXT_DATA_DIR: tempDataDir() }, { browser: true })

const WIDTH = 1400

/** A page that records console errors and failed requests, so a test can assert there were none. */
async function watchedPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await createPage()
  await page.setViewportSize({ width: WIDTH, height: 900 })
  const problems: string[] = []
  page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`) })
  page.on('pageerror', error => problems.push(`page error: ${error.message}`))
  page.on('requestfailed', request => problems.push(`request failed: ${request.url()}`))
  page.on('response', (response) => { if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`) })
  return { page, problems }
}

/** The whole page: the dashboard panel scrolls inside the window, so the window grows to fit it first. */
async function screenshot(page: Page, name: string) {
  const height = await page.evaluate(() => Math.max(900, ...[...document.querySelectorAll('[data-slot="body"]')].map(body => body.scrollHeight + 70)))
  await page.setViewportSize({ width: WIDTH, height: Math.min(height, 8000) })
  await page.waitForTimeout(200)
  await page.screenshot({ path: `${screenshots}${name}.png` })
  await page.setViewportSize({ width: WIDTH, height: 900 })
}

/** The jobs table's row of a job. */
const jobRow = (page: Page, id: string) => page.locator('tr', { has: page.locator(`a[data-job="${id}"]`) })

const post = (path: string, body: unknown) => fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

describe('browser: the flows of the UI in headless Chromium', () => {
  it('template → job → preview → charts drawn → download', async () => {
    const { page, problems } = await watchedPage()
    await page.goto(url('/'), { waitUntil: 'networkidle' })
    expect(new URL(page.url()).pathname).toBe('/app')
    await screenshot(page, 'jobs-empty')
    await page.getByRole('link', { name: 'New job' }).first().click()
    await page.waitForURL('**/app/new')
    await page.getByRole('radio', { name: 'Use template Customers' }).click()
    await screenshot(page, 'new-templates')
    await page.getByRole('button', { name: 'Next' }).click()
    await page.getByLabel('Rows', { exact: true }).fill('5000')
    await page.getByRole('radio', { name: /CSV/ }).check()
    await page.getByRole('button', { name: 'Next' }).click()
    const curl = await page.locator('[data-test="curl"]').innerText()
    expect(JSON.parse(curl.slice(curl.indexOf("-d '") + 4, curl.lastIndexOf("'")))).toEqual({ template: 'customers', rows: 5000, format: 'csv', seed: 42 })
    await screenshot(page, 'new-review')
    await page.getByRole('button', { name: 'Generate' }).click()

    await page.waitForURL(/\/app\/jobs\/[0-9a-f-]{36}$/)
    const id = page.url().split('/').pop()!
    await page.locator('h1 [data-status="done"]').waitFor({ timeout: 60_000 })
    const preview = page.locator('[data-test="preview"]')
    await preview.waitFor()
    expect(await preview.locator('tbody tr').count()).toBe(20)
    await page.locator('[data-test="metrics"]').waitFor()
    // Column kinds come from the quality report.
    expect(await preview.locator('thead th').first().innerText()).toBe('id\nsequence')
    // Charts drawn: 20 histogram bars for age with the declared law's line, bars per category.
    expect(await page.locator('[data-column="age"] [data-bar]').count()).toBe(20)
    expect(await page.locator('[data-column="age"] path').count()).toBe(1)
    expect(await page.locator('[data-column="segment"] [data-bar]').count()).toBe(4)
    expect(await page.locator('[data-test="correlation"] [data-chart="heatmap"]').count()).toBe(2)
    const download = page.locator('a[data-test="download"]')
    expect(await download.getAttribute('href')).toBe(`/download/${id}`)
    await screenshot(page, 'job-done')

    const file = await fetch(`/download/${id}`)
    expect(file.status).toBe(200)
    expect((await file.text()).split('\n')[0]).toBe('id,first_name,last_name,email,age,balance,segment,signup_at,city,active')

    await page.getByRole('link', { name: 'All jobs' }).click()
    await page.waitForURL('**/app')
    await jobRow(page, id).locator('[data-status="done"]').waitFor()
    await screenshot(page, 'jobs')
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

  it('the schema editor shows a validation error on the right field, then generates', async () => {
    const { page, problems } = await watchedPage()
    await page.goto(url('/app/new'), { waitUntil: 'networkidle' })
    await page.getByRole('radio', { name: /Schema editor/ }).click()
    const editor = page.locator('[data-test="schema-editor"]')
    await editor.waitFor()
    // The starter schema's third column is age, an integer from 18 to 90.
    const min = editor.locator('input[data-field="columns.2.min"]')
    const max = editor.locator('input[data-field="columns.2.max"]')
    await min.fill('100')
    expect(await min.getAttribute('aria-invalid')).toBe('true')
    expect(await max.getAttribute('aria-invalid')).toBe('false')
    const describedBy = (await min.getAttribute('aria-describedby'))!.split(' ').find(id => id.endsWith('-error'))!
    expect(await page.locator(`[id="${describedBy}"]`).innerText()).toBe('min must not exceed max')
    expect(await page.locator('[data-test="issue-count"]').innerText()).toBe('1 problem')
    expect(await page.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true)
    await screenshot(page, 'schema-editor-error')

    // The JSON view checks the same schema and names the field.
    await editor.getByRole('tab', { name: 'JSON' }).click()
    expect(await page.locator('[data-test="json-issues"] code').allInnerTexts()).toEqual(['columns.2.min'])
    await screenshot(page, 'schema-editor-json')
    await editor.getByRole('tab', { name: 'Columns' }).click()
    await editor.locator('input[data-field="columns.2.min"]').fill('20')
    expect(await editor.locator('input[data-field="columns.2.min"]').getAttribute('aria-invalid')).toBe('false')

    // A new column of another kind, moved up to first place.
    await editor.getByRole('button', { name: 'Add column' }).click()
    await editor.locator('input[data-field="columns.3.name"]').fill('code')
    await editor.locator('[data-column-editor="3"]').getByRole('button', { name: 'Move code up' }).click()
    await editor.locator('[data-column-editor="2"]').getByRole('button', { name: 'Move code up' }).click()
    await screenshot(page, 'schema-editor')

    await generateFromWizard(page, 2000)
    await page.locator('h1 [data-status="done"]').waitFor({ timeout: 60_000 })
    await page.locator('[data-test="metrics"]').waitFor()
    expect(await page.locator('[data-test="preview"] thead th').allInnerTexts()).toEqual(['id\nsequence', 'code\ninteger', 'name\nfaker', 'age\ninteger'])
    // The form's values reached the job: ages from 20 to 90.
    const ages = (await page.locator('[data-test="preview"] tbody tr td:nth-child(4)').allInnerTexts()).map(Number)
    expect(Math.min(...ages)).toBeGreaterThanOrEqual(20)
    expect(problems).toEqual([])
  })

  it('CSV upload → adjusted type → fitted job → quality report with correlation heat maps', async () => {
    const { page, problems } = await watchedPage()
    const penguins = vegaCsv('penguins')
    await page.goto(url('/app/new'), { waitUntil: 'networkidle' })
    await page.getByRole('radio', { name: /Upload a CSV/ }).click()
    await page.locator('input[type="file"][data-test="upload"]').setInputFiles(penguins.path)
    const types = page.locator('[data-test="column-types"]')
    await types.waitFor({ timeout: 30_000 })
    expect(await types.locator('tbody tr').count()).toBe(7)

    // Changing a type marks it and puts it in the request (source.columns), and the job is fitted with it.
    await page.getByLabel('Type of Island').click()
    await page.getByRole('option', { name: 'text', exact: true }).click()
    await types.getByText('was categorical').waitFor()
    await screenshot(page, 'upload-types')
    await page.getByRole('button', { name: 'Next' }).click()
    await page.getByLabel('Rows', { exact: true }).fill('3000')
    await page.getByRole('button', { name: 'Next' }).click()
    const request = (curl: string) => JSON.parse(curl.slice(curl.indexOf("-d '") + 4, curl.lastIndexOf("'"))) as { source: { dataset: string; columns?: Record<string, string> } }
    expect(request(await page.locator('[data-test="curl"]').innerText()).source.columns).toEqual({ Island: 'text' })
    await page.getByRole('button', { name: 'Generate' }).click()

    await page.waitForURL(/\/app\/jobs\/[0-9a-f-]{36}$/)
    await page.locator('[data-test="quality"]').waitFor({ timeout: 60_000 })
    expect(await page.locator('[data-test="quality"] [data-test="score"]').first().innerText()).toMatch(/^0\.\d+$/)
    await page.locator('[data-test="metrics"]').waitFor()
    const kinds = Object.fromEntries((await page.locator('[data-test="preview"] thead th').allInnerTexts()).map(h => h.split('\n') as [string, string]))
    // Penguins are fitted per species: the measurements are conditional on it.
    expect(kinds.Body_Mass_g).toBe('conditional')
    // Requested and achieved correlations for each species' own correlation group.
    expect(await page.locator('[data-test="correlation"] [data-chart="heatmap"]').count()).toBe(2 * 3)
    expect((await page.locator('[data-test="correlation-condition"]').allInnerTexts()).sort()).toEqual(['Adelie', 'Chinstrap', 'Gentoo'].map(s => `Where Species is ${s}`))
    // Island, overridden to free text, is re-synthesised and left out of the pair trends: 6 columns.
    expect(await page.locator('[data-test="pairs"] [data-chart="heatmap"] [data-cell]').count()).toBe(2 * 6 * 6)
    expect(kinds.Island).toBe('faker')
    expect(await page.locator('[data-column="Species"] [data-bar]').count()).toBe(3)
    await screenshot(page, 'dataset-job')

    // The sample's own page: inferred types and charts from the fitted model.
    await page.getByRole('link', { name: /^dataset / }).click()
    await page.waitForURL(/\/app\/datasets\/[0-9a-f-]{36}$/)
    await page.locator('[data-column="Body Mass (g)"] [data-bar]').first().waitFor()
    expect(await page.locator('[data-column="Body Mass (g)"] [data-bar]').count()).toBe(20)
    await screenshot(page, 'dataset')

    // The fitted model opens in the schema editor as a schema (per-species cases and correlation groups
    // included), which validates and generates.
    await page.getByRole('link', { name: 'Edit the model as a schema' }).click()
    await page.waitForURL(/\/app\/new\?edit=1&model=/)
    await page.getByText('A copy of “Model of penguins.csv”').waitFor()
    await screenshot(page, 'model-editor')
    await generateFromWizard(page, 500)
    await page.locator('[data-status="done"]').first().waitFor({ timeout: 60_000 })
    expect(problems).toEqual([])
  })

  it('cancels a running job from its page, after confirming', async () => {
    const { page, problems } = await watchedPage()
    const { job_id: id } = await (await post('/generate', { template: 'customers', rows: 10_000_000, seed: 9 })).json() as { job_id: string }
    // Rendered on the server while it runs with rows written, so the speed shown must not depend on the
    // server's clock (a hydration mismatch is a console error).
    await expect.poll(async () => (await (await fetch(`/jobs/${id}`)).json() as { rows_written: number }).rows_written, { timeout: 30_000, interval: 100 }).toBeGreaterThan(0)
    await page.goto(url(`/app/jobs/${id}`), { waitUntil: 'domcontentloaded' })
    await page.locator('h1 [data-status="running"]').waitFor({ timeout: 30_000 })
    await page.locator('[data-test="speed"]').getByText('rows/s').waitFor()
    await page.getByRole('button', { name: 'Cancel job' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByText('Cancel this job?').waitFor()
    await screenshot(page, 'cancel-confirm')
    await dialog.getByRole('button', { name: 'Cancel job' }).click()
    await page.locator('h1 [data-status="canceled"]').waitFor({ timeout: 15_000 })
    expect((await (await fetch(`/jobs/${id}`)).json()).status).toBe('canceled')
    expect(problems).toEqual([])
  })

  it('shows a running job\'s progress live on /app, then its end, without a reload', async () => {
    const { page, problems } = await watchedPage()
    const { job_id: id } = await (await post('/generate', { template: 'customers', rows: 6_000_000, seed: 3 })).json() as { job_id: string }
    await page.goto(url('/app'), { waitUntil: 'domcontentloaded' })
    const row = jobRow(page, id)
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

    // Filtering by status, then deleting the job after confirming.
    await page.getByLabel('Filter by status').click()
    await page.getByRole('option', { name: /^Canceled/ }).click()
    expect(await jobRow(page, id).count()).toBe(0)
    await page.getByLabel('Filter by status').click()
    await page.getByRole('option', { name: /^All statuses/ }).click()
    await jobRow(page, id).getByRole('button', { name: `Delete job ${id.slice(0, 8)}` }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Delete job' }).click()
    await jobRow(page, id).waitFor({ state: 'detached' })
    expect((await fetch(`/jobs/${id}`)).status).toBe(404)
    await screenshot(page, 'jobs-live')
    expect(problems).toEqual([])
  })

  it('lists the templates and opens one in the editor', async () => {
    const { page, problems } = await watchedPage()
    await page.goto(url('/app/templates'), { waitUntil: 'networkidle' })
    await page.getByLabel('Search templates').fill('blood')
    expect(await page.locator('[data-template]').count()).toBe(1)
    await page.locator('[data-template="patients"]').getByRole('link', { name: 'Open in editor' }).click()
    await page.waitForURL('**/app/new?template=patients&edit=1')
    await page.locator('[data-test="schema-editor"]').waitFor()
    expect(await page.locator('[data-test="issue-count"]').count()).toBe(0)
    await screenshot(page, 'template-editor')
    expect(problems).toEqual([])
  })

  it('runs an inline-schema job sent from elsewhere again, from the schema the job ran with', async () => {
    const { page, problems } = await watchedPage()
    const schema = { columns: [{ name: 'n', kind: 'integer', min: 1, max: 9 }, { name: 'word', kind: 'categorical', categories: [{ value: 'yes' }, { value: 'no' }] }] }
    const { job_id: id } = await (await post('/generate', { schema, rows: 500, seed: 3 })).json() as { job_id: string }
    await page.goto(url(`/app/jobs/${id}`), { waitUntil: 'networkidle' })
    await page.locator('[data-status="done"]').first().waitFor({ timeout: 60_000 })
    const curl = page.locator('[data-test="curl"]')
    await expect.poll(() => curl.innerText()).toContain('"schema"')
    const text = await curl.innerText()
    const sent = JSON.parse(text.slice(text.indexOf("-d '") + 4, text.lastIndexOf("'"))) as { schema: { columns: { name: string }[] }; seed: number }
    expect(sent.schema.columns.map(c => c.name)).toEqual(['n', 'word'])
    expect(sent.seed).toBe(3)
    await page.getByRole('button', { name: 'Run again with another seed' }).click()
    await page.waitForURL(url => url.pathname.startsWith('/app/jobs/') && !url.pathname.endsWith(id))
    await page.locator('[data-status="done"]').first().waitFor({ timeout: 60_000 })
    expect(problems).toEqual([])
  })

  it('switches to dark mode and keeps it across pages', async () => {
    const { page, problems } = await watchedPage()
    await page.goto(url('/app'), { waitUntil: 'networkidle' })
    await page.getByRole('button', { name: 'Switch to dark mode' }).click()
    await expect.poll(() => page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(true)
    await page.goto(url('/app/new'), { waitUntil: 'networkidle' })
    expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(true)
    await screenshot(page, 'new-dark')
    await page.getByRole('button', { name: 'Switch to light mode' }).click()
    await expect.poll(() => page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(false)
    expect(problems).toEqual([])
  })

  it('renders the API reference from /openapi.json: every operation, its responses, examples and the schemas', async () => {
    const { page, problems } = await watchedPage()
    await page.goto(url('/app'), { waitUntil: 'networkidle' })
    await page.getByRole('link', { name: 'API docs' }).first().click()
    await page.waitForURL('**/app/api')
    const doc = await (await fetch('/openapi.json')).json() as { paths: Record<string, Record<string, { operationId: string }>>; components: { schemas: object } }
    const ids = Object.values(doc.paths).flatMap(item => Object.values(item).map(op => op.operationId)).sort()
    const shown = await page.locator('[data-operation]').evaluateAll(nodes => nodes.map(n => n.getAttribute('data-operation')))
    expect(shown.sort()).toEqual(ids)
    const generate = page.locator('[data-operation="createJob"]')
    expect(await generate.locator('code').first().textContent()).toBe('/generate')
    expect(await generate.locator('[data-status-code]').evaluateAll(rows => rows.map(r => r.getAttribute('data-status-code')))).toEqual(expect.arrayContaining(['202', '400', '413', '415']))
    await generate.getByText('Example: From a template').click()
    expect(await generate.locator('details[open] pre').first().textContent()).toContain('"template": "customers"')
    expect(await page.locator('details[id^="schema-"]').count()).toBe(Object.keys(doc.components.schemas).length)
    expect(await page.locator('[data-test="openapi-link"]').getAttribute('href')).toBe('/openapi.json')
    await screenshot(page, 'api')
    expect(problems).toEqual([])
  })

  it('serves a favicon and the icons from this server only', async () => {
    const response = await fetch('/favicon.svg')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('image/svg+xml')
    const html = await (await fetch('/app')).text()
    expect(html).not.toMatch(/fonts\.(googleapis|gstatic)|api\.iconify\.design/)
  })
})
