/**
 * The job store: job metadata in unstorage (atomic filesystem driver under `<dataDir>/jobs`), and an
 * index for GET /jobs under `<dataDir>/job-index`: one small file per job with its public fields (no
 * schema), named by its place in the list (`<created_at>~<id>.json`), so a page is found from the
 * file names alone and only the page's files are read. Nothing is cached in memory: every read sees
 * what is on disk.
 */
import { EventEmitter } from 'node:events'
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { jobSchema, storedJobRecordSchema, type Job, type JobList, type JobRecord } from '#shared/schema'

const jobStorage = () => dataStorage<JobRecord>('jobs', 'jobs')

const keyOf = (id: string) => `${id}.json`

/** Tells listeners (GET /jobs/:id/events) that a job's record was written or removed, by its id. */
const changes = new EventEmitter().setMaxListeners(0)

/** Calls `listener` after each write or removal of job `id`'s record; returns the unsubscribe function. */
export function onJobChange(id: string, listener: () => void): () => void {
  changes.on(id, listener)
  return () => changes.off(id, listener)
}

/**
 * The writes of each job in flight, chained: a job's index entry is written after its record, and
 * the next write of that job waits for both, so the entry always follows the record's last write.
 */
const writing = new Map<string, Promise<void>>()

function serialized(id: string, write: () => Promise<void>): Promise<void> {
  const next = (writing.get(id) ?? Promise.resolve()).catch(() => {}).then(write)
  writing.set(id, next)
  void next.catch(() => {}).finally(() => {
    if (writing.get(id) === next) writing.delete(id)
  })
  return next
}

/** Saves a job record (create or replace), then its index entry. */
export function saveJob(job: JobRecord): Promise<void> {
  return serialized(job.job_id, async () => {
    await jobStorage().setItem(keyOf(job.job_id), job)
    await writeIndexEntry(publicJob(job))
    changes.emit(job.job_id)
  })
}

/** One job, or null when unknown (or unreadable). */
export async function getJob(id: string): Promise<JobRecord | null> {
  const raw = await jobStorage().getItem(keyOf(id))
  if (raw === null) return null
  const parsed = storedJobRecordSchema.safeParse(raw)
  if (!parsed.success) {
    console.error(`[jobs] unreadable job record ${id}:`, parsed.error.message)
    return null
  }
  return parsed.data
}

/**
 * Every job's full record, newest first (ties broken by id, so the order is total). Reads every
 * record, schema included: for boot recovery; GET /jobs reads the index (listJobPage).
 */
export async function listJobs(): Promise<JobRecord[]> {
  const storage = jobStorage()
  const keys = (await storage.getKeys()).filter(key => key.endsWith('.json'))
  const jobs = await Promise.all(keys.map(key => getJob(key.slice(0, -'.json'.length))))
  return jobs.filter(job => job !== null).sort(newestFirst)
}

/** The order of GET /jobs. */
export function newestFirst(a: Pick<Job, 'created_at' | 'job_id'>, b: Pick<Job, 'created_at' | 'job_id'>): number {
  return b.created_at.localeCompare(a.created_at) || b.job_id.localeCompare(a.job_id)
}

/** Removes a job's record, then its index entry. */
export function removeJob(id: string): Promise<void> {
  return serialized(id, async () => {
    await jobStorage().removeItem(keyOf(id))
    await removeIndexEntries(id)
    changes.emit(id)
  })
}

/**
 * Moves job records that cannot be read (truncated, corrupt, not a job, another job's id) to
 * `<dataDir>/quarantine/jobs/`. Run at boot, before any job starts. Returns the quarantined file names.
 */
export function quarantineUnreadableJobs(): Promise<string[]> {
  return quarantineUnreadable('jobs', [recordRule('job record', name => name.endsWith('.json'), storedJobRecordSchema,
    (job, id) => (job.job_id === id ? null : `its job_id ${JSON.stringify(job.job_id)} is not its file name`))])
}

/** The public view of a job record. */
export function publicJob(record: JobRecord): Job {
  const { schema: _schema, attempts: _attempts, ...job } = record
  return job
}

/** Where a job stands in the list: what its index entry's name holds. */
type ListPlace = Pick<Job, 'created_at' | 'job_id'>

const jobsDir = () => join(useDataDir(), 'jobs')

/** The index folder, created on first use. */
async function indexDir(): Promise<string> {
  const dir = join(useDataDir(), 'job-index')
  await mkdir(dir, { recursive: true })
  return dir
}

const ENTRY_SEPARATOR = '~'
const entryName = (place: ListPlace) => `${encodeURIComponent(place.created_at)}${ENTRY_SEPARATOR}${place.job_id}.json`

/** The place an index entry's file name stands for, or null for a file that is not an entry. */
function placeOf(name: string): ListPlace | null {
  const match = /^([^~]+)~([0-9a-f-]{36})\.json$/.exec(name)
  if (!match) return null
  try {
    return { created_at: decodeURIComponent(match[1]!), job_id: match[2]! }
  }
  catch {
    return null
  }
}

async function writeIndexEntry(job: Job): Promise<void> {
  await writeJsonAtomic(join(await indexDir(), entryName(job)), job)
}

/** Removes every index entry of a job (there is one, unless a crash left another). */
async function removeIndexEntries(id: string): Promise<void> {
  const dir = await indexDir()
  const names = (await readdir(dir)).filter(name => placeOf(name)?.job_id === id)
  await Promise.all(names.map(name => rm(join(dir, name), { force: true })))
}

/** The ids with a record, from the file names only. */
async function recordIds(): Promise<Set<string>> {
  const names = await readdir(jobsDir()).catch(() => [] as string[])
  return new Set(names.filter(name => /^[0-9a-f-]{36}\.json$/.test(name)).map(name => name.slice(0, -'.json'.length)))
}

/**
 * A job as its index entry shows it, or, when the entry is unreadable or older than the record (a
 * crash between the two writes), as its record does.
 */
async function indexedJob(dir: string, name: string, id: string): Promise<Job | null> {
  const [entry, record] = await Promise.all([stat(join(dir, name)).catch(() => null), stat(join(jobsDir(), keyOf(id))).catch(() => null)])
  if (entry && record && entry.mtimeMs >= record.mtimeMs) {
    const parsed = jobSchema.safeParse(await readFile(join(dir, name), 'utf8').then(JSON.parse, () => null))
    if (parsed.success) return parsed.data
  }
  const full = await getJob(id)
  return full && publicJob(full)
}

/**
 * One page of GET /jobs: the `limit` jobs after `after` (newest first, as newestFirst orders them)
 * and whether more follow. The order comes from file names alone (the index's, and the records' for
 * jobs without an entry, read whole: written by a version before the index); only the page's entries
 * are read, so the time and memory of a page do not grow with the schemas, only with a name per job.
 */
export async function listJobPage(after: ListPlace | undefined, limit: number): Promise<{ jobs: Job[]; more: boolean }> {
  const { dir, places } = await listedPlaces()
  const start = after ? places.findIndex(place => newestFirst(after, place) < 0) : 0
  if (start < 0) return { jobs: [], more: false }
  return { jobs: await jobsAt(dir, places.slice(start, start + limit)), more: start + limit < places.length }
}

/** Where a job stands in the list, and how to read it: its index entry's name, or its record already read. */
type ListedPlace = ListPlace & { job?: Job; name?: string }

/**
 * Every job's place in the list, newest first, from the file names (the index's, and the records' for
 * jobs without an entry, read whole: written by a version before the index).
 */
async function listedPlaces(): Promise<{ dir: string; places: ListedPlace[] }> {
  const dir = await indexDir()
  const [ids, names] = await Promise.all([recordIds(), readdir(dir)])
  const entries = new Map<string, { place: ListPlace; name: string }>()
  for (const name of names) {
    const place = placeOf(name)
    if (place && ids.has(place.job_id)) entries.set(place.job_id, { place, name })
  }
  const unindexed = await Promise.all([...ids].filter(id => !entries.has(id)).map(getJob))
  const places: ListedPlace[] = [
    ...[...entries.values()].map(({ place, name }) => ({ ...place, name })),
    ...unindexed.filter(job => job !== null).map(job => ({ created_at: job.created_at, job_id: job.job_id, job: publicJob(job) })),
  ].sort(newestFirst)
  return { dir, places }
}

/** The jobs of some places, as their entries (or records) show them. */
async function jobsAt(dir: string, places: ListedPlace[]): Promise<Job[]> {
  const jobs = await Promise.all(places.map(place => place.job ?? indexedJob(dir, place.name!, place.job_id)))
  return jobs.filter(job => job !== null)
}

/** A page's `next_cursor`: where the page's last job stands in the list, opaque to clients. */
const encodeCursor = (place: ListPlace) => Buffer.from(`${place.created_at}|${place.job_id}`).toString('base64url')

/** The place a `cursor` stands for: a 400 on `cursor` for anything encodeCursor did not make. */
function decodeCursor(cursor: string): ListPlace {
  const [created_at, job_id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|')
  if (!created_at || !job_id || Number.isNaN(Date.parse(created_at))) throw badRequest([{ path: 'cursor', message: 'is not a cursor from next_cursor' }])
  return { created_at, job_id }
}

/** GET /jobs: the `limit` jobs after `cursor` (a page's `next_cursor`; none: from the newest), and the next cursor. */
export async function jobListPage(cursor: string | undefined, limit: number): Promise<JobList> {
  const after = cursor === undefined ? undefined : decodeCursor(cursor)
  const { jobs, more } = await listJobPage(after, limit)
  return { jobs, next_cursor: more && jobs.length ? encodeCursor(jobs.at(-1)!) : null }
}

/** Every job's public fields, newest first, from the index (for sweeps that need no schema). */
export async function listJobSummaries(): Promise<Job[]> {
  const { dir, places } = await listedPlaces()
  const all: Job[] = []
  // A thousand files open at a time, not one per job.
  for (let start = 0; start < places.length; start += 1000) all.push(...await jobsAt(dir, places.slice(start, start + 1000)))
  return all
}

/**
 * Makes the index match the records: writes the entry of every readable record (written by a version
 * before the index, or left stale by a crash between the two writes) and removes entries of jobs that
 * have no record. Reads every record: run at boot, after quarantineUnreadableJobs and before any job
 * starts (recoverJobs in boot.ts). Returns how many entries it wrote and removed.
 */
export async function rebuildJobIndex(): Promise<{ written: number; removed: number }> {
  const dir = await indexDir()
  const ids = await recordIds()
  const names = await readdir(dir)
  const kept = new Set<string>()
  let written = 0
  for (const id of ids) {
    const record = await getJob(id)
    if (!record) continue
    const job = publicJob(record)
    const name = entryName(job)
    kept.add(name)
    const stored = await readFile(join(dir, name), 'utf8').catch(() => null)
    if (stored === JSON.stringify(job)) continue
    await writeIndexEntry(job)
    written++
  }
  const stale = names.filter(name => !kept.has(name))
  await Promise.all(stale.map(name => rm(join(dir, name), { force: true })))
  return { written, removed: stale.length }
}
