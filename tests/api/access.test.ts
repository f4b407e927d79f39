import { createHash } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { fetch, url } from '@nuxt/test-utils/e2e'
import type { Job } from '#shared/schema'
import { tempDataDir } from '../support/data-dir'
import { setupBuiltServer } from '../support/e2e'
import { spawnServer, stopProcess, type ServerProcess } from '../support/server-process'

const KEY = 'test-key-4f1c2a9b7e6d5c3b'
const OTHER_KEY = 'second-key-0a1b2c3d4e5f6a7b'
const ALLOWED = 'https://allowed.example'
await setupBuiltServer({ NUXT_DATA_DIR: tempDataDir(), NUXT_API_KEY: `${KEY},${OTHER_KEY}`, NUXT_CORS_ORIGINS: `${ALLOWED}, https://other.example`, NUXT_RATE_LIMIT: '0' })

const UNKNOWN = '0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d'
const bearer = (key = KEY) => ({ authorization: `Bearer ${key}` })
const json = { 'content-type': 'application/json' }
const order = JSON.stringify({ template: 'orders', rows: 10, seed: 1 })

async function submitWith(headers: Record<string, string>): Promise<Response> {
  return fetch('/generate', { method: 'POST', headers: { ...json, ...headers }, body: order })
}

describe('NUXT_API_KEY', () => {
  const routes: [string, string][] = [
    ['GET', '/jobs'], ['GET', `/jobs/${UNKNOWN}`], ['DELETE', `/jobs/${UNKNOWN}`], ['POST', '/generate'], ['GET', `/preview/${UNKNOWN}`],
    ['GET', `/metrics/${UNKNOWN}`], ['GET', `/download/${UNKNOWN}`], ['GET', '/templates'], ['GET', '/templates/customers'], ['GET', '/schema.json'],
    ['GET', '/datasets'], ['POST', '/datasets'], ['GET', `/datasets/${UNKNOWN}`], ['GET', `/datasets/${UNKNOWN}/model`], ['DELETE', `/datasets/${UNKNOWN}`], ['GET', '/no-such-route'],
  ]

  it('every API route answers 401 JSON with WWW-Authenticate without a key, or with a wrong one', async () => {
    const wrong: Record<string, string>[] = [{}, bearer('nope'), bearer(`${KEY}x`), bearer(KEY.slice(0, -1)), { 'x-api-key': `${KEY} ${OTHER_KEY}` }, { authorization: KEY }, { authorization: `Basic ${KEY}` }]
    for (const [method, path] of routes) {
      for (const headers of wrong) {
        const response = await fetch(path, { method, headers: { ...json, ...headers }, body: method === 'POST' ? order : undefined })
        expect(response.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401)
        expect(response.headers.get('www-authenticate')).toBe('Bearer realm="SDaaS"')
        expect(await response.json()).toMatchObject({ statusCode: 401, message: expect.stringMatching(/Authorization: Bearer <key> or X-API-Key/) })
      }
    }
  })

  it('accepts either configured key, as Authorization: Bearer or as X-API-Key', async () => {
    for (const headers of [bearer(), bearer(OTHER_KEY), { 'x-api-key': KEY }, { 'x-api-key': OTHER_KEY }, { authorization: `bearer  ${KEY}` }]) {
      expect((await fetch('/templates', { headers })).status, JSON.stringify(headers)).toBe(200)
    }
    const created = await submitWith({ 'x-api-key': OTHER_KEY })
    expect(created.status).toBe(202)
    expect((await fetch(`/jobs/${(await created.json()).job_id}`, { headers: bearer() })).status).toBe(200)
  })

  it('leaves /healthz, the sign-in routes and page, and static files open', async () => {
    expect((await fetch('/healthz')).status).toBe(200)
    expect(await (await fetch('/auth/session')).json()).toEqual({ auth_required: true, signed_in: false })
    expect(await (await fetch('/auth/session', { headers: bearer() })).json()).toEqual({ auth_required: true, signed_in: true })
    const login = await fetch('/app/login')
    expect(login.status).toBe(200)
    const html = await login.text()
    expect(html).toContain('API key')
    const asset = /\/_nuxt\/[^"]+\.js/.exec(html)![0]
    expect((await fetch(asset)).status).toBe(200)
    expect((await fetch('/favicon.svg')).status).toBe(200)
  })

  it('sends a browser without a session from the pages to /app/login', async () => {
    for (const path of ['/app', '/app/new', `/app/jobs/${UNKNOWN}`]) {
      const response = await fetch(path, { redirect: 'manual' })
      expect(response.status, path).toBe(302)
      expect(response.headers.get('location')).toBe(`/app/login?next=${encodeURIComponent(path)}`)
    }
  })

  it('signs a browser in with an HttpOnly SameSite=Strict cookie holding a token (not the key), which the API and pages accept, until it signs out', async () => {
    const refused = await fetch('/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ key: 'wrong' }) })
    expect(refused.status).toBe(401)
    expect(refused.headers.get('set-cookie')).toBeNull()
    expect((await fetch('/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ key: KEY, extra: 1 }) })).status).toBe(400)

    const login = await fetch('/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ key: KEY }) })
    expect(login.status).toBe(204)
    const setCookie = login.headers.get('set-cookie')!
    const [pair, ...attributes] = setCookie.split(';').map(s => s.trim())
    const [name, token] = pair!.split('=')
    expect(name).toBe('sdaas_session')
    expect(token!.length).toBeGreaterThanOrEqual(32)
    expect(token).not.toContain(KEY)
    expect(setCookie).not.toContain(KEY)
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/', 'Max-Age=43200']))
    const cookie = { cookie: `sdaas_session=${token}` }

    expect((await fetch('/jobs', { headers: cookie })).status).toBe(200)
    const created = await submitWith(cookie)
    expect(created.status).toBe(202)
    const { job_id: id } = await created.json() as { job_id: string }
    // The pages render with the session, data fetched on the server included.
    const page = await fetch(`/app/jobs/${id}`, { headers: cookie, redirect: 'manual' })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain(id.slice(0, 8))
    expect(await (await fetch('/auth/session', { headers: cookie })).json()).toEqual({ auth_required: true, signed_in: true })

    const logout = await fetch('/auth/logout', { method: 'POST', headers: cookie })
    expect(logout.status).toBe(204)
    expect(logout.headers.get('set-cookie')).toMatch(/^sdaas_session=;.*Max-Age=0/)
    expect((await fetch('/jobs', { headers: cookie })).status).toBe(401)
    expect((await fetch('/app', { headers: cookie, redirect: 'manual' })).status).toBe(302)
    expect((await fetch('/jobs', { headers: { cookie: 'sdaas_session=forged-token-value' } })).status).toBe(401)
  })
})

describe('NUXT_CORS_ORIGINS', () => {
  it('echoes an allowed origin with Vary: Origin, and answers its preflight 204', async () => {
    const response = await fetch('/templates', { headers: { ...bearer(), origin: ALLOWED } })
    expect(response.status).toBe(200)
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED)
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/)
    expect(response.headers.get('access-control-expose-headers')).toContain('Location')

    const preflight = await fetch('/generate', { method: 'OPTIONS', headers: { 'origin': ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ALLOWED)
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST')
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization.*Content-Type/)
    expect(preflight.headers.get('vary')).toMatch(/\bOrigin\b/)

    expect((await submitWith({ ...bearer(), origin: ALLOWED })).status).toBe(202)
    expect((await fetch('/templates', { headers: { ...bearer(), origin: 'https://other.example' } })).headers.get('access-control-allow-origin')).toBe('https://other.example')
  })

  it('gives other origins no CORS headers, and refuses their preflights and state-changing requests with 403', async () => {
    const evil = 'https://evil.example'
    const read = await fetch('/templates', { headers: { ...bearer(), origin: evil } })
    expect(read.status).toBe(200)
    expect(read.headers.get('access-control-allow-origin')).toBeNull()

    const preflight = await fetch('/generate', { method: 'OPTIONS', headers: { 'origin': evil, 'access-control-request-method': 'POST' } })
    expect(preflight.status).toBe(403)
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()

    const before = ((await (await fetch('/jobs', { headers: bearer() })).json()).jobs as Job[]).length
    for (const origin of [evil, 'null', `${ALLOWED}.evil.example`, 'http://allowed.example']) {
      const post = await submitWith({ ...bearer(), origin })
      expect(post.status, origin).toBe(403)
      expect(await post.json()).toMatchObject({ statusCode: 403, message: `origin ${origin} is not allowed (NUXT_CORS_ORIGINS)` })
    }
    const [job] = (await (await fetch('/jobs', { headers: bearer() })).json()).jobs as Job[]
    expect((await fetch(`/jobs/${job!.job_id}`, { method: 'DELETE', headers: { ...bearer(), origin: evil } })).status).toBe(403)
    expect(((await (await fetch('/jobs', { headers: bearer() })).json()).jobs as Job[]).length).toBe(before)
  })

  it('lets this server\'s own pages post (same origin)', async () => {
    const self = new URL(url('/')).origin
    expect((await submitWith({ ...bearer(), origin: self })).status).toBe(202)
  })
})

describe('security headers', () => {
  it('on API answers: nosniff, no referrer, no framing, and a CSP that allows nothing', async () => {
    for (const response of [await fetch('/jobs', { headers: bearer() }), await fetch('/jobs'), await fetch('/healthz')]) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('referrer-policy')).toBe('no-referrer')
      expect(response.headers.get('x-frame-options')).toBe('DENY')
      expect(response.headers.get('content-security-policy')).toBe('default-src \'none\'; frame-ancestors \'none\'')
    }
  })

  it('on pages: a CSP that allows this origin\'s scripts and exactly the page\'s inline scripts by hash', async () => {
    const response = await fetch('/app/login')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('x-frame-options')).toBe('DENY')
    const csp = response.headers.get('content-security-policy')!
    expect(csp).toContain('default-src \'self\'')
    expect(csp).toContain('frame-ancestors \'none\'')
    expect(csp).toContain('object-src \'none\'')
    const html = await response.text()
    const inline = [...html.matchAll(/<script\b(?![^>]*\bsrc=)([^>]*)>([\s\S]*?)<\/script>/g)].filter(m => !/application\/json/.test(m[1]!))
    expect(inline.length).toBeGreaterThan(0)
    const hashes = inline.map(m => `'sha256-${createHash('sha256').update(m[2]!).digest('base64')}'`)
    expect(/script-src ([^;]+)/.exec(csp)![1]!.split(' ').sort()).toEqual(['\'self\'', ...new Set(hashes)].sort())
  })
})

describe('NUXT_RATE_LIMIT', () => {
  const servers: ServerProcess[] = []
  afterAll(async () => {
    for (const server of servers) await stopProcess(server, 'SIGKILL')
  })

  it('answers 429 with Retry-After per client address, per key, and is not fooled by X-Forwarded-For', async () => {
    const server = await spawnServer({ NUXT_DATA_DIR: tempDataDir(), NUXT_RATE_LIMIT: '5', NUXT_API_KEY: `${KEY},${OTHER_KEY}` })
    servers.push(server)
    const get = (headers: Record<string, string> = {}) => server.fetch('/templates', { headers })
    // Anonymous requests count against the address, refused or not.
    for (let i = 0; i < 5; i++) expect((await get({ 'x-forwarded-for': `198.51.100.${i}` })).status).toBe(401)
    const limited = await get({ 'x-forwarded-for': '203.0.113.7' })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('12')
    expect(await limited.json()).toMatchObject({ statusCode: 429, message: expect.stringMatching(/more than 5 requests a minute/) })
    expect((await server.fetch('/healthz')).status).toBe(200)

    // Each key has its own bucket.
    for (let i = 0; i < 5; i++) expect((await get(bearer())).status).toBe(200)
    expect((await get(bearer())).status).toBe(429)
    expect((await get({ 'x-api-key': KEY })).status).toBe(429)
    expect((await get(bearer(OTHER_KEY))).status).toBe(200)
  })

  it('counts X-Forwarded-For from a trusted proxy only, taking the right-most address that is not a proxy', async () => {
    const server = await spawnServer({ NUXT_DATA_DIR: tempDataDir(), NUXT_RATE_LIMIT: '3', NUXT_TRUSTED_PROXIES: '10.9.9.9, 127.0.0.0/8' })
    servers.push(server)
    const get = (forwardedFor: string) => server.fetch('/templates', { headers: { 'x-forwarded-for': forwardedFor } }).then(r => r.status)
    for (let i = 0; i < 3; i++) expect(await get('192.0.2.1')).toBe(200)
    expect(await get('192.0.2.1')).toBe(429)
    // A client cannot escape by prepending addresses; proxies on the way are skipped.
    expect(await get('203.0.113.50, 192.0.2.1')).toBe(429)
    expect(await get('192.0.2.1, 10.9.9.9')).toBe(429)
    expect(await get('192.0.2.2')).toBe(200)
  })
})
