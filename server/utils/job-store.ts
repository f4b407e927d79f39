/**
 * The job store: job metadata in unstorage (atomic filesystem driver under `<dataDir>/jobs`). Nothing
 * is cached in memory: every read sees what is on disk.
 */
import { EventEmitter } from 'node:events'
import { storedJobRecordSchema, type Job, type JobRecord } from '#shared/schema'

const jobStorage = () => dataStorage<JobRecord>('jobs', 'jobs')

const keyOf = (id: string) => `${id}.json`

/** Tells listeners (GET /jobs/:id/events) that a job's record was written or removed, by its id. */
const changes = new EventEmitter().setMaxListeners(0)

/** Calls `listener` after each write or removal of job `id`'s record; returns the unsubscribe function. */
export function onJobChange(id: string, listener: () => void): () => void {
  changes.on(id, listener)
  return () => changes.off(id, listener)
}

/** Saves a job record (create or replace). */
export async function saveJob(job: JobRecord): Promise<void> {
  await jobStorage().setItem(keyOf(job.job_id), job)
  changes.emit(job.job_id)
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

/** Every job, newest first (ties broken by id, so the order is total and pages are stable). */
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

/** Removes a job's record. */
export async function removeJob(id: string): Promise<void> {
  await jobStorage().removeItem(keyOf(id))
  changes.emit(id)
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
