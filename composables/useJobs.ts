import type { MaybeRefOrGetter } from 'vue'
import type { Job, JobList, JobStatus } from '#shared/schema'

/** Whether a job can still change. */
export const isUnfinished = (status: JobStatus) => status === 'queued' || status === 'running'

/** The jobs list, refreshed every second while any job on it is unfinished. */
export function useJobs() {
  const { data, error, refresh } = useFetch<JobList>('/jobs', { key: 'jobs', query: { limit: 100 } })
  usePolling(refresh, () => Boolean(data.value?.jobs.some(job => isUnfinished(job.status))))
  return { jobs: computed(() => data.value?.jobs ?? []), error, refresh }
}

/** One job, refreshed every second until it is finished. */
export function useJob(id: MaybeRefOrGetter<string>) {
  const { data, error, refresh } = useFetch<Job>(() => `/jobs/${toValue(id)}`, { key: computed(() => `job-${toValue(id)}`) })
  usePolling(refresh, () => Boolean(data.value && isUnfinished(data.value.status)))
  return { job: data, error, refresh }
}

/** Cancels a queued or running job, or deletes a finished one. */
export function deleteJob(id: string) {
  return $fetch(`/jobs/${id}`, { method: 'DELETE' })
}
