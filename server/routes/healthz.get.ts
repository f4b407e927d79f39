/**
 * GET /healthz — the server answers, has finished booting (recovery of the previous run's jobs, then
 * the engine's warm-up), and its data folder can be written (a small file is written and removed,
 * at most once a second); 503 while it boots, once it is shutting down and while the data folder
 * refuses writes (a full disk), so a load balancer sends it work only when it can take it. Open even
 * when NUXT_API_KEY is set.
 */
export default defineEventHandler(async () => {
  const runner = useJobRunner()
  if (!runner.accepting) throw retryLater(503, 'the server is shutting down', 5)
  if (!runner.recoveredAtBoot) throw retryLater(503, 'the server is starting: recovering the jobs of the previous run, then warming up', 1)
  const fault = await probeWritable(await artifactDir())
  if (fault) throw retryLater(503, `the data folder cannot be written: ${fault}`, 30)
  return { status: 'ok' } satisfies { status: 'ok' }
})
