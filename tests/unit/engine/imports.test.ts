/**
 * The engine's shape: no import circle anywhere in it (type-only imports count too: a circle of types
 * is a circle of concepts), and nothing of Nuxt, Nitro or the server, so it runs the same in worker
 * threads, the benchmark and these tests.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const engine = join(root, 'engine')

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => (entry.isDirectory() ? sourcesUnder(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []))
}

/** The modules a file imports (static, dynamic and type-only), as written. */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(m => (m[1] ?? m[2])!)
}

const files = sourcesUnder(engine)
const graph = new Map(files.map(file => [file, specifiers(file).filter(s => s.startsWith('.')).map(s => resolve(dirname(file), s)).filter(target => target.startsWith(engine))]))

/** The first import circle found, as the files around it, or undefined. */
function findCycle(): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === 'done') return undefined
    if (state.get(file) === 'open') return [...stack.slice(stack.indexOf(file)), file]
    state.set(file, 'open')
    stack.push(file)
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next)
      if (cycle) return cycle
    }
    stack.pop()
    state.set(file, 'done')
    return undefined
  }
  for (const file of files) {
    const cycle = visit(file)
    if (cycle) return cycle
  }
  return undefined
}

describe('the engine\'s imports', () => {
  it('reads every engine file and resolves its relative imports to files that exist', () => {
    expect(files.length).toBeGreaterThan(20)
    for (const [file, targets] of graph) for (const target of targets) expect(files, `${relative(root, file)} imports ${relative(root, target)}`).toContain(target)
  })

  it('form no circle', () => {
    expect(findCycle()?.map(file => relative(root, file)).join(' → ')).toBeUndefined()
  })

  it('take nothing from Nuxt, Nitro, h3, Vue or the server', () => {
    for (const file of files) {
      for (const spec of specifiers(file)) expect(spec, relative(root, file)).not.toMatch(/^(#imports|#app|nuxt|nitropack|h3|vue|~~\/server|~\/)|\/server\//)
    }
  })
})
