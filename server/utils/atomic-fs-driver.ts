import { randomUUID } from 'node:crypto'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { defineDriver } from 'unstorage'
import fsDriver from 'unstorage/drivers/fs'

/**
 * Writes text to a temporary file beside `path` and renames it into place, so readers see the old
 * file or the new one, never half of one. When the write or the rename fails, the temporary file is
 * removed: it would otherwise stay until the next boot's sweep.
 */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`
  try {
    await writeFile(temp, text)
    await rename(temp, path)
  }
  catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}

/**
 * unstorage's filesystem driver with atomic writes: each value goes to a temporary file that is then
 * renamed over the old one, so a crash never leaves a half-written record.
 */
export const atomicFsDriver = defineDriver((options: { base: string; ignore?: string[] }) => {
  const fs = fsDriver({ base: options.base, ignore: options.ignore ?? ['**/*.tmp'] })
  const pathOf = (key: string) => {
    if (key.split(':').some(part => part === '..')) throw new Error(`invalid storage key ${JSON.stringify(key)}`)
    return join(options.base, key.replace(/:/g, '/'))
  }
  return {
    ...fs,
    name: 'fs-atomic',
    options,
    async setItem(key: string, value: string) {
      const path = pathOf(key)
      await mkdir(dirname(path), { recursive: true })
      await writeTextAtomic(path, value)
    },
  }
})
