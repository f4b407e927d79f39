/**
 * Fast paths for the faker methods that dominate realistic schemas (person.firstName,
 * person.lastName, location.city, internet.email): the same distribution of values as faker v10
 * over the same locale definitions, without faker's per-call machinery (template parsing, argument
 * validation). Names are drawn with one uniform from an alias table holding faker's odds for the
 * sex, the list and the entry (faker draws each in turn). Used only when the locale's definitions
 * have the shape the algorithm expects; anything else goes through faker itself.
 */
import type { Faker } from '@faker-js/faker'
import type { RowRandom } from './random.ts'
import { ValueTable, type PartsSource } from './cells.ts'

type Pick = () => string

/** `maxChars`: the longest value the method can return, when its lists bound it (the engine's width checks). */
export type FastMethod = Pick & { table?: ValueTable<string>; pieces?: PartsSource; maxChars?: number }

const longest = (values: readonly string[]) => values.reduce((max, v) => Math.max(max, v.length), 0)
type SexLists<T> = { generic?: T[]; female?: T[]; male?: T[] }

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every(x => typeof x === 'string')

/**
 * faker's `q` as probabilities: the chance of each list being the one picked for a random sex
 * (female or male, even odds), where a sex's own list is mixed with the generic one, weighted
 * 3·√(own length) to √(generic length).
 */
function sexShares<T>(lists: SexLists<T>): Map<T[], number> {
  const shares = new Map<T[], number>()
  const add = (list: T[], share: number) => shares.set(list, (shares.get(list) ?? 0) + share)
  const { generic } = lists
  for (const own of [lists.female, lists.male]) {
    if (own && generic) {
      const ownWeight = 3 * Math.sqrt(own.length)
      const genericWeight = Math.sqrt(generic.length)
      add(own, (0.5 * ownWeight) / (ownWeight + genericWeight))
      add(generic, (0.5 * genericWeight) / (ownWeight + genericWeight))
    }
    else if (own ?? generic) add((own ?? generic)!, 0.5)
  }
  return shares
}

/**
 * Walker's alias method: from one uniform u in [0, 1), index i with probability weights[i] / Σ
 * weights, in constant time (one draw where faker's pick of a sex, a list and an entry takes three).
 */
export function aliasSampler(weights: number[]): (u: number) => number {
  const n = weights.length
  const total = weights.reduce((a, b) => a + b, 0)
  const scaled = weights.map(w => (w * n) / total)
  const prob = new Float64Array(n).fill(1)
  const alias = Int32Array.from({ length: n }, (_, i) => i)
  const small: number[] = []
  const large: number[] = []
  scaled.forEach((p, i) => (p < 1 ? small : large).push(i))
  while (small.length && large.length) {
    const s = small.pop()!
    const l = large.pop()!
    prob[s] = scaled[s]!
    alias[s] = l
    scaled[l] = scaled[l]! + scaled[s]! - 1
    ;(scaled[l]! < 1 ? small : large).push(l)
  }
  return (u) => {
    const x = u * n
    const i = Math.floor(x)
    return x - i < prob[i]! ? i : alias[i]!
  }
}

/** Builds fast samplers drawing from `rng()` (the current row's stream). */
export function fastFakerMethods(faker: Faker, rng: () => RowRandom): Map<string, FastMethod> {
  const uniform = <T>(list: T[]) => list[Math.floor(rng().next() * list.length)]!
  /** The lists as one table: where each list starts in it. */
  const joined = (lists: (string[] | undefined)[]) => {
    const values: string[] = []
    const offsets = new Map<string[], number>()
    for (const list of lists) {
      if (!list || offsets.has(list)) continue
      offsets.set(list, values.length)
      values.push(...list)
    }
    return { values, offsets }
  }
  /** An entry of the list faker's `q` picks for a random sex, drawn in one go from the joined table. */
  const tabledBySex = (lists: SexLists<string>): FastMethod => {
    const { values, offsets } = joined([lists.female, lists.generic, lists.male])
    const weights = new Array<number>(values.length).fill(0)
    for (const [list, share] of sexShares(lists)) {
      const offset = offsets.get(list)!
      for (let k = 0; k < list.length; k++) weights[offset + k]! += share / list.length
    }
    const draw = aliasSampler(weights)
    const table = new ValueTable(values)
    const pick = () => values[table.code = draw(rng().next())]!
    return Object.assign(pick, { table, maxChars: longest(values) })
  }

  const definitions = faker.rawDefinitions as Record<string, Record<string, unknown> | undefined>
  const methods = new Map<string, FastMethod>()
  const person = definitions.person ?? {}

  const firstNames = person.first_name as SexLists<string> | undefined
  if (firstNames && [firstNames.generic, firstNames.female, firstNames.male].some(l => l !== undefined) && [firstNames.generic, firstNames.female, firstNames.male].every(l => l === undefined || isStringList(l))) {
    methods.set('person.firstName', tabledBySex(firstNames))
  }

  /**
   * faker's `helpers.fake` for patterns whose tokens are all list picks or fast methods; `single` is
   * the list when the pattern is just one list pick.
   */
  const compilePattern = (pattern: string): (Pick & { single?: string[]; pieces: string[]; maxChars?: number }) | undefined => {
    const parts: (string | Pick)[] = []
    let last = 0
    let single: string[] | undefined
    let maxChars: number | undefined = 0
    for (const match of pattern.matchAll(/\{\{([^}]+)\}\}/g)) {
      parts.push(pattern.slice(last, match.index))
      const path = match[1]!.trim().split('.')
      const method = methods.get(path.slice(0, 2).join('.'))
      let list: unknown = definitions[path[0]!]
      for (const key of path.slice(1)) list = (list as Record<string, unknown> | undefined)?.[key]
      if (path.length === 2 && method) {
        parts.push(method)
        maxChars = maxChars === undefined || method.maxChars === undefined ? undefined : maxChars + method.maxChars
      }
      else if (isStringList(list) && list.every(v => !v.includes('{{'))) {
        parts.push(() => uniform(list as string[]))
        single = list
        if (maxChars !== undefined) maxChars += longest(list)
      }
      else return undefined
      if (maxChars !== undefined) maxChars += match.index - last
      last = match.index + match[0].length
    }
    parts.push(pattern.slice(last))
    if (maxChars !== undefined) maxChars += pattern.length - last
    // The pieces of the last value.
    const pieces = parts.map(part => (typeof part === 'string' ? part : ''))
    const pick = () => {
      let text = ''
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i]!
        if (typeof part === 'string') text += part
        else text += (pieces[i] = part())
      }
      return text
    }
    const isSingle = parts.length === 3 && parts[0] === '' && parts[2] === '' && single
    return Object.assign(pick, isSingle ? { single, pieces, maxChars } : { pieces, maxChars })
  }

  const lastNamePatterns = person.last_name_pattern as SexLists<{ value: string; weight: number }> | undefined
  const lastNames = person.last_name as SexLists<string> | undefined
  if (lastNamePatterns) {
    const compiled = (['generic', 'female', 'male'] as const).map(sex => lastNamePatterns[sex]?.map(p => ({ weight: p.weight, value: compilePattern(p.value) })))
    if (compiled.every(list => !list || list.every(p => p.value))) {
      // One draw picks the outcome: an entry of a list that a one-pick pattern draws from (the
      // table), or a pattern built of several parts, with faker's odds for the sex's pattern list,
      // the pattern and the entry.
      const [generic, female, male] = compiled
      const { values, offsets } = joined(compiled.flatMap(list => list?.map(p => p.value!.single) ?? []))
      const weights = new Array<number>(values.length).fill(0)
      const built: (Pick & { maxChars?: number })[] = []
      for (const [list, share] of sexShares({ generic, female, male })) {
        const total = list.reduce((sum, p) => sum + p.weight, 0)
        for (const { value: pattern, weight } of list) {
          const chance = (share * weight) / total
          const single = pattern!.single
          if (single) {
            const offset = offsets.get(single)!
            for (let k = 0; k < single.length; k++) weights[offset + k]! += chance / single.length
          }
          else {
            built.push(pattern!)
            weights.push(chance)
          }
        }
      }
      const draw = aliasSampler(weights)
      const table = new ValueTable(values)
      const lastName = () => {
        const outcome = draw(rng().next())
        if (outcome < values.length) return values[table.code = outcome]!
        table.code = -1
        return built[outcome - values.length]!()
      }
      const maxChars = built.some(pattern => pattern.maxChars === undefined) ? undefined : Math.max(longest(values), ...built.map(pattern => pattern.maxChars!))
      methods.set('person.lastName', Object.assign(lastName, { table, maxChars }))
    }
  }
  else if (lastNames && [lastNames.generic, lastNames.female, lastNames.male].some(l => l !== undefined) && [lastNames.generic, lastNames.female, lastNames.male].every(l => l === undefined || isStringList(l))) {
    methods.set('person.lastName', tabledBySex(lastNames))
  }

  const cityPatterns = definitions.location?.city_pattern
  if (isStringList(cityPatterns)) {
    const compiled = cityPatterns.map(compilePattern)
    if (compiled.every(Boolean)) {
      let text = ''
      let pieces: string[] = []
      const city = () => {
        const pattern = uniform(compiled)!
        text = pattern()
        pieces = pattern.pieces
        return text
      }
      const maxChars = compiled.some(pattern => pattern!.maxChars === undefined) ? undefined : Math.max(...compiled.map(pattern => pattern!.maxChars!))
      methods.set('location.city', Object.assign(city, { pieces: { text: () => text, parts: () => pieces }, maxChars }))
    }
  }

  // internet.email(): faker's username() and email() clean-ups; exact only when names are plain
  // ASCII (faker transliterates other characters with a table of its own).
  const providers = definitions.internet?.free_email
  const first = methods.get('person.firstName')
  const lastName = methods.get('person.lastName')
  const allNames = [...Object.values(firstNames ?? {}), ...Object.values(lastNames ?? {})].flat()
  if (first && lastName && isStringList(providers) && allNames.every(n => typeof n === 'string' && /^[\x20-\x7E]*$/.test(n))) {
    // The user name is cut to 50 characters; the clean-ups after that only remove characters.
    const maxChars = 50 + 1 + longest(providers)
    methods.set('internet.email', Object.assign(() => {
      const provider = uniform(providers)
      const t = first()
      const n = lastName()
      const separator = rng().next() < 0.5 ? '.' : '_'
      const number = Math.floor(rng().next() * 100)
      const form = Math.floor(rng().next() * 3)
      let user = form === 0 ? `${t}${separator}${n}${number}` : form === 1 ? `${t}${separator}${n}` : `${t}${number}`
      user = user.replaceAll('\'', '').replaceAll(' ', '')
      user = user.replaceAll(/[^A-Za-z0-9._+-]+/g, '').substring(0, 50).replaceAll(/\.{2,}/g, '.').replace(/^\./, '').replace(/\.$/, '')
      return `${user}@${provider}`
    }, { maxChars }))
  }
  return methods
}
