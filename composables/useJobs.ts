import type { MaybeRefOrGetter } from 'vue'
import type { Job, JobList, JobStatus } from '#shared/schema'

/** Whether a job can still change. */
export const isUnfinished = (status: JobStatus) => status === 'queued' || status === 'running'

/** The jobs list (awaitable, like useFetch), refreshed every second while any job on it is unfinished. */
export function useJobs() {
  const request = useFetch<JobList>('/jobs', { key: 'jobs', query: { limit: 100 } })
  usePolling(request.refresh, () => Boolean(request.data.value?.jobs.some(job => isUnfinished(job.status))))
  return request
}

/** One job (awaitable, like useFetch), refreshed every second until it is finished. */
export function useJob(id: MaybeRefOrGetter<string>) {
  const request = useFetch<Job>(() => `/jobs/${toValue(id)}`, { key: computed(() => `job-${toValue(id)}`) })
  usePolling(request.refresh, () => Boolean(request.data.value && isUnfinished(request.data.value.status)))
  return request
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
