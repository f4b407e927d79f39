/**
 * The budget of one faker call: which arguments a schema may give a faker method (checked by the
 * schema language when a request arrives, and again by the engine for every call `helpers.fake`
 * makes). No imports: the pages, the server and the engine share it.
 *
 * ## Why a rule on argument shape, not a list of each method's size arguments
 *
 * faker has some 300 methods and names its sizes in many ways (`length`, `count`, `extensionCount`,
 * a positional count, a `{ min, max }` range, quantifiers inside a pattern, a size inside the
 * arguments of a call that `helpers.fake` reads from a string). A list of the size arguments of each
 * method misses whatever it does not spell out, and goes stale with each faker release. So the rule
 * is the other way round, and holds by construction:
 *
 * - every number anywhere in a call's arguments (any depth, any key, any position) is a size, at
 *   most MAX_FAKER_SIZE_ARG in absolute value, except in a short list of methods whose numbers are
 *   values (a range to draw from, a date, a price: FAKER_VALUE_METHODS) and in the lists that
 *   helpers such as `arrayElement` pick from (data, not sizes);
 * - in every method, keys that name sizes (`length`, `count`, `…Count`) and the positional counts
 *   faker hands to `rangeToNumber` hold a number or a `{ min, max }` of numbers: a range with a bound
 *   left out, or a size given as text or `{}`, makes faker draw a size up to 2^53;
 * - methods that read their strings as templates or patterns (`helpers.fake`, `helpers.fromRegExp`,
 *   `helpers.mustache`, …) get strings of at most MAX_FAKER_PATTERN_CHARS; in those that read
 *   quantifiers (`a{10000000}`) every number in the text is held to the same bound; each
 *   `{{module.method(…)}}` of a `helpers.fake` pattern is checked as a call of its own (so
 *   `string.alpha(1e7)` in it is refused, while literal text such as `Order 123456` is not a size),
 *   and the engine checks again, at run time, the calls faker would make from what earlier calls
 *   returned, which no static check can see; `helpers.mustache` values hold no braces, so its
 *   replacements cannot make new keys.
 *
 * Two more budgets complete it: the engine refuses any value longer than a cell may hold
 * (MAX_CELL_CHARS, measured on every call), and the submit-time check runs every faker column under
 * a time limit (engine/run/pool.ts), for what is slow without being big.
 */

/** Largest size (in absolute value) a number in a faker call's arguments may ask for. */
export const MAX_FAKER_SIZE_ARG = 10_000

/** Longest string a faker method that reads it as a template or pattern may be given. */
export const MAX_FAKER_PATTERN_CHARS = 1000

/** Deepest nesting of a faker call's arguments the check walks (bodies nest at most 32 levels). */
const MAX_ARG_DEPTH = 64

/** Deepest nesting of `helpers.fake` calls inside `helpers.fake` patterns. */
export const MAX_FAKE_DEPTH = 4

/**
 * Methods whose numbers are values, not sizes (faker 10): their output does not grow with them.
 * Size keys (`count` of date.betweens) are still held to the size rule.
 */
export const FAKER_VALUE_METHODS: ReadonlySet<string> = new Set([
  'number.int', 'number.float', 'number.binary', 'number.octal', 'number.hex', 'number.bigInt', 'number.romanNumeral',
  'date.anytime', 'date.past', 'date.future', 'date.between', 'date.betweens', 'date.recent', 'date.soon', 'date.birthdate',
  'finance.amount', 'commerce.price',
  'location.latitude', 'location.longitude', 'location.nearbyGPSCoordinate',
  'datatype.boolean', 'helpers.rangeToNumber',
  'image.url', 'image.urlPicsumPhotos', 'image.urlLoremFlickr', 'image.dataUri', 'image.personPortrait',
])

/** Methods whose argument at this position is data they pick from or return (its numbers are values). */
const DATA_POSITION: ReadonlyMap<string, number> = new Map([
  ['helpers.arrayElement', 0], ['helpers.arrayElements', 0], ['helpers.weightedArrayElement', 0], ['helpers.shuffle', 0],
  ['helpers.uniqueArray', 0], ['helpers.objectKey', 0], ['helpers.objectValue', 0], ['helpers.objectEntry', 0], ['helpers.enumValue', 0],
  ['helpers.mustache', 1],
])

/** Methods that pass the argument at this position to faker's `rangeToNumber` as a count. */
const COUNT_POSITION: ReadonlyMap<string, number> = new Map([
  ['lorem.words', 0], ['lorem.sentence', 0], ['lorem.slug', 0], ['lorem.sentences', 0], ['lorem.paragraph', 0], ['lorem.paragraphs', 0], ['lorem.lines', 0],
  ['string.sample', 0], ['string.nanoid', 0], ['string.fromCharacters', 1], ['helpers.arrayElements', 1], ['helpers.uniqueArray', 1],
])

/** Methods that read their strings as templates or patterns. */
const PATTERN_METHODS: ReadonlySet<string> = new Set([
  'helpers.fake', 'helpers.fromRegExp', 'helpers.mustache', 'helpers.replaceSymbols', 'helpers.replaceCreditCardSymbols',
  'location.zipCode', 'finance.creditCardNumber',
])

/** Pattern methods that read numbers anywhere in their strings as sizes (`a{10000000}`, `x{1,99999}`). */
const QUANTIFIER_METHODS: ReadonlySet<string> = new Set(['helpers.fromRegExp', 'helpers.replaceCreditCardSymbols', 'finance.creditCardNumber'])

/** Keys that name a size in faker's options. */
const SIZE_KEY = /^(?:length|count|[a-z][A-Za-z]*Count)$/

/** JSON-style numbers inside text (`10000000`, `1e7`, `2.5E3`). */
const NUMBER_IN_TEXT = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g

/** `helpers.mustache` keys: plain names (its keys become regular expressions). */
const MUSTACHE_KEY = /^[A-Za-z0-9_.-]{1,64}$/

export type ArgPath = (string | number)[]
export interface FakerArgIssue { path: ArgPath; message: string }

const sizeMessage = `must be at most ${MAX_FAKER_SIZE_ARG} in absolute value (MAX_FAKER_SIZE_ARG: faker reads this number as a size; only ${[...FAKER_VALUE_METHODS].slice(0, 3).join(', ')}… take values)`
const countMessage = `must be a number or { min, max } of numbers, at most ${MAX_FAKER_SIZE_ARG} (MAX_FAKER_SIZE_ARG): faker draws a missing bound up to 2^53`

const isRecord = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value)

/**
 * The problems of calling faker method `method` (`module.method`) with `args`, each with the path of
 * the argument inside `args` (e.g. `[0, 'extensionCount']`); none: the call is within budget.
 */
export function fakerArgIssues(method: string, args: readonly unknown[], depth = 0): FakerArgIssue[] {
  const issues: FakerArgIssue[] = []
  const values = FAKER_VALUE_METHODS.has(method)
  const pattern = PATTERN_METHODS.has(method)
  const add = (path: ArgPath, message: string) => {
    if (issues.length < 20) issues.push({ path, message })
  }
  const count = (value: unknown, path: ArgPath) => {
    const ok = (n: unknown) => typeof n === 'number' && Math.abs(n) <= MAX_FAKER_SIZE_ARG
    if (typeof value === 'number' ? !ok(value) : !(isRecord(value) && ok(value.min) && ok(value.max))) add(path, countMessage)
  }
  const text = (s: string, path: ArgPath) => {
    if (s.length > MAX_FAKER_PATTERN_CHARS) return add(path, `must be at most ${MAX_FAKER_PATTERN_CHARS} characters (MAX_FAKER_PATTERN_CHARS: ${method} reads it as a template or pattern)`)
    if (QUANTIFIER_METHODS.has(method)) {
      for (const m of s.matchAll(NUMBER_IN_TEXT)) {
        if (Math.abs(Number(m[0])) > MAX_FAKER_SIZE_ARG) return add(path, `holds the number ${m[0]}, more than ${MAX_FAKER_SIZE_ARG} (MAX_FAKER_SIZE_ARG: ${method} reads numbers in it as sizes)`)
      }
    }
    if (method === 'helpers.fake') {
      for (const token of fakeTokens(s)) {
        const call = parseFakeToken(token)
        if ('error' in call) add(path, call.error)
        else if (depth >= MAX_FAKE_DEPTH) add(path, `nests helpers.fake more than ${MAX_FAKE_DEPTH} levels deep`)
        else for (const issue of fakerArgIssues(call.method, call.args, depth + 1)) add(path, `in {{${token}}}: argument ${issue.path.join('.')} ${issue.message}`)
      }
    }
  }
  const walk = (value: unknown, path: ArgPath, data: boolean): void => {
    if (path.length > MAX_ARG_DEPTH) return add(path, `is nested more than ${MAX_ARG_DEPTH} levels deep`)
    if (typeof value === 'number') {
      if (!values && !data && Math.abs(value) > MAX_FAKER_SIZE_ARG) add(path, sizeMessage)
    }
    else if (typeof value === 'string') {
      if (pattern && !data) text(value, path)
    }
    else if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i], data))
    else if (isRecord(value)) {
      if (!data && !values && ('min' in value || 'max' in value) && !(typeof value.min === 'number' && typeof value.max === 'number')) {
        add(path, 'a range must give both min and max as numbers (faker draws a missing bound up to 2^53)')
      }
      for (const [key, child] of Object.entries(value)) {
        if (!data && SIZE_KEY.test(key)) count(child, [...path, key])
        else walk(child, [...path, key], data)
      }
    }
  }
  args.forEach((arg, i) => {
    if (COUNT_POSITION.get(method) === i && arg !== undefined && arg !== null) count(arg, [i])
    else walk(arg, [i], DATA_POSITION.get(method) === i)
  })
  if (method === 'helpers.mustache') mustacheIssues(args[1], add)
  return issues
}

/**
 * `helpers.mustache(text, data)` replaces each key's `{{key}}` in turn: a value holding braces could
 * make new keys appear, and grow the text exponentially, so values are scalars without braces.
 */
function mustacheIssues(data: unknown, add: (path: ArgPath, message: string) => void): void {
  if (data === undefined) return
  if (!isRecord(data)) return add([1], 'must be an object of keys and their values')
  for (const [key, value] of Object.entries(data)) {
    if (!MUSTACHE_KEY.test(key)) add([1, key], 'a key must be letters, digits, _, . or - (at most 64)')
    else if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) add([1, key], 'must be text, a number, a boolean or null')
    else if (typeof value === 'string' && /[{}]/.test(value)) add([1, key], 'must not contain { or } (they would make new keys to replace)')
    else if (typeof value === 'string' && value.length > MAX_FAKER_PATTERN_CHARS) add([1, key], `must be at most ${MAX_FAKER_PATTERN_CHARS} characters (MAX_FAKER_PATTERN_CHARS)`)
  }
}

/**
 * The `{{…}}` tokens of a `helpers.fake` pattern, found as faker 10 finds them: the first `{{`
 * followed by a lowercase letter, up to the next `}}`.
 */
export function fakeTokens(pattern: string): string[] {
  const tokens: string[] = []
  let rest = pattern
  for (;;) {
    const start = rest.search(/\{\{[a-z]/)
    const end = start === -1 ? -1 : rest.indexOf('}}', start)
    if (end === -1) return tokens
    tokens.push(fakeTokenText(rest, start, end))
    rest = rest.slice(end + 2)
  }
}

/** The text faker evaluates for the token from `start` (its `{{`) to `end` (its `}}`). */
export function fakeTokenText(pattern: string, start: number, end: number): string {
  return pattern.substring(start + 2, end + 2).replace('}}', '').replace('{{', '')
}

/**
 * A `helpers.fake` token as a call: `module.method` or `module.method(arguments)`, the arguments
 * read as faker 10 reads them (JSON up to the first `)` that closes a valid list, else the text).
 * Anything else (definition paths, chained calls, property reads) is refused: only module methods
 * are calls the budget can check.
 */
export function parseFakeToken(token: string): { method: string; args: unknown[] } | { error: string } {
  const refused = { error: `{{${token.length > 60 ? `${token.slice(0, 60)}…` : token}}} must call a faker method as module.method or module.method(arguments)` }
  const m = /^([a-z][A-Za-z0-9]*\.[a-z][A-Za-z0-9]*)(\([\s\S]*)?$/.exec(token)
  if (!m) return refused
  if (m[2] === undefined) return { method: m[1]!, args: [] }
  const call = m[2]
  for (let close = call.indexOf(')', 1); close !== -1; close = call.indexOf(')', close + 1)) {
    const inner = call.substring(1, close)
    const args = parseJsonList(`[${inner}]`) ?? (!inner.includes('\'') && !inner.includes('"') ? parseJsonList(`["${inner}"]`) : undefined)
    if (args) return close === call.length - 1 ? { method: m[1]!, args } : refused
  }
  const close = call.lastIndexOf(')')
  return close === call.length - 1 && close > 0 ? { method: m[1]!, args: [call.substring(1, close)] } : refused
}

function parseJsonList(text: string): unknown[] | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return Array.isArray(value) ? value : undefined
  }
  catch {
    return undefined
  }
}
