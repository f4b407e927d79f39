import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createPage, url } from '@nuxt/test-utils/e2e'
import { tempDataDir } from '../support/data-dir'
import { generateFromWizard, setupBuiltServer } from '../support/e2e'

const screenshots = fileURLToPath(new URL('../.screenshots/', import.meta.url))
mkdirSync(screenshots, { recursive: true })

const KEY = 'browser-key-7d2e9f4a1c3b5e6d'
await setupBuiltServer({ NUXT_DATA_DIR: tempDataDir(), NUXT_API_KEY: KEY }, { browser: true })

describe('browser: signing in to a server with NUXT_API_KEY', () => {
  it('sends the pages to the sign-in form, works once signed in (under the CSP, without console errors), and signs out', async () => {
    const page = await createPage()
    const problems: string[] = []
    page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`) })
    page.on('pageerror', error => problems.push(`page error: ${error.message}`))
    page.on('response', (response) => { if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`) })

    await page.goto(url('/app/new'), { waitUntil: 'networkidle' })
    expect(new URL(page.url()).pathname).toBe('/app/login')
    expect(new URL(page.url()).searchParams.get('next')).toBe('/app/new')
    await page.getByLabel('API key').fill('not-the-key')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('wrong API key')
    // That refusal was the point; from here on nothing may fail.
    expect(problems.every(p => /401/.test(p))).toBe(true)
    problems.length = 0
    await page.screenshot({ path: `${screenshots}login.png`, fullPage: true })

    await page.getByLabel('API key').fill(KEY)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL('**/app/new')
    await page.getByRole('radio', { name: 'Use template Orders' }).click()
    await generateFromWizard(page, 2000)
    const id = page.url().split('/').pop()!
    await page.locator('[data-status="done"]').waitFor({ timeout: 60_000 })
    await page.locator('[data-test="preview"] tbody tr').first().waitFor()
    expect(await page.evaluate(async path => (await fetch(path)).status, `/download/${id}`)).toBe(200)

    // Rendered on the server with the session cookie, preview included.
    await page.reload({ waitUntil: 'networkidle' })
    expect(await page.locator('[data-test="preview"] tbody tr').count()).toBe(20)

    await page.goto(url('/app/login'), { waitUntil: 'networkidle' })
    await page.locator('[data-test="signed-in"]').waitFor()
    expect((await page.context().cookies()).map(c => c.name)).toContain('sdaas_session')
    // Signing out from the sidebar, on any page.
    await page.goto(url('/app'), { waitUntil: 'networkidle' })
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL('**/app/login')
    await page.getByLabel('API key').waitFor()
    expect((await page.context().cookies()).map(c => c.name)).not.toContain('sdaas_session')
    await page.goto(url('/app'), { waitUntil: 'networkidle' })
    expect(new URL(page.url()).pathname).toBe('/app/login')
    expect(problems).toEqual([])
    // Signed out, the API refuses the browser.
    expect(await page.evaluate(async () => (await fetch('/jobs')).status)).toBe(401)
  })
})
