/**
 * Artifact expiry (NUXT_ARTIFACT_TTL): a finished job's `expires_at` is fixed when it finishes; once it
 * has passed, its file and sidecars are deleted by a periodic sweep and the record says `expired_at`.
 * Preview, metrics and download answer 410 from `expires_at` on, whether the sweep has run yet or not.
 */
import type { JobRecord } from '#shared/schema'

/** Whether a job's files are past their expiry. */
export function isExpired(job: Pick<JobRecord, 'expires_at' | 'expired_at'>, now = Date.now()): boolean {
  return job.expired_at !== null || (job.expires_at !== null && Date.parse(job.expires_at) <= now)
}

/** How often the sweep runs for a TTL: half of it, between 1 s and 1 min. */
export const sweepIntervalMs = (ttlSeconds: number) => Math.min(60_000, Math.max(1000, ttlSeconds * 500))

/** Deletes the files of every finished job past its expiry, recording it first; returns how many. */
export async function sweepExpiredArtifacts(now = Date.now()): Promise<number> {
  let swept = 0
  for (const listed of await listJobSummaries()) {
    if (listed.status !== 'done' || listed.expired_at !== null || !isExpired(listed, now)) continue
    // Re-read: a DELETE may have removed it since the list was taken.
    const job = await getJob(listed.job_id)
    if (!job || job.expired_at !== null) continue
    // The record goes first, so no reader finds a job that is not expired whose files are gone.
    await saveJob({ ...job, expired_at: new Date(now).toISOString() })
    await removeArtifacts(job.job_id, job.format, job.gzip)
    swept++
  }
  return swept
}
