/** GET /auth/session — whether this server needs the API key, and whether the caller has it (key or session). */
import type { AuthSession } from '#shared/schema'

export default defineEventHandler((event) => {
  return { auth_required: authRequired(), signed_in: authPrincipal(event) !== null } satisfies AuthSession
})
