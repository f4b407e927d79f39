import { describe, expect, it } from 'vitest'
import { createPage, fetch, url } from '@nuxt/test-utils/e2e'
import { tempDataDir } from '../support/data-dir'
import { setupBuiltServer } from '../support/e2e'

await setupBuiltServer({ NUXT_DATA_DIR: tempDataDir(), NUXT_ARTIFACT_TTL: '1' }, { browser: true })

describe('browser: a job whose files expired (NUXT_ARTIFACT_TTL)', () => {
  it('says so on its page and in the list, and offers no download, without failed requests', async () => {
    const response = await fetch('/generate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ template: 'orders', rows: 100, seed: 1 }) })
    const { job_id: id } = await response.json() as { job_id: string }
    // Until the sweep has deleted its files (every second with a 1 s TTL).
    await expect.poll(async () => (await (await fetch(`/jobs/${id}`)).json() as { expired_at: string | null }).expired_at, { timeout: 30_000, interval: 250 }).not.toBeNull()

    const page = await createPage()
    const problems: string[] = []
    page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`) })
    page.on('response', (answer) => { if (answer.status() >= 400) problems.push(`${answer.status()} ${answer.url()}`) })
    await page.goto(url(`/app/jobs/${id}`), { waitUntil: 'networkidle' })
    await page.locator('[data-test="expired"]').waitFor()
    expect(await page.locator('a[data-test="download"]').count()).toBe(0)
    expect(await page.locator('[data-test="preview"]').count()).toBe(0)
    await page.goto(url('/app'), { waitUntil: 'networkidle' })
    await page.locator(`a[data-job="${id}"]`).waitFor()
    expect(await page.locator(`a[href="/download/${id}"]`).count()).toBe(0)
    expect(problems).toEqual([])
  })
})
