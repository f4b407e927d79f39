import { randomUUID } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { tempDataDir } from '../../../support/data-dir'
import { sidecarPath, writeJsonAtomic, writePreview } from '~~/server/utils/artifacts'

let dataDir: string
beforeEach(() => {
  dataDir = tempDataDir()
  // The one Nitro auto-import the artifact store calls (server/utils/data-dir.ts).
  vi.stubGlobal('useDataDir', () => dataDir)
})
afterEach(() => vi.unstubAllGlobals())

const temporaryFiles = (dir: string) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(name => name.endsWith('.tmp'))

/** Makes `path` a folder with a file in it, so renaming a file onto it fails (EISDIR) after the write. */
function blockRename(path: string): void {
  mkdirSync(path, { recursive: true })
  writeFileSync(join(path, 'keep'), '')
}

describe('writeJsonAtomic', () => {
  it('writes the JSON in place and leaves no temporary file', async () => {
    const path = join(dataDir, 'value.json')
    await writeJsonAtomic(path, { a: 1, b: ['x'] })
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ a: 1, b: ['x'] })
    expect(temporaryFiles(dataDir)).toEqual([])
  })

  it('removes its temporary file when the rename fails', async () => {
    const path = join(dataDir, 'value.json')
    blockRename(path)
    await expect(writeJsonAtomic(path, { a: 1 })).rejects.toThrow()
    expect(temporaryFiles(dataDir)).toEqual([])
  })

  it('leaves nothing behind for a value JSON cannot hold', async () => {
    const path = join(dataDir, 'value.json')
    await expect(writeJsonAtomic(path, { big: 1n })).rejects.toThrow(TypeError)
    expect(readdirSync(dataDir)).toEqual([])
  })
})

describe('writePreview', () => {
  it('writes the columns, then a line per row', async () => {
    const id = randomUUID()
    await writePreview(id, ['a', 'b'], [[1, 'x'], [null, true]])
    expect(readFileSync(await sidecarPath(id, 'preview'), 'utf8')).toBe('{"columns":["a","b"]}\n[1,"x"]\n[null,true]')
    expect(temporaryFiles(dataDir)).toEqual([])
  })

  it('removes its temporary file when the rename fails', async () => {
    const id = randomUUID()
    blockRename(await sidecarPath(id, 'preview'))
    await expect(writePreview(id, ['a'], [[1]])).rejects.toThrow()
    expect(temporaryFiles(dataDir)).toEqual([])
  })
})
