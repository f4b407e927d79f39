import type { MaybeRefOrGetter } from 'vue'

/** The current time in ms, ticking every `intervalMs` in the browser while `active` holds. */
export function useNow(active: MaybeRefOrGetter<boolean>, intervalMs = 1000) {
  const now = ref(Date.now())
  usePolling(() => { now.value = Date.now() }, active, intervalMs)
  return now
}
