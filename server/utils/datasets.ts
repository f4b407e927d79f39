/**
 * The dataset store: uploaded CSV samples under `<dataDir>/datasets/<id>.csv` (streamed to a temporary
 * name, renamed when complete) with their profile in unstorage beside the jobs.
 */
import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { H3Event } from 'h3'
import { datasetRecordSchema, datasetSchema, type DatasetRecord, type DatasetSchema } from '#shared/schema'

const MOUNT = 'datasets'
let mountedAt: string | undefined

/** The datasets folder (files and records), created on first use. */
async function datasetDir(): Promise<string> {
  const dir = join(useDataDir(), 'datasets')
  await mkdir(dir, { recursive: true })
  if (mountedAt !== dir) {
    useStorage().mount(MOUNT, atomicFsDriver({ base: dir, ignore: ['**/*.csv', '**/*.tmp'] }))
    mountedAt = dir
  }
  return dir
}

/** Where a dataset's CSV lives (ids are validated UUIDs, so the path stays in the folder). */
export async function datasetFile(id: string): Promise<string> {
  return join(await datasetDir(), `${checkedId(id)}.csv`)
}

/** The media types POST /datasets reads as CSV (the raw body, not a form). */
export const CSV_UPLOAD_TYPES = ['text/csv', 'text/plain', 'text/tab-separated-values', 'application/csv', 'application/vnd.ms-excel', 'application/octet-stream']

/**
 * Streams the request body to `path` (through a temporary name), refusing more than `limit` bytes
 * whether the client declared its length or sends it chunked. Returns the byte count.
 */
export async function receiveUpload(event: H3Event, path: string, limit: number): Promise<number> {
  refuseDeclaredLength(event, limit)
  const temp = `${path}.${randomUUID()}.tmp`
  const file = createWriteStream(temp)
  try {
    await pipeline(event.node.req, bodyLimit(limit), file)
    await rename(temp, path)
    return file.bytesWritten
  }
  catch (error) {
    await rm(temp, { force: true })
    throw error
  }
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
