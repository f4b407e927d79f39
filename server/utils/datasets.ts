/**
 * The dataset store: uploaded CSV samples under `<dataDir>/datasets/<id>.csv` (streamed to a temporary
 * name, renamed when complete) with their profile in unstorage beside the jobs.
 */
import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import Busboy from 'busboy'
import type { H3Event } from 'h3'
import { datasetRecordSchema, datasetSchema, type DatasetRecord, type DatasetSchema } from '#shared/schema'

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

/** Streams `source` to `path` through a temporary name, refusing more than `limit` bytes (413). Returns the byte count. */
async function writeLimited(source: Readable, path: string, limit: number): Promise<number> {
  const temp = `${path}.${randomUUID()}.tmp`
  const file = createWriteStream(temp)
  try {
    await pipeline(source, bodyLimit(limit), file)
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
    form = Busboy({ headers: event.node.req.headers, limits: { files: 1, fields: 20, fieldSize: 4096, parts: 40 } })
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
    // The file's own failure (413) says more than the form's.
    const fileError = await written?.then(() => undefined, (e: unknown) => e)
    if (isError(fileError) && fileError.statusCode === 413) throw fileError
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
export async function saveDatasetModel(id: string, model: DatasetSchema): Promise<void> {
  await datasetDir()
  await useStorage(MOUNT).setItem(`${id}.model.json`, model)
}

/** The model fitted to a dataset, or null. */
export async function getDatasetModel(id: string): Promise<DatasetSchema | null> {
  await datasetDir()
  const raw = await useStorage(MOUNT).getItem(`${id}.model.json`)
  if (raw === null) return null
  const parsed = datasetSchema.safeParse(raw)
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
    recordRule('dataset model', name => name.endsWith('.model.json'), datasetSchema),
    recordRule('dataset record', name => name.endsWith('.json'), datasetRecordSchema,
      (record, id) => (record.dataset_id === id ? null : `its dataset_id ${JSON.stringify(record.dataset_id)} is not its file name`)),
  ])
}
