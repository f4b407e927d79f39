/**
 * The production build and servers running it, shared by `npm start`, the benchmark and the load
 * test: build when there is no build or a source file is newer than it, start `.output` on a port
 * with an environment, wait until it answers, stop it.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

export const root = join(import.meta.dirname, '..')
export const serverEntry = join(root, '.output/server/index.mjs')
const SOURCES = ['app.vue', 'nuxt.config.ts', 'package.json', 'assets', 'components', 'composables', 'engine', 'pages', 'public', 'server', 'shared', 'templates']

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(stat.mtimeMs, ...readdirSync(path).map(name => newestMtime(join(path, name))))
}

/** Builds the app when there is no build or a source file is newer than it; exits on a failed build. */
export function ensureBuild(): void {
  const builtAt = existsSync(serverEntry) ? statSync(serverEntry).mtimeMs : 0
  if (builtAt >= Math.max(...SOURCES.map(s => newestMtime(join(root, s))))) return
  console.info(builtAt ? 'Sources changed since the last build: rebuilding…' : 'No build yet: building…')
  const build = spawnSync(process.execPath, [join(root, 'node_modules/nuxt/bin/nuxt.mjs'), 'build'], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) process.exit(build.status ?? 1)
}

export interface BuiltServer {
  url: string
  process: ChildProcess
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>
}

/** Starts the build on `port` with `env` added to this process's environment; resolves once /healthz answers. */
export async function startBuiltServer(port: number, env: Record<string, string>, stdio: StdioOptions = ['ignore', 'ignore', 'inherit']): Promise<BuiltServer> {
  const child = spawn(process.execPath, [serverEntry], { env: { ...process.env, PORT: String(port), ...env }, stdio })
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error('server exited during start')
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, process: child, stop }
    }
    catch {}
    await new Promise(r => setTimeout(r, 100))
  }
  await stop()
  throw new Error('server did not start')
}
