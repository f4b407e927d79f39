import { randomUUID } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { StorageValue } from 'unstorage'

/** The absolute data folder (runtime config `dataDir`, env NUXT_DATA_DIR, default `./data`). */
export function useDataDir(): string {
  return resolve(useRuntimeConfig().dataDir)
}

/** The data folder each storage mount was made for. */
const mountedAt = new Map<string, string>()

/**
 * `<dataDir>/<folder>` as the unstorage mount `mount`, with atomic writes (atomicFsDriver); mounted
 * on first use, and again should the data folder change (tests start servers on folders of their own).
 */
export function dataStorage<T extends StorageValue = StorageValue>(mount: string, folder: string, ignore?: string[]) {
  const base = join(useDataDir(), folder)
  if (mountedAt.get(mount) !== base) {
    useStorage().mount(mount, atomicFsDriver({ base, ignore }))
    mountedAt.set(mount, base)
  }
  return useStorage<T>(mount)
}

/** How long a write probe's answer stands: health checks come often, a full disk lasts. */
const PROBE_TTL_MS = 1000

let lastProbe: { dir: string; at: number; result: Promise<string | null> } | undefined

/**
 * Whether `dir` can be written now, by writing and removing a small file (a W_OK check passes on a
 * full disk): null when it can, else what is wrong ("ENOSPC (no space left on the device)"). Answers
 * are kept for a second; the probe's name ends in `.tmp`, so one a crash left behind is swept at boot.
 */
export function probeWritable(dir: string): Promise<string | null> {
  const now = Date.now()
  if (lastProbe && lastProbe.dir === dir && now - lastProbe.at < PROBE_TTL_MS) return lastProbe.result
  const path = join(dir, `.write-probe.${randomUUID()}.tmp`)
  const result = writeFile(path, 'ok\n').then(
    () => rm(path, { force: true }).then(() => null),
    (error: unknown) => rm(path, { force: true }).catch(() => {}).then(() => storageFault(error) ?? (error instanceof Error ? error.message : String(error))),
  )
  lastProbe = { dir, at: now, result }
  return result
}
