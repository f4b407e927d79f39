/**
 * The dataset store: uploaded CSV samples under `<dataDir>/datasets/<id>.csv` (streamed to a temporary
 * name, renamed when complete) with their profile in unstorage beside the jobs.
 */
import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import Busboy from 'busboy'
import type { H3Event } from 'h3'
import { datasetRecordSchema, generationSchema, type DatasetRecord, type GenerationSchema } from '#shared/schema'

const MOUNT = 'datasets'

/** The datasets folder (files and records), created on first use. */
async function datasetDir(): Promise<string> {
  const dir = join(useDataDir(), 'datasets')
  await mkdir(dir, { recursive: true })
  dataStorage(MOUNT, 'datasets', ['**/*.csv', '**/*.tmp'])
  return dir
}

/** Where a dataset's CSV lives (ids are validated UUIDs, so the path stays in the folder). */
export async function datasetFile(id: string): Promise<string> {
  return join(await datasetDir(), `${checkedId(id)}.csv`)
}

/** The media types POST /datasets reads as CSV (the raw body, not a form). */
export const CSV_UPLOAD_TYPES = ['text/csv', 'text/plain', 'text/tab-separated-values', 'application/csv', 'application/vnd.ms-excel', 'application/octet-stream']

/**
 * A pass-through stream that fails with a 400 at the first byte that makes the upload not UTF-8 text:
 * a NUL byte, or a sequence that is not UTF-8 (Latin-1, say), wherever it is in the file, so that what
 * is stored is text the profiler and the fitter read as they expect (they sniff only the start).
 */
export function utf8TextCheck(): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let offset = 0
  /** The bytes of a character the previous chunk began and did not end. */
  let carry: Buffer = Buffer.alloc(0)
  const refuse = (message: string) => badRequest([{ path: '(body)', message }], 'Unusable CSV')
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const nul = chunk.indexOf(0)
      if (nul >= 0) return callback(refuse(`the file is binary, not CSV text: a NUL byte at byte ${offset + nul}`))
      try {
        decoder.decode(chunk, { stream: true })
      }
      catch {
        return callback(refuse(`the file is not UTF-8 text: an invalid byte sequence at byte ${offset + firstInvalid(carry, chunk)}`))
      }
      carry = unfinishedTail(Buffer.concat([carry, chunk.subarray(-4)]))
      offset += chunk.length
      callback(null, chunk)
    },
    flush(callback) {
      try {
        decoder.decode()
        callback()
      }
      catch {
        callback(refuse(`the file is not UTF-8 text: it ends inside a multi-byte character (byte ${offset - carry.length})`))
      }
    },
  })
}

/** The trailing bytes of `bytes` that begin a UTF-8 character without ending it. */
function unfinishedTail(bytes: Buffer): Buffer {
  for (let i = bytes.length - 1; i >= Math.max(0, bytes.length - 4); i--) {
    const byte = bytes[i]!
    if ((byte & 0xC0) === 0x80) continue
    const length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
    return bytes.length - i < length ? bytes.subarray(i) : Buffer.alloc(0)
  }
  return Buffer.alloc(0)
}

/**
 * Where, in `chunk`, UTF-8 decoding first fails (knowing that `carry` came just before it): the
 * shortest failing prefix, found by halving (only once, for a refused upload).
 */
function firstInvalid(carry: Buffer, chunk: Buffer): number {
  const fails = (length: number) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat([carry, chunk.subarray(0, length)]), { stream: true })
      return false
    }
    catch {
      return true
    }
  }
  let lo = 0
  let hi = chunk.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (fails(mid + 1)) hi = mid
    else lo = mid + 1
  }
  return lo
}

/**
 * Streams `source` to `path` through a temporary name, refusing more than `limit` bytes (413) and
 * anything but UTF-8 text (400). Returns the byte count.
 */
async function writeLimited(source: Readable, path: string, limit: number): Promise<number> {
  const temp = `${path}.${randomUUID()}.tmp`
  const file = createWriteStream(temp)
  try {
    await pipeline(source, bodyLimit(limit), utf8TextCheck(), file)
    await rename(temp, path)
    return file.bytesWritten
  }
  catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}

/** Room for a multipart body's boundaries and part headers beside the file, when checking a declared length. */
const MULTIPART_OVERHEAD = 64 * 1024

/**
 * Streams an upload to `path`: the raw request body (text/csv), or the one file of a
 * multipart/form-data body (a browser's form), never buffering it whole. More than `limit` bytes of
 * file is a 413, whether the client declared its length or sends it chunked. Returns the byte count
 * and the form's file name.
 */
export async function receiveUpload(event: H3Event, path: string, limit: number): Promise<{ bytes: number; filename: string | null }> {
  const multipart = /^multipart\/form-data\b/i.test(getRequestHeader(event, 'content-type') ?? '')
  refuseDeclaredLength(event, limit + (multipart ? MULTIPART_OVERHEAD : 0))
  if (!multipart) return { bytes: await writeLimited(event.node.req, path, limit), filename: null }
  let form: Busboy.Busboy
  try {
    // File names are UTF-8 as browsers send them (busboy's default reads them as Latin-1).
    form = Busboy({ headers: event.node.req.headers, defParamCharset: 'utf8', limits: { files: 1, fields: 20, fieldSize: 4096, parts: 40 } })
  }
  catch (error) {
    throw badRequest([{ path: '(body)', message: `not a readable multipart form: ${error instanceof Error ? error.message : String(error)}` }])
  }
  let written: Promise<number> | undefined
  let filename: string | null = null
  let extraFiles = false
  form.on('file', (_field, stream, info) => {
    filename = info.filename || null
    written = writeLimited(stream, path, limit)
    // Past the limit (or a disk error), stop reading the request.
    written.catch(error => form.destroy(error))
  })
  form.on('filesLimit', () => { extraFiles = true })
  try {
    await pipeline(event.node.req, form)
  }
  catch (error) {
    // The file's own failure (413, not text, a full disk) says more than the form's.
    const fileError = await written?.then(() => undefined, (e: unknown) => e)
    if (isError(fileError) || storageFault(fileError)) throw fileError
    throw badRequest([{ path: '(body)', message: `not a readable multipart form: ${error instanceof Error ? error.message : String(error)}` }])
  }
  if (!written) throw badRequest([{ path: '(body)', message: 'the form has no file: send the CSV as its one file field' }])
  const bytes = await written
  if (extraFiles) {
    await rm(path, { force: true })
    throw badRequest([{ path: '(body)', message: 'send one file per upload' }])
  }
  return { bytes, filename }
}

export async function saveDataset(record: DatasetRecord): Promise<void> {
  await datasetDir()
  await useStorage(MOUNT).setItem(`${record.dataset_id}.json`, record)
}

export async function getDataset(id: string): Promise<DatasetRecord | null> {
  await datasetDir()
  const raw = await useStorage(MOUNT).getItem(`${id}.json`)
  if (raw === null) return null
  const parsed = datasetRecordSchema.safeParse(raw)
  return parsed.success ? parsed.data : null
}

/** Every dataset, newest first. */
export async function listDatasets(): Promise<DatasetRecord[]> {
  await datasetDir()
  const keys = (await useStorage(MOUNT).getKeys()).filter(key => key.endsWith('.json') && !key.endsWith('.model.json'))
  const records = await Promise.all(keys.map(key => getDataset(key.slice(0, -'.json'.length))))
  return records.filter(r => r !== null).sort((a, b) => b.created_at.localeCompare(a.created_at) || b.dataset_id.localeCompare(a.dataset_id))
}

/** Saves the model fitted to a dataset (a schema). */
export async function saveDatasetModel(id: string, model: GenerationSchema): Promise<void> {
  await datasetDir()
  await useStorage(MOUNT).setItem(`${id}.model.json`, model)
}

/** The model fitted to a dataset, or null. */
export async function getDatasetModel(id: string): Promise<GenerationSchema | null> {
  await datasetDir()
  const raw = await useStorage(MOUNT).getItem(`${id}.model.json`)
  if (raw === null) return null
  const parsed = generationSchema.safeParse(raw)
  return parsed.success ? parsed.data : null
}

/** Removes a dataset's record and model, then its file. */
export async function removeDataset(id: string): Promise<void> {
  await datasetDir()
  await useStorage(MOUNT).removeItem(`${id}.json`)
  await useStorage(MOUNT).removeItem(`${id}.model.json`)
  await rm(await datasetFile(id), { force: true })
}

/**
 * Moves dataset records and fitted models that cannot be read to `<dataDir>/quarantine/datasets/`
 * (with the sample's CSV left in place: nothing is deleted). Run at boot.
 */
export function quarantineUnreadableDatasets(): Promise<string[]> {
  return quarantineUnreadable('datasets', [
    recordRule('dataset model', name => name.endsWith('.model.json'), generationSchema),
    recordRule('dataset record', name => name.endsWith('.json'), datasetRecordSchema,
      (record, id) => (record.dataset_id === id ? null : `its dataset_id ${JSON.stringify(record.dataset_id)} is not its file name`)),
  ])
}

/** When this process started: files written before it belong to a previous run. */
const BOOTED_AT = Date.now() - process.uptime() * 1000

/**
 * Removes uploads a killed process left without a record (`kill -9` while the file was profiled):
 * `<id>.csv` files older than this process whose dataset has no record, unless the record was
 * quarantined (its file stays with it). Run at boot; returns how many were removed.
 */
export async function sweepOrphanUploads(): Promise<number> {
  const dir = await datasetDir()
  const names = await readdir(dir).catch(() => [] as string[])
  const records = new Set(names.filter(n => n.endsWith('.json') && !n.endsWith('.model.json')).map(n => n.slice(0, -'.json'.length)))
  const quarantined = (await readdir(join(useDataDir(), 'quarantine', 'datasets')).catch(() => [] as string[])).join('\n')
  let removed = 0
  for (const name of names) {
    const id = name.slice(0, -'.csv'.length)
    if (!name.endsWith('.csv') || records.has(id) || quarantined.includes(id)) continue
    const file = join(dir, name)
    const { mtimeMs } = await stat(file).catch(() => ({ mtimeMs: Infinity }))
    if (mtimeMs >= BOOTED_AT) continue
    await rm(file, { force: true })
    console.info(`[datasets] removed ${name}, an upload left without a record by an interrupted run`)
    removed++
  }
  return removed
}
