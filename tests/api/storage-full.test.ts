import { execFileSync } from 'node:child_process'
import { closeSync, openSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { fetch } from '@nuxt/test-utils/e2e'
import { tempDataDir } from '../support/data-dir'
import { setupBuiltServer } from '../support/e2e'
import { postJson } from '../support/api'

/**
 * The data folder is a small tmpfs of its own, so the disk can really be filled (this needs root, as
 * in CI's container; elsewhere the file is skipped and says so).
 */
const dataDir = tempDataDir()
let mounted = false
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dataDir], { stdio: 'ignore' })
  mounted = true
}
catch {
  console.warn('[storage-full] cannot mount a tmpfs here (not root?): skipped')
}
if (mounted) await setupBuiltServer({ NUXT_DATA_DIR: dataDir })
afterAll(() => {
  // Lazy: the server still has the folder open until its own teardown.
  if (mounted) execFileSync('umount', ['-l', dataDir])
})

const filler = join(dataDir, 'filler')

/** Writes into the data folder until the disk is full. */
function fillDisk(): void {
  const fd = openSync(filler, 'w')
  const block = Buffer.alloc(64 * 1024, 1)
  try {
    for (;;) writeSync(fd, block)
  }
  catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC')
  }
  finally {
    closeSync(fd)
  }
}

async function waitForHealth(status: number): Promise<Response> {
  for (const deadline = Date.now() + 10_000; ; await new Promise(r => setTimeout(r, 100))) {
    const response = await fetch('/healthz')
    if (response.status === status || Date.now() > deadline) return response
  }
}

const column = { name: 'a', kind: 'integer', min: 0, max: 9 }

describe.runIf(mounted)('a full disk', () => {
  it('makes every write a 507 with a JSON error and Retry-After, and /healthz 503, until space is freed', async () => {
    expect((await fetch('/healthz')).status).toBe(200)
    fillDisk()
    const answers = [
      await postJson('/generate', { rows: 10, schema: { columns: [column] } }),
      await postJson('/templates', { name: 'full', title: 'Full', description: 'd', schema: { columns: [column] } }),
      await fetch('/datasets', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,2\n3,4\n' }),
    ]
    for (const response of answers) {
      expect(response.status, response.url).toBe(507)
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/)
      const body = await response.json()
      expect(body.statusCode).toBe(507)
      expect(body.message).toMatch(/ENOSPC/)
    }
    const health = await waitForHealth(503)
    expect(health.status).toBe(503)
    expect((await health.json()).message).toMatch(/cannot be written: ENOSPC/)

    rmSync(filler)
    expect((await waitForHealth(200)).status).toBe(200)
    expect((await postJson('/generate', { rows: 10, schema: { columns: [column] } })).status).toBe(202)
  })
})
