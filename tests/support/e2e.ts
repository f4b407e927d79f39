import { fileURLToPath } from 'node:url'
import { setup } from '@nuxt/test-utils/e2e'

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
export function setupBuiltServer(env: Record<string, string> & { NUXT_DATA_DIR: string }, options: { browser?: boolean } = {}) {
  return setup({
    rootDir,
    build: false,
    server: true,
    browser: options.browser ?? false,
    ...(options.browser ? { browserOptions: chromium } : {}),
    nuxtConfig: { nitro: { output: { dir: `${rootDir}.output` } } },
    env,
  })
}
