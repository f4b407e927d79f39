/**
 * Hosts the worker loop: takes the data folder's lock (a second server on the same folder exits
 * here), starts the job runner with the runtime config, resumes the jobs a previous process left
 * unfinished, and shuts down gracefully: on SIGTERM/SIGINT no new job is accepted (503), running jobs
 * are re-queued at once, and the process exits within NUXT_SHUTDOWN_TIMEOUT_MS whatever is still open.
 */
export default defineNitroPlugin((nitroApp) => {
  const config = useRuntimeConfig()
  const releaseLock = holdDataLock()
  const runner = startJobRunner({
    concurrency: Math.max(1, Number(config.concurrency) || 1),
    workers: Math.max(0, Number(config.workers) || 0),
    workerFile: config.engineWorker,
    maxQueued: Math.max(1, Number(config.maxQueued) || 1),
    artifactTtlSeconds: Math.max(0, Number(config.artifactTtl) || 0),
    warmupRows: Math.max(0, Number(config.warmupRows) || 0),
  })
  runner.start().catch(error => console.error('[jobs] could not resume unfinished jobs:', error))

  const shutdownTimeoutMs = Math.max(100, Number(config.shutdownTimeoutMs) || 8000)
  let runnerClosed = false
  const beginShutdown = (signal: string) => {
    console.info(`[server] ${signal}: accepting no new jobs, re-queuing running ones, exiting within ${shutdownTimeoutMs} ms`)
    // Nitro's own handler for the same signal stops listening, waits for open requests, then calls the
    // close hook below; this runs first so no job is accepted or keeps running meanwhile.
    void runner.close().then(() => { runnerClosed = true })
    setTimeout(() => {
      console.warn(`[server] requests still open after ${shutdownTimeoutMs} ms (NUXT_SHUTDOWN_TIMEOUT_MS): exiting now`)
      process.exit(runnerClosed ? 0 : 1)
    }, shutdownTimeoutMs).unref()
  }
  if (!import.meta.dev) for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, beginShutdown)

  nitroApp.hooks.hook('close', async () => {
    await runner.close()
    releaseLock()
  })
})

/** Takes the data folder's lock, released on exit however it comes; exits (1) when another server holds it. */
function holdDataLock(): () => void {
  try {
    const release = acquireDataLock(useDataDir())
    process.once('exit', release)
    return release
  }
  catch (error) {
    if (!(error instanceof DataDirLocked)) throw error
    console.error(`[lock] refusing to start: ${error.message}`)
    process.exit(1)
  }
}
