import type { MaybeRefOrGetter } from 'vue'

/**
 * The current time in ms, ticking every `intervalMs` in the browser while `active` holds; null on the
 * server and until the component is mounted, so what it computes renders the same on both sides of
 * hydration (the server's clock is not the browser's).
 */
export function useNow(active: MaybeRefOrGetter<boolean>, intervalMs = 1000) {
  const now = ref<number | null>(null)
  onMounted(() => { now.value = Date.now() })
  usePolling(() => { now.value = Date.now() }, active, intervalMs)
  return now
}
