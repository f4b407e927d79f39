/** GET /healthz — liveness: the server answers and its data folder is writable. */
import { access, constants } from 'node:fs/promises'

export default defineEventHandler(async () => {
  await access(await artifactDir(), constants.W_OK)
  return { status: 'ok' } satisfies { status: 'ok' }
})
