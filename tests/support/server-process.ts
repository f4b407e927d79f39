import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const entry = fileURLToPath(new URL('../../.output/server/index.mjs', import.meta.url))

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export interface ServerProcess {
  url: string
  port: number
  child: ChildProcess
  /** Everything it printed so far (stdout and stderr). */
  output(): string
  /** Resolves with the exit code (or the signal's name) when it exits. */
  exited: Promise<number | string>
  fetch(path: string, init?: RequestInit): Promise<Response>
}

/**
 * Spawns the built server (`.output`) as its own process, for tests that need several servers, their
 * output, or signals: `ready` waits until GET /healthz answers 200 (or the process exits first).
 */
export async function spawnServer(env: Record<string, string> & { NUXT_DATA_DIR: string }, options: { ready?: boolean } = {}): Promise<ServerProcess> {
  const port = await freePort()
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | string>(resolve => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')))
  const url = `http://127.0.0.1:${port}`
  const server: ServerProcess = { url, port, child, output: () => output, exited, fetch: (path, init) => fetch(url + path, init) }
  if (options.ready === false) return server
  let gone = false
  void exited.then(() => { gone = true })
  const deadline = Date.now() + 60_000
  for (;;) {
    if (gone) throw new Error(`server exited before it was ready:\n${output}`)
    const healthy = await server.fetch('/healthz').then(r => r.ok, () => false)
    if (healthy) return server
    if (Date.now() > deadline) throw new Error(`server not ready after 60 s:\n${output}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/** Sends a signal and waits for the exit; returns its code and how long it took. */
export async function stopProcess(server: ServerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | string; ms: number }> {
  const start = Date.now()
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill(signal)
  const code = await server.exited
  return { code, ms: Date.now() - start }
}
