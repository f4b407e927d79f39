import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The engine's worker-thread entry: TypeScript source (dev, tests, bench) and its build (production). */
const engineWorkerSource = fileURLToPath(new URL('./engine/run/worker.ts', import.meta.url))
const engineWorkerBuild = fileURLToPath(new URL('./.output/server/engine-worker.mjs', import.meta.url))

// https://nuxt.com/docs/api/configuration/nuxt-config
export default defineNuxtConfig({
  compatibilityDate: '2026-11-01',
  // The design card's layout: app.vue, pages/, components/ and composables/ at the top level.
  srcDir: '.',
  devtools: { enabled: false },
  telemetry: false,
  modules: ['@nuxt/ui'],
  // Components are named by file (components/metrics/ScoreCard.vue is <ScoreCard>); folders group domains.
  components: [{ path: '~/components', pathPrefix: false }],
  css: ['~/assets/css/main.css'],
  // Offline by design: no web fonts (system font stack), icons only from the local @iconify-json/lucide.
  ui: { fonts: false },
  icon: {
    // The icons the sources name are inlined in the client bundle; any other (Nuxt UI's own) comes from
    // this server's /api/_nuxt_icon endpoint, bundled from node_modules. Never the Iconify API.
    serverBundle: { collections: ['lucide'] },
    clientBundle: { scan: true },
    provider: 'server',
    fallbackToApi: false,
  },
  app: {
    head: {
      title: 'SDaaS: synthetic data',
      htmlAttrs: { lang: 'en' },
      link: [{ rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }],
      meta: [{ name: 'description', content: 'Generate realistic synthetic tabular data from templates and schemas.' }],
    },
  },
  routeRules: {
    '/': { redirect: '/app' },
  },
  runtimeConfig: {
    /** Folder for job metadata and artifacts (NUXT_DATA_DIR). */
    dataDir: './data',
    /** Jobs generated at the same time (NUXT_CONCURRENCY). */
    concurrency: 2,
    /** Worker threads generating chunks; 0 means one per core (NUXT_WORKERS). */
    workers: 0,
    /** Largest `rows` a job may ask for (NUXT_MAX_ROWS). */
    maxRows: 10_000_000,
    /** Largest CSV upload to POST /datasets, in bytes (NUXT_MAX_UPLOAD_BYTES). */
    maxUploadBytes: 200 * 1024 * 1024,
    /** Jobs that may wait to start; more POST /generate are refused with 503 (NUXT_MAX_QUEUED). */
    maxQueued: 1000,
    /** Seconds a finished job's files are kept, then deleted by a periodic sweep; 0 keeps them (NUXT_ARTIFACT_TTL). */
    artifactTtl: 0,
    /** Rows of the default template generated at boot to warm the engine up; 0 skips it (NUXT_WARMUP_ROWS). */
    warmupRows: 100_000,
    /** On SIGTERM/SIGINT, the most a graceful shutdown may take before the process exits anyway (NUXT_SHUTDOWN_TIMEOUT_MS). */
    shutdownTimeoutMs: 8000,
    /** API key(s), comma-separated; when set, every API route needs one (NUXT_API_KEY). Empty: open. */
    apiKey: '',
    /** Origins allowed to call the API from a browser, comma-separated (NUXT_CORS_ORIGINS). */
    corsOrigins: '',
    /** Requests a minute per API key, session or client address; 0 turns the limit off (NUXT_RATE_LIMIT). */
    rateLimit: 600,
    /** Proxies whose X-Forwarded-For / -Proto / -Host count: addresses or IPv4 CIDRs, comma-separated (NUXT_TRUSTED_PROXIES). */
    trustedProxies: '',
    /** The generator's worker-thread entry (NUXT_ENGINE_WORKER): the bundled engine, built beside the server. */
    engineWorker: engineWorkerBuild,
  },
  $development: {
    runtimeConfig: { engineWorker: engineWorkerSource },
  },
  nitro: {
    serverAssets: [{ baseName: 'templates', dir: '../templates' }],
    hooks: {
      // The engine runs in worker threads from its own file: bundled to plain JavaScript here, so
      // production threads load neither TypeScript stripping nor unused code (about 20 MB each).
      async compiled(nitro) {
        if (nitro.options.dev) return
        const { build } = await import('esbuild')
        await build({
          entryPoints: [engineWorkerSource],
          outfile: join(nitro.options.output.serverDir, 'engine-worker.mjs'),
          bundle: true,
          platform: 'node',
          format: 'esm',
          target: 'node24',
          // Packages (faker and its locales, jstat, hyparquet-writer) load from node_modules at run time.
          packages: 'external',
          logLevel: 'warning',
        })
      },
    },
  },
  hooks: {
    // API errors as JSON first; Nuxt's handler (already set) still renders errors of the pages.
    'nitro:config'(config) {
      config.errorHandler = [fileURLToPath(new URL('./server/error-handler.ts', import.meta.url)), ...[config.errorHandler ?? []].flat()]
    },
  },
  typescript: { strict: true },
})
