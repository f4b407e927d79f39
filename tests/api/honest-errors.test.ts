import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fetch, startServer, stopServer, useTestContext } from '@nuxt/test-utils/e2e'
import { tempDataDir } from '../support/data-dir'
import { setupBuiltServer } from '../support/e2e'
import { postJson, rawRequest, submit, waitForJob } from '../support/api'

const dataDir = tempDataDir()
const env = { NUXT_DATA_DIR: dataDir }
await setupBuiltServer(env)

const small = { name: 'a', kind: 'integer', min: 0, max: 9 }
/** JSON nested `depth` arrays deep, as faker arguments. */
const deepArgs = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`
const issuesOf = async (response: Response) => ((await response.json()) as { issues: { path: string; message: string }[] }).issues

describe('a body nested too deep is a 400 before any recursive parse', () => {
  it('POST /generate with faker args nested 5,000 levels deep', async () => {
    const response = await postJson('/generate', `{"rows":1,"schema":{"columns":[{"name":"x","kind":"faker","method":"string.alpha","args":[${deepArgs(5000)}]}]}}`)
    expect(response.status).toBe(400)
    expect((await issuesOf(response)).some(i => /nested deeper than 32 levels/.test(i.message))).toBe(true)
  })

  it('POST /templates likewise', async () => {
    const response = await postJson('/templates', `{"name":"deep","title":"t","description":"d","schema":{"columns":[{"name":"x","kind":"faker","method":"string.alpha","args":[${deepArgs(5000)}]}]}}`)
    expect(response.status).toBe(400)
    expect((await issuesOf(response)).some(i => /nested deeper than 32 levels/.test(i.message))).toBe(true)
    expect((await fetch('/healthz')).status).toBe(200)
  })
})

describe('POST /templates runs the engine check POST /generate runs', () => {
  const template = (columns: unknown[]) => ({ name: 'checked', title: 'Checked', description: 'd', schema: { columns } })

  it('an unknown faker method and a cycle are 400s naming the field, and nothing is saved', async () => {
    const unknown = await postJson('/templates', template([{ name: 'x', kind: 'faker', method: 'person.wat' }]))
    expect(unknown.status).toBe(400)
    expect((await issuesOf(unknown)).map(i => i.path)).toEqual(['schema.columns.0.method'])
    const cycle = await postJson('/templates', template([{ name: 'a', kind: 'derived', expression: 'b' }, { name: 'b', kind: 'derived', expression: 'a' }]))
    expect(cycle.status).toBe(400)
    expect((await issuesOf(cycle)).map(i => i.path)).toContain('schema.columns.0')
    expect((await fetch('/templates/checked')).status).toBe(404)
  })

  it('a schema the engine accepts is still saved', async () => {
    expect((await postJson('/templates', { ...template([small]), name: 'accepted' })).status).toBe(201)
  })
})

describe('GET /metrics answers the report whatever statistic in it is undefined', () => {
  it('poisson and binomial of large parameters, a float range near the largest double, a one-column dataset: 200 with nulls', async () => {
    const jobs = await Promise.all([
      submit({ rows: 1000, schema: { columns: [{ name: 'a', kind: 'integer', distribution: { type: 'poisson', lambda: 1000 } }] } }),
      submit({ rows: 1000, schema: { columns: [{ name: 'a', kind: 'integer', distribution: { type: 'binomial', n: 5000, p: 0.3 } }] } }),
      submit({ rows: 1000, schema: { columns: [{ name: 'a', kind: 'float', min: 0, max: 1.7e308 }] } }),
    ])
    const upload = await fetch('/datasets', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'x\n1\n2\n3\n4\n5\n6\n7\n' })
    expect(upload.status).toBe(201)
    jobs.push(await submit({ rows: 100, source: { dataset: (await upload.json()).dataset_id } }))
    for (const id of jobs) {
      expect((await waitForJob(id)).status).toBe('done')
      const response = await fetch(`/metrics/${id}`)
      expect(response.status, id).toBe(200)
      expect((await response.json()).kind).toBe('schema')
    }
  })

  it('a stored report of an older shape is served as stored, not a 500', async () => {
    const id = await submit({ rows: 10, schema: { columns: [small] } })
    await waitForJob(id)
    const path = join(dataDir, 'artifacts', `${id}.metrics.json`)
    writeFileSync(path, JSON.stringify({ kind: 'schema', rows: 10, utility: { ks: 'renamed since' } }))
    const response = await fetch(`/metrics/${id}`)
    expect(response.status).toBe(200)
    expect((await response.json()).utility).toEqual({ ks: 'renamed since' })
  })
})

describe('a done job whose files are gone', () => {
  it('download, preview and metrics answer 410 JSON, each for its own missing file', async () => {
    const id = await submit({ rows: 10, schema: { columns: [small] } })
    await waitForJob(id)
    for (const [route, file] of [['download', `${id}.csv`], ['preview', `${id}.preview.json`], ['metrics', `${id}.metrics.json`]]) {
      rmSync(join(dataDir, 'artifacts', file!))
      const response = await fetch(`/${route}/${id}`)
      expect(response.status, route).toBe(410)
      expect(response.headers.get('content-type')).toContain('application/json')
      expect((await response.json()).message).toMatch(/missing/)
    }
  })
})

describe('GET /preview reads only the rows it answers with', () => {
  it('a preview of wide rows: n=1 reads one row of it, n=1000 all it holds (fewer rows: it is bounded in characters)', async () => {
    // Cells of 80,000 characters: the preview holds 24 rows, about 1.9 MB.
    const id = await submit({ rows: 100, seed: 1, schema: { columns: [
      { name: 'b', kind: 'pattern', pattern: '?'.repeat(200), hidden: true },
      { name: 'p', kind: 'template', template: '{{b}}'.repeat(100), hidden: true },
      { name: 'text', kind: 'template', template: '{{p}}'.repeat(4) },
    ] } })
    expect((await waitForJob(id)).status).toBe('done')
    const pid = useTestContext().serverProcess!.pid!
    const bytesRead = () => Number(/rchar: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1])
    const before = bytesRead()
    const one = await (await fetch(`/preview/${id}?n=1`)).json() as { rows: string[][] }
    expect(one.rows).toHaveLength(1)
    expect(one.rows[0]![0]).toHaveLength(80_000)
    // The file is read in 64 KiB pieces: the first row and a little more, not the 1.9 MB.
    expect(bytesRead() - before).toBeLessThan(400_000)
    const all = await (await fetch(`/preview/${id}?n=1000`)).json() as { rows: string[][] }
    expect(all.rows).toHaveLength(24)
  })
})

describe('a download the client abandons', () => {
  it('closes the file: no descriptor of the server stays open on it', async () => {
    const id = await submit({ rows: 300_000, template: 'customers', seed: 1 })
    await waitForJob(id)
    const pid = useTestContext().serverProcess!.pid!
    const artifact = join(dataDir, 'artifacts', `${id}.csv`)
    const openOnArtifact = () => readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === artifact
      }
      catch {
        return false // closed meanwhile
      }
    }).length
    for (let i = 0; i < 5; i++) {
      const controller = new AbortController()
      const response = await fetch(`/download/${id}`, { signal: controller.signal })
      const reader = response.body!.getReader()
      await reader.read()
      controller.abort()
      await reader.cancel().catch(() => {})
    }
    const deadline = Date.now() + 10_000
    while (openOnArtifact() > 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
    expect(openOnArtifact()).toBe(0)
  })
})

describe('HEAD answers like GET without a body', () => {
  it('on /healthz, /jobs, /jobs/:id, /jobs/:id/events and /download/:id', async () => {
    const id = await submit({ rows: 10, schema: { columns: [small] } })
    await waitForJob(id)
    for (const path of ['/healthz', '/jobs', `/jobs/${id}`, `/jobs/${id}/events`, '/templates']) {
      const response = await rawRequest('HEAD', path)
      expect(response.status, path).toBe(200)
      expect(response.text, path).toBe('')
    }
    const get = await fetch(`/download/${id}`)
    const head = await rawRequest('HEAD', `/download/${id}`)
    expect(head.status).toBe(200)
    expect(head.text).toBe('')
    expect(head.headers['content-length']).toBe(String((await get.arrayBuffer()).byteLength))
    expect(head.headers.etag).toBe(get.headers.get('etag'))
    expect((await rawRequest('HEAD', '/jobs/nope')).status).toBe(400)
    expect((await rawRequest('HEAD', `/jobs/${id.replace(/.$/, id.endsWith('0') ? '1' : '0')}`)).status).toBe(404)
    const post = await rawRequest('HEAD', '/generate')
    expect(post.status).toBe(405)
    expect(post.headers.allow).toBe('POST')
  })
})

describe('uploads are checked whole', () => {
  const head = `a,b\n${'1,2\n'.repeat(20_000)}`

  it('a NUL byte or Latin-1 after the first 64 KiB is a 400 saying at which byte, and nothing is kept', async () => {
    const before = Buffer.from(head)
    expect(before.length).toBeGreaterThan(64 * 1024)
    for (const [bad, what] of [[Buffer.from('1,\0\n'), /NUL byte at byte (\d+)/], [Buffer.from('caf\xe9,1\n', 'latin1'), /not UTF-8 text: an invalid byte sequence at byte (\d+)/]] as const) {
      const response = await fetch('/datasets', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: Buffer.concat([before, bad, Buffer.from('3,4\n')]) })
      expect(response.status).toBe(400)
      const [issue] = await issuesOf(response)
      const at = Number(what.exec(issue!.message)?.[1])
      expect(at, issue!.message).toBeGreaterThanOrEqual(before.length)
      expect(at).toBeLessThan(before.length + bad.length + 1)
    }
    const names = readdirSync(join(dataDir, 'datasets'))
    expect(names.filter(name => name.endsWith('.tmp') || (name.endsWith('.csv') && !names.includes(name.replace(/\.csv$/, '.json'))))).toEqual([])
  })

  it('keeps a UTF-8 file name of a multipart upload as sent', async () => {
    const form = new FormData()
    form.append('file', new Blob(['a,b\n1,2\n3,4\n'], { type: 'text/csv' }), 'données-été.csv')
    const response = await fetch('/datasets', { method: 'POST', body: form })
    expect(response.status).toBe(201)
    expect((await response.json()).name).toBe('données-été.csv')
  })
})

describe('boot sweeps what a killed upload left', () => {
  it('removes a CSV older than the boot that has no record, and keeps the datasets that have one', async () => {
    const upload = await fetch('/datasets', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,2\n3,4\n' })
    const kept = (await upload.json()).dataset_id as string
    const orphan = join(dataDir, 'datasets', '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b.csv')
    writeFileSync(orphan, 'a,b\n1,2\n')
    const hourAgo = new Date(Date.now() - 3600_000)
    utimesSync(orphan, hourAgo, hourAgo)
    useTestContext().serverProcess!.kill('SIGKILL')
    await stopServer()
    await startServer({ env })
    for (const deadline = Date.now() + 60_000; !(await fetch('/healthz')).ok && Date.now() < deadline;) await new Promise(r => setTimeout(r, 100))
    expect(existsSync(orphan)).toBe(false)
    expect(readFileSync(join(dataDir, 'datasets', `${kept}.csv`), 'utf8')).toBe('a,b\n1,2\n3,4\n')
    expect((await fetch(`/datasets/${kept}`)).status).toBe(200)
  })
})
