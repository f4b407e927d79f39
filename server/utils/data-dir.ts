import { resolve } from 'node:path'

/** The absolute data folder (runtime config `dataDir`, env NUXT_DATA_DIR, default `./data`). */
export function useDataDir(): string {
  return resolve(useRuntimeConfig().dataDir)
}
