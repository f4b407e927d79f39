import type { MaybeRefOrGetter } from 'vue'

/**
 * Calls `tick` every `intervalMs` while `active` holds, only in the browser, and stops for good when
 * the component unmounts.
 */
export function usePolling(tick: () => unknown, active: MaybeRefOrGetter<boolean>, intervalMs = 1000) {
  let timer: ReturnType<typeof setTimeout> | undefined
  let mounted = false
  const loop = async () => {
    timer = undefined
    if (!mounted || !toValue(active)) return
    await tick()
    if (mounted && toValue(active)) timer = setTimeout(loop, intervalMs)
  }
  onMounted(() => {
    mounted = true
    watch(() => toValue(active), (on) => {
      if (on && !timer) timer = setTimeout(loop, intervalMs)
    }, { immediate: true })
  })
  onBeforeUnmount(() => {
    mounted = false
    clearTimeout(timer)
  })
}
