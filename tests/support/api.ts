import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { expect } from 'vitest'
import { fetch, url } from '@nuxt/test-utils/e2e'
import type { Job } from '#shared/schema'

/** POSTs JSON to the server under test. */
export function postJson(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })
}

/** Submits a generation request and returns the new job's id (asserting the 202 contract). */
export async function submit(body: unknown): Promise<string> {
  const response = await postJson('/generate', body)
  const payload = await response.json() as { job_id: string; status: string }
  expect(response.status, JSON.stringify(payload)).toBe(202)
  expect(payload.status).toBe('queued')
  expect(response.headers.get('location')).toBe(`/jobs/${payload.job_id}`)
  return payload.job_id
}

export async function getJob(id: string): Promise<Job> {
  const response = await fetch(`/jobs/${id}`)
  expect(response.status).toBe(200)
  return await response.json() as Job
}

/** Polls GET /jobs/:id until the job leaves queued/running. */
export async function waitForJob(id: string, timeoutMs = 90_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const job = await getJob(id)
    if (job.status !== 'queued' && job.status !== 'running') return job
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/**
 * One HTTP request sent exactly as given, path bytes included (no URL normalisation: `%2e%2e`,
 * `..%2f` and malformed escapes reach the server as written), to the server under test.
 */
export function rawRequest(method: string, path: string, options: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  const base = new URL(url('/'))
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: base.hostname, port: base.port, method, path, headers: options.headers }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }))
      response.on('error', reject)
    })
    request.on('error', reject)
    request.end(options.body)
  })
}
