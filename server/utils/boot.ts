/**
 * Boot, before any job starts: what a killed process left half-written is quarantined or removed, the
 * jobs it left queued or running are queued again (charging a crash only to the job that may have
 * caused it), then the engine is warmed up with a small job.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { evaluateSchemaJob } from '~~/engine/report/declared'
import type { JobRecord } from '#shared/schema'
import type { EnginePool } from './engine-pool'
import { MAX_PREVIEW_ROWS } from '#shared/schema'
import { METRICS_SAMPLE_ROWS, type JobQueue } from './job-queue'

/** The template the warm-up generates: the one the New job page starts with. */
const WARMUP_TEMPLATE = 'customers'

/**
 * Removes what a killed process left half-written (unreadable records to the quarantine, a stale
 * job list index, temporary files), then queues the jobs it left queued or running, oldest first,
 * ahead of any submitted since this process started.
 */
export async function recoverJobs(queue: JobQueue): Promise<void> {
  // The shipped templates are read and validated now rather than by the first request that names one.
  getTemplates().catch(error => console.error('[templates]', error))
  await quarantineUnreadableJobs()
  const index = await rebuildJobIndex()
  if (index.written || index.removed) console.info(`[jobs] job list index: ${index.written} entr(ies) written, ${index.removed} removed`)
  await quarantineUnreadableDatasets()
  const swept = await sweepTemporaryFiles()
  if (swept) console.info(`[jobs] removed ${swept} temporary file(s) left by an interrupted run`)
  const unfinished = (await listJobs()).filter(job => job.status === 'queued' || job.status === 'running').reverse()
  const suspects = await requeueInterrupted(unfinished.filter(job => job.status === 'running'))
  queue.resume(unfinished.map(job => job.job_id), suspects)
  if (unfinished.length) console.info(`[jobs] resumed ${unfinished.length} unfinished job(s)`)
}

/**
 * Puts back in the queue the jobs left running, which a crash interrupted, and returns their ids: the
 * suspects. Only a job that was running alone is known to be the one that may have caused it: when
 * several were, none is charged the attempt, and each runs alone from now on, so a job that crashes
 * the process again is charged on its own.
 */
async function requeueInterrupted(interrupted: JobRecord[]): Promise<string[]> {
  const suspects: string[] = []
  for (const job of interrupted) {
    // Re-read: a DELETE may have canceled it since the list was taken.
    const current = await getJob(job.job_id)
    if (current?.status !== 'running') continue
    const attempts = interrupted.length > 1 ? Math.max(0, current.attempts - 1) : current.attempts
    await saveJob({ ...current, status: 'queued', progress: 0, rows_written: 0, started_at: null, attempts })
    suspects.push(job.job_id)
  }
  return suspects
}

/**
 * Runs a small job of the default template the way jobs run (chunks in the workers, the writer,
 * the evaluator), into a temporary folder outside the data folder that is removed after, so that
 * V8 has compiled the hot code before the first real job: without it, that job spends its first
 * chunks in slower, not yet optimised code (about 10% of a 1M-row job). The workers keep the
 * template's compile (compileCached), which jobs of it then reuse. A failure is only logged.
 */
export async function warmUpEngine(engine: EnginePool, rows: number): Promise<void> {
  if (rows <= 0 || !engine.open) return
  const template = (await getTemplates().catch(() => undefined))?.get(WARMUP_TEMPLATE)
  if (!template) return
  const started = performance.now()
  let dir: string | undefined
  try {
    dir = await mkdtemp(join(tmpdir(), 'sdaas-warmup-'))
    const spec = { schema: template.schema, rows, format: 'csv' as const, seed: 1, sampleSize: METRICS_SAMPLE_ROWS, previewRows: MAX_PREVIEW_ROWS }
    evaluateSchemaJob(template.schema, await engine.generate(spec, { path: join(dir, 'warmup.csv') }))
    console.info(`[jobs] warmed up with ${rows} rows of ${WARMUP_TEMPLATE} in ${Math.round(performance.now() - started)} ms`)
  }
  catch (error) {
    // No temporary folder (a read-only TMPDIR, say): jobs run all the same, only colder. Closing
    // the pool (shutdown during boot) ends it too.
    if (engine.open) console.warn('[jobs] warm-up failed (jobs run anyway):', error)
  }
  finally {
    if (dir) await rm(dir, { recursive: true, force: true })
  }
}
