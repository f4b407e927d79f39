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
