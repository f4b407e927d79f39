/**
 * The artifact store: generated files and their JSON sidecars (metrics, preview) under
 * `<dataDir>/artifacts`. Ids reaching here are validated UUIDs, so paths cannot leave the folder.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileInfo } from '~~/engine/formats'
import type { Format } from '#shared/schema'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The artifacts folder, created on first use. */
export async function artifactDir(): Promise<string> {
  const dir = join(useDataDir(), 'artifacts')
  await mkdir(dir, { recursive: true })
  return dir
}

/** An id about to become part of a path: only a lowercase UUID gets through (a last guard after validation). */
export function checkedId(id: string): string {
  if (!UUID.test(id)) throw new Error(`refusing a file path for id ${JSON.stringify(id)}`)
  return id
}

/** Where a job's file lives: `<id>.<extension>` (e.g. `.csv.gz`). */
export async function artifactPath(id: string, format: Format, gzip: boolean): Promise<string> {
  return join(await artifactDir(), `${checkedId(id)}.${fileInfo(format, gzip).extension}`)
}

export async function sidecarPath(id: string, kind: 'metrics' | 'preview'): Promise<string> {
  return join(await artifactDir(), `${checkedId(id)}.${kind}.json`)
}

/** Writes JSON to a temporary file and renames it into place. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`
  await writeFile(temp, JSON.stringify(value))
  await rename(temp, path)
}

/** Parses a JSON file written by `writeJsonAtomic`; callers validate what they need. */
export async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8'))
}

/** Deletes a job's file and sidecars (missing ones are fine). */
export async function removeArtifacts(id: string, format: Format, gzip: boolean): Promise<void> {
  await Promise.all([
    rm(await artifactPath(id, format, gzip), { force: true }),
    rm(await sidecarPath(id, 'metrics'), { force: true }),
    rm(await sidecarPath(id, 'preview'), { force: true }),
  ])
}

/**
 * Removes the temporary files a killed process left behind (an interrupted job reruns from the start,
 * so its partial file is worthless). Run at boot, before any job starts.
 */
export async function sweepTemporaryFiles(): Promise<number> {
  const folders = [await artifactDir(), join(useDataDir(), 'jobs'), join(useDataDir(), 'datasets')]
  let removed = 0
  for (const folder of folders) {
    const names = await readdir(folder).catch(() => [])
    for (const name of names.filter(n => n.endsWith('.tmp'))) {
      await rm(join(folder, name), { force: true })
      removed++
    }
  }
  return removed
}
