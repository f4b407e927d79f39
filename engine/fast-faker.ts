/**
 * Fast paths for the faker methods that dominate realistic schemas (person.firstName,
 * person.lastName, location.city, internet.email): the same algorithm as faker v10 over the same
 * locale definitions, so the same distribution of values, without faker's per-call machinery
 * (template parsing, argument validation). Used only when the locale's definitions have the shape the
 * algorithm expects; anything else goes through faker itself.
 */
import type { Faker } from '@faker-js/faker'
import type { RowRandom } from './random.ts'

type Pick = () => string
type Weighted<T> = { value: T; weight: number }[]

/**
 * The fixed list most values of a fast method are entries of: after a call, `code()` is the index in
 * `values` of the value it returned, or -1 when that value was built otherwise (a double-barrelled
 * name). Lets callers precompute per-entry work (filters) instead of repeating it per value.
 */
export interface ValueTable {
  readonly values: readonly string[]
  code(): number
}

/**
 * The pieces the last value of a method was concatenated from (their concatenation is `text()`), so
 * encoders can write the pieces (flat strings) instead of flattening the concatenation.
 */
export interface PartsSource {
  text(): string
  parts(): readonly string[]
}

export type FastMethod = Pick & { table?: ValueTable; pieces?: PartsSource }
type SexLists<T> = { generic?: T[]; female?: T[]; male?: T[] }

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every(x => typeof x === 'string')

/** Builds fast samplers drawing from `rng()` (the current row's stream). */
export function fastFakerMethods(faker: Faker, rng: () => RowRandom): Map<string, FastMethod> {
  const uniform = <T>(list: T[]) => list[Math.floor(rng().next() * list.length)]!
  const weighted = <T>(items: Weighted<T>) => {
    const total = items.reduce((sum, item) => sum + item.weight, 0)
    let u = rng().next() * total
    for (const item of items) {
      u -= item.weight
      if (u < 0) return item.value
    }
    return items[items.length - 1]!.value
  }
  /** faker's `q`: the list for a random sex (female or male), mixed with the generic list. */
  const bySex = <T>(lists: SexLists<T>): (() => T[]) => {
    const forSex = (own: T[] | undefined): (() => T[]) => {
      const generic = lists.generic
      if (!own) return () => generic ?? []
      if (!generic) return () => own
      const choice: Weighted<T[]> = [{ value: own, weight: 3 * Math.sqrt(own.length) }, { value: generic, weight: Math.sqrt(generic.length) }]
      return () => weighted(choice)
    }
    const female = forSex(lists.female)
    const male = forSex(lists.male)
    return () => (rng().next() < 0.5 ? female() : male())
  }

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
  /** `uniform(bySex(lists)())` (the same draws), as a fast method with its table. */
  const tabledBySex = (lists: SexLists<string>): FastMethod => {
    const { values, offsets } = joined([lists.female, lists.generic, lists.male])
    const pickList = bySex(lists)
    let last = -1
    const pick = () => {
      const list = pickList()
      last = offsets.get(list)! + Math.floor(rng().next() * list.length)
      return values[last]!
    }
    return Object.assign(pick, { table: { values, code: () => last } })
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
  const compilePattern = (pattern: string): (Pick & { single?: string[]; pieces: string[] }) | undefined => {
    const parts: (string | Pick)[] = []
    let last = 0
    let single: string[] | undefined
    for (const match of pattern.matchAll(/\{\{([^}]+)\}\}/g)) {
      parts.push(pattern.slice(last, match.index))
      const path = match[1]!.trim().split('.')
      const method = methods.get(path.slice(0, 2).join('.'))
      let list: unknown = definitions[path[0]!]
      for (const key of path.slice(1)) list = (list as Record<string, unknown> | undefined)?.[key]
      if (path.length === 2 && method) parts.push(method)
      else if (isStringList(list) && list.every(v => !v.includes('{{'))) {
        parts.push(() => uniform(list as string[]))
        single = list
      }
      else return undefined
      last = match.index + match[0].length
    }
    parts.push(pattern.slice(last))
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
    return Object.assign(pick, isSingle ? { single, pieces } : { pieces })
  }

  const lastNamePatterns = person.last_name_pattern as SexLists<{ value: string; weight: number }> | undefined
  const lastNames = person.last_name as SexLists<string> | undefined
  if (lastNamePatterns) {
    const compiled = (['generic', 'female', 'male'] as const).map(sex => lastNamePatterns[sex]?.map(p => ({ weight: p.weight, value: compilePattern(p.value) })))
    if (compiled.every(list => !list || list.every(p => p.value))) {
      // Patterns that are one list pick draw an index into the table (the same draw as the pick).
      const { values, offsets } = joined(compiled.flatMap(list => list?.map(p => p.value!.single) ?? []))
      let last = -1
      const tabled = (p: Pick & { single?: string[] }): Pick => {
        const list = p.single
        if (!list) return () => {
          last = -1
          return p()
        }
        const offset = offsets.get(list)!
        return () => values[last = offset + Math.floor(rng().next() * list.length)]!
      }
      const [generic, female, male] = compiled.map(list => list?.map(p => ({ weight: p.weight, value: tabled(p.value!) })))
      const lists = bySex<Weighted<Pick>[number]>({ generic, female, male })
      methods.set('person.lastName', Object.assign(() => weighted(lists())(), { table: { values, code: () => last } }))
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
      methods.set('location.city', Object.assign(city, { pieces: { text: () => text, parts: () => pieces } }))
    }
  }

  // internet.email(): faker's username() and email() clean-ups; exact only when names are plain
  // ASCII (faker transliterates other characters with a table of its own).
  const providers = definitions.internet?.free_email
  const first = methods.get('person.firstName')
  const lastName = methods.get('person.lastName')
  const allNames = [...Object.values(firstNames ?? {}), ...Object.values(lastNames ?? {})].flat()
  if (first && lastName && isStringList(providers) && allNames.every(n => typeof n === 'string' && /^[\x20-\x7E]*$/.test(n))) {
    methods.set('internet.email', () => {
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
    })
  }
  return methods
}
