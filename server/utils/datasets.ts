/**
 * The dataset store: uploaded CSV samples under `<dataDir>/datasets/<id>.csv` (received by upload.ts)
 * with their profile and fitted model in unstorage beside the jobs.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
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

/**
 * POST /datasets: receives the upload (at most `limit` bytes), profiles it and fits its model in a
 * worker thread, then saves the file, the model and the record, which it returns. A 400 for a file the
 * profiler or the schema language cannot use, a 503 when the server is shutting down: then no file is kept.
 */
export async function createDataset(event: H3Event, limit: number): Promise<DatasetRecord> {
  const id = randomUUID()
  const path = await datasetFile(id)
  const { bytes, filename } = await receiveUpload(event, path, limit)
  const result = await useJobRunner().engine.profile(path).catch(async (error: unknown) => {
    // The server is shutting down (a 503), or the profiler failed: keep no file nobody can reach.
    await rm(path, { force: true })
    throw error
  })
  // A model the schema language cannot hold would only fail later, as an "unknown dataset".
  const model = result.ok ? generationSchema.safeParse(result.model) : undefined
  if (!result.ok || !model?.success) {
    await rm(path, { force: true })
    const issues = !result.ok
      ? [{ path: '(body)', message: result.message }]
      : model!.error!.issues.map(issue => ({ path: '(body)', message: `the model fitted to this file is not usable: ${issue.path.join('.')}: ${issue.message}` }))
    throw badRequest(issues, 'Unusable CSV')
  }
  const name = (getRequestHeader(event, 'x-filename') ?? filename)?.slice(0, 200) ?? null
  const record: DatasetRecord = { dataset_id: id, name, bytes, created_at: new Date().toISOString(), ...result.profile }
  await saveDatasetModel(id, model.data)
  await saveDataset(record)
  return record
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
