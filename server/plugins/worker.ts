/**
 * Hosts the worker loop: starts the job runner with the runtime config, resumes the jobs a previous
 * process left unfinished, and stops the runner (and its threads) on Nitro's close hook.
 */
export default defineNitroPlugin((nitroApp) => {
  const config = useRuntimeConfig()
  const runner = startJobRunner({
    concurrency: Math.max(1, Number(config.concurrency) || 1),
    workers: Math.max(0, Number(config.workers) || 0),
    workerFile: config.engineWorker,
  })
  runner.start().catch(error => console.error('[jobs] could not resume unfinished jobs:', error))
  nitroApp.hooks.hook('close', () => runner.close())
})
