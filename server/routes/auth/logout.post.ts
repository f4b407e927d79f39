/** POST /auth/logout — ends the browser's session and clears its cookie (204). */
export default defineEventHandler((event) => {
  endSession(event)
  deleteCookie(event, SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: isHttps(event), path: '/' })
  setResponseStatus(event, 204, 'No Content')
  return null
})
