/**
 * Quarantine at boot: records that cannot be read (truncated, corrupt, not what their folder holds)
 * are moved out of the way to `<dataDir>/quarantine/<kind>/`, with a log line each, so the rest keep
 * working and nothing is deleted.
 */
import { mkdir, readdir, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import type { z } from 'zod'

export interface QuarantineRule {
  /** Which files of the folder this rule reads (the others are left alone). */
  matches(name: string): boolean
  /** "job record", in the log line. */
  label: string
  /** What is wrong with the parsed JSON of a file (`id`: its name up to the first dot), or null. */
  problem(value: unknown, id: string): string | null
}

/** A rule: the file must parse with `schema`, then pass `check`. */
export function recordRule<T>(label: string, matches: (name: string) => boolean, schema: z.ZodType<T>, check?: (value: T, id: string) => string | null): QuarantineRule {
  return {
    label,
    matches,
    problem(value, id) {
      const parsed = schema.safeParse(value)
      if (!parsed.success) return `not a ${label} (${parsed.error.issues.slice(0, 3).map(i => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')})`
      return check?.(parsed.data, id) ?? null
    },
  }
}

/** Moves the unreadable records of `<dataDir>/<kind>/` to quarantine. Returns the moved file names. */
export async function quarantineUnreadable(kind: string, rules: QuarantineRule[]): Promise<string[]> {
  const dir = join(useDataDir(), kind)
  const names = await readdir(dir).catch(() => [] as string[])
  const moved: string[] = []
  for (const name of names) {
    const rule = rules.find(r => r.matches(name))
    if (!rule) continue
    let problem: string | null
    try {
      problem = rule.problem(JSON.parse(await readFile(join(dir, name), 'utf8')), name.slice(0, name.indexOf('.')))
    }
    catch (error) {
      problem = `not JSON (${error instanceof Error ? error.message : String(error)})`
    }
    if (!problem) continue
    const quarantine = join(useDataDir(), 'quarantine', kind)
    await mkdir(quarantine, { recursive: true })
    const target = join(quarantine, `${new Date().toISOString().replace(/[:.]/g, '-')}-${name}`)
    await rename(join(dir, name), target)
    console.warn(`[${kind}] quarantined unreadable ${rule.label} ${name} to ${target}: ${problem}`)
    moved.push(name)
  }
  return moved
}
