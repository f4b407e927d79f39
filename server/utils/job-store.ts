/**
 * The job store: job metadata in unstorage (atomic filesystem driver under `<dataDir>/jobs`). Nothing
 * is cached in memory: every read sees what is on disk.
 */
import { mkdir, readdir, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { storedJobRecordSchema, type Job, type JobRecord } from '#shared/schema'

const MOUNT = 'jobs'
let mountedAt: string | undefined

function jobStorage() {
  const base = join(useDataDir(), 'jobs')
  if (mountedAt !== base) {
    useStorage().mount(MOUNT, atomicFsDriver({ base }))
    mountedAt = base
  }
  return useStorage<JobRecord>(MOUNT)
}

const keyOf = (id: string) => `${id}.json`

/** Saves a job record (create or replace). */
export async function saveJob(job: JobRecord): Promise<void> {
  await jobStorage().setItem(keyOf(job.job_id), job)
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
}

/** What is wrong with a job record file, or null when it reads as the job its name says. */
async function recordProblem(path: string, id: string): Promise<string | null> {
  let value: unknown
  try {
    value = JSON.parse(await readFile(path, 'utf8'))
  }
  catch (error) {
    return `not JSON (${error instanceof Error ? error.message : String(error)})`
  }
  const parsed = storedJobRecordSchema.safeParse(value)
  if (!parsed.success) return `not a job record (${parsed.error.issues.slice(0, 3).map(i => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')})`
  if (parsed.data.job_id !== id) return `its job_id ${JSON.stringify(parsed.data.job_id)} is not its file name`
  return null
}

/**
 * Moves job records that cannot be read (truncated, corrupt, not a job) out of the way, to
 * `<dataDir>/quarantine/jobs/`, logging each, so the other jobs keep working and nothing is deleted.
 * Run at boot, before any job starts. Returns the quarantined file names.
 */
export async function quarantineUnreadableJobs(): Promise<string[]> {
  const dir = join(useDataDir(), 'jobs')
  const names = (await readdir(dir).catch(() => [] as string[])).filter(name => name.endsWith('.json'))
  const moved: string[] = []
  for (const name of names) {
    const problem = await recordProblem(join(dir, name), name.slice(0, -'.json'.length))
    if (!problem) continue
    const quarantine = join(useDataDir(), 'quarantine', 'jobs')
    await mkdir(quarantine, { recursive: true })
    const target = join(quarantine, `${new Date().toISOString().replace(/[:.]/g, '-')}-${name}`)
    await rename(join(dir, name), target)
    console.warn(`[jobs] quarantined unreadable job record ${name} to ${target}: ${problem}`)
    moved.push(name)
  }
  return moved
}

/** The public view of a job record. */
export function publicJob(record: JobRecord): Job {
  const { schema: _schema, attempts: _attempts, ...job } = record
  return job
}
