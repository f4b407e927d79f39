/** Runs the artifact expiry sweep (server/utils/expiry.ts) at boot and periodically, when NUXT_ARTIFACT_TTL is set. */
export default defineNitroPlugin((nitroApp) => {
  const ttl = Math.max(0, Number(useRuntimeConfig().artifactTtl) || 0)
  if (!ttl) return
  let sweeping = false
  const sweep = async () => {
    if (sweeping) return
    sweeping = true
    try {
      const swept = await sweepExpiredArtifacts()
      if (swept) console.info(`[jobs] deleted the files of ${swept} expired job(s)`)
    }
    catch (error) {
      console.error('[jobs] artifact expiry sweep failed:', error)
    }
    finally {
      sweeping = false
    }
  }
  void sweep()
  const timer = setInterval(sweep, sweepIntervalMs(ttl))
  timer.unref()
  nitroApp.hooks.hook('close', () => clearInterval(timer))
})
