/** From a POST /generate request to a queued job: the seed, the schema, the job's record. */
import { randomInt, randomUUID } from 'node:crypto'
import type { GenerationSchema, GenerateRequest, JobRecord } from '#shared/schema'

/**
 * Accepts a generation request: picks a seed when none is given, resolves and checks its schema (a
 * 400 naming the field), then submits the new job (a 503 when the queue is full or the server is
 * shutting down). Returns the queued job's record.
 */
export async function acceptJob(request: GenerateRequest): Promise<JobRecord> {
  // A seed is always recorded, so any job can be reproduced byte for byte.
  const seed = request.seed ?? randomInt(0, 2 ** 48 - 1)
  const schema = await resolveSchema(request, seed)
  const job = newJobRecord(request, seed, schema)
  await useJobRunner().queue.submit(job)
  return job
}

/** The record of a job not yet started, for a request with its seed and resolved schema. */
export function newJobRecord(request: GenerateRequest, seed: number, schema: GenerationSchema): JobRecord {
  return {
    job_id: randomUUID(),
    status: 'queued',
    progress: 0,
    rows: request.rows,
    rows_written: 0,
    format: request.format,
    gzip: request.gzip,
    escape_formulas: request.escape_formulas,
    table: request.format === 'sql' ? (request.table ?? request.template ?? 'dataset') : null,
    seed,
    template: request.template ?? null,
    dataset: request.source?.dataset ?? null,
    created_at: new Date().toISOString(),
    started_at: null,
    finished_at: null,
    bytes: null,
    sha256: null,
    expires_at: null,
    expired_at: null,
    schema,
    ...(request.source?.columns ? { source_columns: request.source.columns } : {}),
    attempts: 0,
  }
}
