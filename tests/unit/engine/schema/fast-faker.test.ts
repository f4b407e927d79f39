import { describe, expect, it } from 'vitest'
import { Faker, base, en } from '@faker-js/faker'
import { aliasSampler, fastFakerMethods } from '~~/engine/schema/fast-faker'
import { RowRandom } from '~~/engine/schema/random'

const N = 20_000

/** `n` values from faker itself and from the fast path, each from its own seeded stream. */
function samples(method: string, n = N) {
  const rng = new RowRandom(99)
  rng.setRow(0)
  const faker = new Faker({ locale: [en, base], randomizer: { next: () => rng.next(), seed: () => {} } })
  const fast = fastFakerMethods(faker, () => rng).get(method)
  expect(fast, method).toBeDefined()
  const [moduleName, methodName] = method.split('.') as [string, string]
  const reference = (faker as unknown as Record<string, Record<string, () => string>>)[moduleName]![methodName]!
  const ours = Array.from({ length: n }, () => fast!())
  const theirs = Array.from({ length: n }, () => reference.call((faker as unknown as Record<string, unknown>)[moduleName]))
  return { ours, theirs, faker }
}

/** Two proportions from independent samples of n agree within 5 standard errors. */
function expectSameShare(ours: string[], theirs: string[], feature: (v: string) => boolean, label: string) {
  const p1 = ours.filter(feature).length / ours.length
  const p2 = theirs.filter(feature).length / theirs.length
  const pooled = (p1 + p2) / 2
  const se = Math.sqrt(pooled * (1 - pooled) * (2 / ours.length)) || 1e-9
  expect(Math.abs(p1 - p2), `${label}: ${p1} vs ${p2}`).toBeLessThanOrEqual(5 * se)
}

describe('aliasSampler', () => {
  it('gives each index its share of [0, 1): counted over a fine grid of uniforms', () => {
    const weights = [5, 0, 1, 3.5, 0.25, 12, 1, 1, 0.001]
    const total = weights.reduce((a, b) => a + b, 0)
    const draw = aliasSampler(weights)
    const grid = 1_000_000
    const counts = new Array<number>(weights.length).fill(0)
    for (let k = 0; k < grid; k++) counts[draw(k / grid)]!++
    // Each index owns whole intervals of [0, 1): off by at most a grid step per interval.
    weights.forEach((w, i) => expect(Math.abs(counts[i]! / grid - w / total), `index ${i}`).toBeLessThanOrEqual(2 * weights.length / grid))
  })
})

describe('fast faker paths with a value table', () => {
  it('person.firstName and person.lastName say which table entry they returned (-1 for a double-barrelled name)', () => {
    const rng = new RowRandom(5)
    rng.setRow(0)
    const faker = new Faker({ locale: [en, base], randomizer: { next: () => rng.next(), seed: () => {} } })
    const methods = fastFakerMethods(faker, () => rng)
    for (const name of ['person.firstName', 'person.lastName']) {
      const method = methods.get(name)!
      const table = method.table!
      let fromTable = 0
      for (let i = 0; i < 5000; i++) {
        const value = method()
        const code = table.code
        if (code >= 0) {
          expect(table.values[code], name).toBe(value)
          fromTable++
        }
        else expect(value, name).toContain('-')
      }
      expect(fromTable, name).toBeGreaterThan(4000)
    }
  })
})

describe('fast faker paths draw from the same distribution as faker', () => {
  it('person.firstName: same names, same mix of female, male and generic lists', () => {
    const { ours, theirs, faker } = samples('person.firstName')
    const lists = faker.rawDefinitions.person!.first_name as { generic: string[]; female: string[]; male: string[] }
    const all = new Set([...lists.generic, ...lists.female, ...lists.male])
    for (const name of ours) expect(all.has(name)).toBe(true)
    for (const [label, list] of Object.entries(lists)) expectSameShare(ours, theirs, v => list.includes(v), label)
  })

  it('person.lastName: same names, same share of double-barrelled names', () => {
    const { ours, theirs } = samples('person.lastName')
    expectSameShare(ours, theirs, v => v.includes('-'), 'hyphenated')
    expectSameShare(ours, theirs, v => v < 'M', 'first half of the alphabet')
  })

  it('location.city: same mix of patterns', () => {
    const { ours, theirs, faker } = samples('location.city')
    const location = faker.rawDefinitions.location!
    const prefixes = location.city_prefix as string[]
    const suffixes = location.city_suffix as string[]
    const names = new Set(location.city_name as string[])
    expectSameShare(ours, theirs, v => prefixes.some(p => v.startsWith(`${p} `)), 'prefixed')
    expectSameShare(ours, theirs, v => suffixes.some(s => v.endsWith(s)), 'suffixed')
    expectSameShare(ours, theirs, v => names.has(v), 'real city name')
  })

  it('internet.email: same user-name forms and providers', () => {
    const { ours, theirs } = samples('internet.email')
    for (const v of ours) expect(v).toMatch(/^[A-Za-z0-9._+-]+@(gmail\.com|hotmail\.com|yahoo\.com)$/)
    expectSameShare(ours, theirs, v => v.includes('_'), 'underscore')
    expectSameShare(ours, theirs, v => /\d@/.test(v), 'ends with a number')
    expectSameShare(ours, theirs, v => v.split('@')[0]!.includes('.'), 'dot')
    expectSameShare(ours, theirs, v => v.endsWith('@gmail.com'), 'gmail')
  })
})
