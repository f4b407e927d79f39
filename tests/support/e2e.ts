import { fileURLToPath } from 'node:url'
import { beforeAll } from 'vitest'
import { fetch, setup } from '@nuxt/test-utils/e2e'
import type { Page } from 'playwright-core'

const rootDir = fileURLToPath(new URL('../..', import.meta.url))

/** Debian's Chromium, as root on a closed network. */
export const chromium = {
  type: 'chromium' as const,
  launch: {
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  },
}

/**
 * Starts the production build (`.output`, made by `nuxt build` before the tests) for this test file,
 * with the given environment (always including a temporary NUXT_DATA_DIR).
 */
export async function setupBuiltServer(env: Record<string, string> & { NUXT_DATA_DIR: string }, options: { browser?: boolean } = {}) {
  await setup({
    rootDir,
    build: false,
    server: true,
    browser: options.browser ?? false,
    ...(options.browser ? { browserOptions: chromium } : {}),
    nuxtConfig: { nitro: { output: { dir: `${rootDir}.output` } } },
    env,
  })
  // The server answers before it has booted (recovery, then the engine's warm-up): tests start once
  // GET /healthz says it has, as a load balancer would.
  beforeAll(async () => {
    for (const deadline = Date.now() + 60_000; ; await new Promise(resolve => setTimeout(resolve, 50))) {
      if ((await fetch('/healthz').catch(() => undefined))?.ok) return
      if (Date.now() > deadline) throw new Error('the server did not become healthy within 60 s')
    }
  }, 70_000)
}

/**
 * The New job wizard from its first step's Next: `rows` rows with the other settings as they are,
 * then Generate; resolves on the job's page.
 */
export async function generateFromWizard(page: Page, rows: number): Promise<void> {
  await page.getByRole('button', { name: 'Next' }).click()
  await page.getByLabel('Rows', { exact: true }).fill(String(rows))
  await page.getByRole('button', { name: 'Next' }).click()
  await page.getByRole('button', { name: 'Generate' }).click()
  await page.waitForURL(/\/app\/jobs\/[0-9a-f-]{36}$/)
}
