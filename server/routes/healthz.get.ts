/**
 * GET /healthz — the server answers, has finished booting (recovery of the previous run's jobs, then
 * the engine's warm-up), and its data folder is writable; 503 while it boots and once it is shutting
 * down, so a load balancer sends it work only when it can take it. Open even when NUXT_API_KEY is set.
 */
import { access, constants } from 'node:fs/promises'

export default defineEventHandler(async () => {
  const runner = useJobRunner()
  if (!runner.accepting) throw retryLater(503, 'the server is shutting down', 5)
  if (!runner.recoveredAtBoot) throw retryLater(503, 'the server is starting: recovering the jobs of the previous run, then warming up', 1)
  await access(await artifactDir(), constants.W_OK)
  return { status: 'ok' } satisfies { status: 'ok' }
})
