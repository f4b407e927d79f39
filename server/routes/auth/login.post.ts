/**
 * POST /auth/login — `{ key }`: a browser signs in with the API key and gets a session cookie
 * (HttpOnly, SameSite=Strict; holds a random token, not the key): 204, or 401 for a wrong key.
 */
import { loginRequestSchema } from '#shared/schema'

export default defineEventHandler(async (event) => {
  const { key } = await validBody(event, loginRequestSchema)
  if (!authRequired()) throw createError({ statusCode: 404, statusMessage: 'Not Found', message: 'sign-in is off: this server has no NUXT_API_KEY' })
  if (matchKey(key) < 0) throw createError({ statusCode: 401, statusMessage: 'Unauthorized', message: 'wrong API key' })
  setCookie(event, SESSION_COOKIE, createSession(), { httpOnly: true, sameSite: 'strict', secure: isHttps(event), path: '/', maxAge: SESSION_SECONDS })
  setResponseStatus(event, 204, 'No Content')
  return null
})
