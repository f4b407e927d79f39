/**
 * `npm start`: builds the app when there is no build or a source file is newer than it, then serves
 * the production build on PORT (default 3000) with data in NUXT_DATA_DIR (default ./data).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const entry = join(root, '.output/server/index.mjs')
const SOURCES = ['app.vue', 'nuxt.config.ts', 'package.json', 'assets', 'components', 'composables', 'engine', 'pages', 'public', 'server', 'shared', 'templates']

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(stat.mtimeMs, ...readdirSync(path).map(name => newestMtime(join(path, name))))
}

const builtAt = existsSync(entry) ? statSync(entry).mtimeMs : 0
if (builtAt < Math.max(...SOURCES.map(s => newestMtime(join(root, s))))) {
  console.info(builtAt ? 'Sources changed since the last build: rebuilding…' : 'No build yet: building…')
  const build = spawnSync(process.execPath, [join(root, 'node_modules/nuxt/bin/nuxt.mjs'), 'build'], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) process.exit(build.status ?? 1)
}

process.env.PORT ??= '3000'
process.env.NUXT_DATA_DIR ??= join(root, 'data')
console.info(`SDaaS on http://localhost:${process.env.PORT}/app (data in ${process.env.NUXT_DATA_DIR})`)
await import(entry)
