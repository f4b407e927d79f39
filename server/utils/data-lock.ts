/**
 * One server per data folder: `<dataDir>/server.lock` names the process that owns the folder. A second
 * server on the same folder refuses to start instead of running the same jobs and corrupting their
 * files; a lock left by a process that is gone (kill -9, a crash) is taken over.
 */
import { randomUUID } from 'node:crypto'
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'

export const LOCK_FILE = 'server.lock'

interface LockOwner {
  pid: number
  hostname: string
  started_at: string
  /** Tells this process's lock from one taken over since (a reused pid, a reload in the same process). */
  token: string
}

export class DataDirLocked extends Error {}

/** Whether a process with this pid runs on this machine (EPERM: it does, as another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  }
  catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function readOwner(path: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>
    return typeof owner.pid === 'number' && typeof owner.hostname === 'string' && typeof owner.token === 'string' ? owner as LockOwner : null
  }
  catch {
    return null
  }
}

/**
 * Takes the data folder's lock (synchronously, before the server serves anything) and returns the
 * function that releases it. Throws DataDirLocked, naming the owner, when a live server holds it.
 */
export function acquireDataLock(dir: string): () => void {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, LOCK_FILE)
  const me: LockOwner = { pid: process.pid, hostname: hostname(), started_at: new Date().toISOString(), token: randomUUID() }
  // Written whole under a temporary name, then linked into place: the lock never exists half-written.
  const temp = `${path}.${me.token}.tmp`
  writeFileSync(temp, `${JSON.stringify(me)}\n`)
  try {
    try {
      linkSync(temp, path)
    }
    catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const owner = readOwner(path)
      if (owner && owner.pid !== process.pid && (owner.hostname !== me.hostname || isAlive(owner.pid))) {
        const where = owner.hostname === me.hostname ? `pid ${owner.pid}` : `pid ${owner.pid} on ${owner.hostname}`
        throw new DataDirLocked(`the data folder ${dir} is in use by another SDaaS server (${where}, started ${owner.started_at}). `
          + `Stop that server, or give this one its own NUXT_DATA_DIR. If that server is gone for good, delete ${path}.`)
      }
      // Its owner is gone (or the lock is unreadable): take it over.
      renameSync(temp, path)
      console.warn(`[lock] took over a stale lock on ${dir}${owner ? ` (pid ${owner.pid} is gone)` : ' (unreadable lock file)'}`)
    }
  }
  finally {
    rmSync(temp, { force: true })
  }
  return () => {
    // Only our own lock: a server that took it over since keeps it.
    if (readOwner(path)?.token === me.token) rmSync(path, { force: true })
  }
}
