import type { MaybeRefOrGetter } from 'vue'
import type { GenerateRequest, Job, JobList, JobStatus } from '#shared/schema'

/** Whether a job can still change. */
export const isUnfinished = (status: JobStatus) => status === 'queued' || status === 'running'

/** The jobs list (awaitable, like useFetch), refreshed every second while any job on it is unfinished. */
export function useJobs() {
  const request = useFetch<JobList>('/jobs', { key: 'jobs', query: { limit: 200 } })
  usePolling(request.refresh, () => Boolean(request.data.value?.jobs.some(job => isUnfinished(job.status))))
  return request
}

/**
 * One job (awaitable, like useFetch), kept live until it is finished: from the server-sent events of
 * GET /jobs/:id/events in the browser, falling back to polling GET /jobs/:id if the stream fails.
 */
export function useJob(id: MaybeRefOrGetter<string>) {
  const request = useFetch<Job>(() => `/jobs/${toValue(id)}`, { key: computed(() => `job-${toValue(id)}`) })
  const unfinished = () => Boolean(request.data.value && isUnfinished(request.data.value.status))
  const streaming = ref(false)
  let source: EventSource | undefined
  const close = () => {
    source?.close()
    source = undefined
    streaming.value = false
  }
  const open = () => {
    close()
    if (!unfinished() || typeof EventSource === 'undefined') return
    source = new EventSource(`/jobs/${toValue(id)}/events`)
    streaming.value = true
    source.onmessage = (message) => {
      request.data.value = JSON.parse(message.data) as Job
    }
    // The server ends the stream after a final status (closing it here first would abort the request);
    // any other end means the stream failed, and polling takes over while the job is unfinished.
    source.onerror = close
  }
  usePolling(request.refresh, () => !streaming.value && unfinished())
  onMounted(open)
  watch(() => toValue(id), () => { if (import.meta.client) open() })
  // A job started again (run again keeps the page) reopens the stream.
  watch(() => request.data.value?.status, (status, before) => { if (status && isUnfinished(status) && before && !isUnfinished(before)) open() })
  onBeforeUnmount(close)
  return request
}

/** How fast a running job writes rows and how long it has left, from its own timestamps. */
export function jobSpeed(job: Job, now = Date.now()): { rowsPerSecond: number | null; secondsLeft: number | null } {
  if (job.status !== 'running' || !job.started_at || job.rows_written <= 0) return { rowsPerSecond: null, secondsLeft: null }
  const elapsed = (now - Date.parse(job.started_at)) / 1000
  if (elapsed <= 0) return { rowsPerSecond: null, secondsLeft: null }
  const rowsPerSecond = job.rows_written / elapsed
  return { rowsPerSecond, secondsLeft: (job.rows - job.rows_written) / rowsPerSecond }
}

/**
 * A finished job's result (preview, metrics): null until `ready` holds, then fetched once, during the
 * server render when the job is already done.
 */
export function useJobResult<T>(key: MaybeRefOrGetter<string>, ready: MaybeRefOrGetter<boolean>, fetcher: () => Promise<T>) {
  return useAsyncData(() => toValue(key), () => (toValue(ready) ? fetcher() : Promise.resolve(null)), { watch: [() => toValue(ready)] })
}

/** Cancels a queued or running job, or deletes a finished one. */
export function deleteJob(id: string) {
  return $fetch(`/jobs/${id}`, { method: 'DELETE' })
}

/** The request body a generation request sends (what the wizard builds and curl repeats). */
export type GenerateBody = Partial<Omit<GenerateRequest, 'schema' | 'source'>> & {
  schema?: unknown
  source?: { dataset: string; columns?: Record<string, string> }
}

const REQUEST_KEY = 'sdaas:request:'

/** Remembers, in this browser, the request that made a job (inline schemas are not in the job record). */
export function rememberRequest(id: string, body: GenerateBody) {
  try {
    localStorage.setItem(REQUEST_KEY + id, JSON.stringify(body))
  }
  catch {
    // Storage full or disabled: "run again" then works only for template and dataset jobs.
  }
}

/**
 * The request that made a job: as remembered in this browser, else rebuilt from the job (template,
 * dataset with its type overrides) or, for an inline schema sent from elsewhere, from the schema the
 * job ran with (GET /jobs/:id/schema).
 */
export async function jobRequest(job: Job): Promise<GenerateBody> {
  const output: GenerateBody = { rows: job.rows, format: job.format, seed: job.seed }
  if (job.gzip) output.gzip = true
  if (job.escape_formulas) output.escape_formulas = true
  if (job.table) output.table = job.table
  if (import.meta.client) {
    const remembered = localStorage.getItem(REQUEST_KEY + job.job_id)
    if (remembered) return { ...(JSON.parse(remembered) as GenerateBody), ...output }
  }
  if (job.template) return { template: job.template, ...output }
  if (job.dataset) return { source: { dataset: job.dataset, ...(job.source_columns ? { columns: job.source_columns } : {}) }, ...output }
  return { schema: await $fetch(`/jobs/${job.job_id}/schema`), ...output }
}

/** Submits a generation request; returns the new job's id. */
export async function submitJob(body: GenerateBody): Promise<string> {
  const { job_id: id } = await $fetch<{ job_id: string }>('/generate', { method: 'POST', body })
  rememberRequest(id, body)
  return id
}

/** A fresh random seed. */
export const randomSeed = () => Math.floor(Math.random() * 2 ** 31)
