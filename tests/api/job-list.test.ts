import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fetch, useTestContext } from '@nuxt/test-utils/e2e'
import { tempDataDir } from '../support/data-dir'
import { setupBuiltServer } from '../support/e2e'
import { submit, waitForJob } from '../support/api'
import type { Job, JobList } from '#shared/schema'

const dataDir = tempDataDir()
await setupBuiltServer({ NUXT_DATA_DIR: dataDir, NUXT_CONCURRENCY: '2' })

const JOBS = 40
/** A schema of about 700 KB (a categorical column of 10,000 long categories), kept whole in each job record. */
const bigSchema = (k: number) => ({
  columns: [{ name: 'c', kind: 'categorical', categories: Array.from({ length: 10_000 }, (_, i) => ({ value: `category ${k}-${i} ${'x'.repeat(40)}`, weight: 1 })) }],
})

/** Bytes the server process has read through read()/pread() so far (files, sockets), from /proc. */
const bytesRead = () => Number(/rchar: (\d+)/.exec(readFileSync(`/proc/${useTestContext().serverProcess!.pid}/io`, 'utf8'))![1])

async function allPages(limit: number): Promise<Job[]> {
  const jobs: Job[] = []
  for (let cursor: string | null | undefined; cursor !== null;) {
    const response = await fetch(`/jobs?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`)
    expect(response.status).toBe(200)
    const page = await response.json() as JobList
    jobs.push(...page.jobs)
    cursor = page.next_cursor
  }
  return jobs
}

describe('GET /jobs reads a page, not every record', () => {
  const ids: string[] = []

  it('lists jobs with large schemas reading a few KB for ?limit=1, whatever the records hold', async () => {
    for (let k = 0; k < JOBS; k++) ids.push(await submit({ rows: 1, schema: bigSchema(k) }))
    for (const id of ids) expect((await waitForJob(id)).status).toBe('done')
    const recordBytes = ids.reduce((sum, id) => sum + readFileSync(join(dataDir, 'jobs', `${id}.json`)).length, 0)
    expect(recordBytes).toBeGreaterThan(20_000_000)
    const before = bytesRead()
    const response = await fetch('/jobs?limit=1')
    const read = bytesRead() - before
    const page = await response.json() as JobList
    expect(page.jobs.map(j => j.job_id)).toEqual([ids.at(-1)])
    expect(page.jobs[0]).not.toHaveProperty('schema')
    // Reading every record (the old listing) reads recordBytes; the index reads one small entry.
    expect(read).toBeLessThan(200_000)
  })

  it('pages are consistent: every job once, newest first, the same as one big page', async () => {
    const whole = await allPages(200)
    expect(whole.map(j => j.job_id)).toEqual([...ids].reverse())
    expect((await allPages(7)).map(j => j.job_id)).toEqual(whole.map(j => j.job_id))
    expect(whole.every(j => j.status === 'done')).toBe(true)
  })

  it('shows the status a job has now, and forgets a deleted job', async () => {
    const [first] = ids
    expect((await fetch(`/jobs/${first}`, { method: 'DELETE' })).status).toBe(204)
    const after = await allPages(9)
    expect(after.map(j => j.job_id)).toEqual([...ids].reverse().slice(0, -1))
  })

  it('still lists every job when the index is lost (records without an entry are read whole)', async () => {
    rmSync(join(dataDir, 'job-index'), { recursive: true, force: true })
    expect((await allPages(11)).map(j => j.job_id)).toEqual([...ids].reverse().slice(0, -1))
  })
})
