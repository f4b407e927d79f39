/**
 * The artifact store: generated files and their JSON sidecars (metrics, preview) under
 * `<dataDir>/artifacts`. Ids reaching here are validated UUIDs, so paths cannot leave the folder.
 */
import { mkdir, open, readdir, rm, type FileHandle } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { writeTextAtomic } from './atomic-fs-driver'
import { fileInfo } from '~~/engine/encode/formats'
import type { CellValue, Format } from '#shared/schema'

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


/** Writes JSON to a temporary file and renames it into place (writeTextAtomic). */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeTextAtomic(path, JSON.stringify(value))
}

/**
 * Largest sidecar the HTTP process parses. The generator bounds what it writes far below this; a file
 * over it is a server-side fault, refused rather than parsed on the thread that answers every request.
 */
export const MAX_SIDECAR_BYTES = 16 * 1024 * 1024

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'

/** 410 for a finished job whose file is gone from the artifacts folder (deleted by hand, a lost disk). */
const artifactGone = (what: string) => gone(`the job is done but its ${what} is missing from the data folder (removed outside the API?): generate it again`)

/** A finished job's file, opened: 410 when it is gone. The caller closes it (a stream of it does). */
export async function openArtifact(id: string, format: Format, gzip: boolean): Promise<FileHandle> {
  try {
    return await open(await artifactPath(id, format, gzip), 'r')
  }
  catch (error) {
    throw isMissing(error) ? artifactGone('file') : error
  }
}

/**
 * A job's sidecar (metrics, preview), parsed: 410 when it is gone; an error (a server-side fault, so
 * a logged 500) when it is over MAX_SIDECAR_BYTES or not JSON. Callers validate what they need.
 */
export async function readSidecar(id: string, kind: 'metrics' | 'preview'): Promise<unknown> {
  let handle: FileHandle
  try {
    handle = await open(await sidecarPath(id, kind), 'r')
  }
  catch (error) {
    throw isMissing(error) ? artifactGone(`${kind} file`) : error
  }
  try {
    // Sidecars are renamed into place whole, so the open file keeps the size it has now.
    const { size } = await handle.stat()
    if (size > MAX_SIDECAR_BYTES) throw new Error(`the ${kind} file of job ${id} is ${size} bytes, over the ${MAX_SIDECAR_BYTES} the server reads`)
    const text = await handle.readFile('utf8')
    try {
      return JSON.parse(text)
    }
    catch (error) {
      throw new Error(`the ${kind} file of job ${id} is not JSON`, { cause: error })
    }
  }
  finally {
    await handle.close()
  }
}

/**
 * Writes a job's preview as JSON lines: `{ "columns": [...] }`, then one array of cells per row, so
 * GET /preview reads only the lines of the rows it answers with.
 */
export async function writePreview(id: string, columns: string[], rows: CellValue[][]): Promise<void> {
  await writeTextAtomic(await sidecarPath(id, 'preview'), [JSON.stringify({ columns }), ...rows.map(row => JSON.stringify(row))].join('\n'))
}

/**
 * The columns and first `n` rows of a job's preview, as parsed JSON (callers validate them): only
 * those lines are read. A preview of an earlier version (one JSON object) is read whole, within
 * MAX_SIDECAR_BYTES. 410 when the file is gone.
 */
export async function readPreview(id: string, n: number): Promise<{ columns: unknown; rows: unknown[] }> {
  let handle: FileHandle
  try {
    handle = await open(await sidecarPath(id, 'preview'), 'r')
  }
  catch (error) {
    throw isMissing(error) ? artifactGone('preview file') : error
  }
  const stream = handle.createReadStream({ encoding: 'utf8' })
  const lines = createInterface({ input: stream, crlfDelay: Infinity })
  let head: { columns?: unknown; rows?: unknown } | undefined
  const rows: unknown[] = []
  let read = 0
  try {
    for await (const line of lines) {
      read += line.length
      if (read > MAX_SIDECAR_BYTES) throw new Error(`the preview file of job ${id} is over the ${MAX_SIDECAR_BYTES} bytes the server reads`)
      const value: unknown = JSON.parse(line)
      if (!head) {
        head = value && typeof value === 'object' ? value : {}
        if (Array.isArray(head.rows)) return { columns: head.columns, rows: head.rows.slice(0, n) }
      }
      else rows.push(value)
      if (rows.length >= n) break
    }
  }
  catch (error) {
    if (error instanceof SyntaxError) throw new Error(`the preview file of job ${id} is not JSON`, { cause: error })
    throw error
  }
  finally {
    lines.close()
    stream.destroy()
  }
  return { columns: head?.columns, rows }
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
 * so its partial file is worthless), and the uploads it left without a record (sweepOrphanUploads).
 * Run at boot, before any job starts.
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
  return removed + await sweepOrphanUploads()
}
