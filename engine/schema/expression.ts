/**
 * Derived-column expressions: a small, safe expression language compiled once into nested
 * closures, then evaluated for every row. There is no eval, no `Function`, no property access by a
 * user-supplied name: names are only ever looked up in the parser's own `Map`s, so `__proto__`,
 * `constructor` or `toString` are ordinary column names. Evaluation does no parsing and no lookups
 * by name; constant parts (`2 * 60 * 1000`, `upper('eu')`) are folded when compiling.
 *
 * ## The language
 *
 * - Literals: numbers `12`, `3.5`, `1e3`, `2.5E-3`; strings in single or double quotes with the
 *   escapes `\n \t \r \b \f \v \0 \\ \' \"`, `\uXXXX` and `\u{X...}`; `true`, `false`, `null`.
 * - Column references: bare names such as `quantity` or `unit_price` (ASCII letters, digits and `_`,
 *   not starting with a digit; case-sensitive). `and`, `or`, `not`, `true`, `false` and `null` are
 *   reserved. A name directly followed by `(` is a function call, so a column may share a function's
 *   name. Unknown names are not an error here: they are the columns the expression reads
 *   (`references`), for the caller to check against the schema.
 * - Operators, loosest first (all binary ones left-associative unless noted):
 *   1. `c ? a : b` (right-associative: `a ? b : c ? d : e` is `a ? b : (c ? d : e)`)
 *   2. `or`, `||`
 *   3. `and`, `&&`
 *   4. `<` `<=` `>` `>=` `==` `!=` (not chainable: `a < b < c` is an error, write `a < b and b < c`)
 *   5. `+` `-`
 *   6. `*` `/` `%` (`%` is the remainder, with the sign of the dividend)
 *   7. unary `-`, `+`, `not`, `!` (so `not a == b` is `(not a) == b`; write `not (a == b)`)
 *   8. `**` (right-associative, binds tighter than a unary operator on its left: `-2 ** 2` is -4,
 *      `2 ** -1` is 0.5)
 *
 *   Parentheses group. There is no member access, indexing or assignment: `.`, `[`, `=` are errors.
 *
 * ## Values and nulls
 *
 * Values are numbers, strings, booleans and null (`CellValue`).
 *
 * - Arithmetic (`+ - * / % **`, unary `-` `+`) needs numbers: null, or a string or boolean where a
 *   number is needed, gives null (convert with `to_number`). `+` concatenates when either side is a
 *   string (numbers and booleans written as `to_string` does): `'n=' + 3` is `'n=3'`; `'a' + null`
 *   is null.
 * - Division (and `%`) by zero gives null, and so does any non-finite result (`10 ** 400`,
 *   `sqrt(-1)`, `log(0)`). `-0` is returned as `0`.
 * - `< <= > >=` compare two numbers, two strings (by UTF-16 code units) or two booleans
 *   (`false < true`); null or values of different types give null.
 * - `==` and `!=` compare strictly and never give null: `null == null` is true, `x == null` tells
 *   whether x is null, `1 == '1'` is false.
 * - Conditions (`and`, `or`, `not`, `? :`, `if`) take null, false, 0 and '' as false, anything else
 *   as true; `and`, `or` and `not` always give a boolean. `and`, `or`, `? :`, `if` and `coalesce`
 *   evaluate only the operands they need.
 * - Strings are measured and indexed in UTF-16 code units, as in JavaScript. A string built by an
 *   operator or function (`+`, `concat`, `replace`, `pad_start`, `upper`, `lower`, `format_date`)
 *   that would be longer than 10,000 characters gives null, and is refused before it is built where
 *   its length is known beforehand (a guard against runaway growth such as nested `replace`).
 *   Functions that only shorten or copy their argument (`trim`, `substr`, `to_string`) return at most
 *   the length of a cell, which is itself at most 100,000 characters (MAX_CELL_CHARS); a derived value
 *   longer than that fails the job, naming the column.
 *
 * ## Functions
 *
 * A function not listed, or a call with the wrong number of arguments, is a compile-time error.
 * Functions that take text accept numbers and booleans too (converted as `to_string` does); null
 * arguments give null unless said otherwise.
 *
 * - Math: `abs(x)`, `round(x, digits?)` (half away from zero, to `digits` decimals, 0 by default,
 *   negative for tens, hundreds...; tolerant of binary representation: `round(1.005, 2)` is 1.01),
 *   `floor(x)`, `ceil(x)`, `min(x, ...)`, `max(x, ...)` (numbers only), `sqrt(x)`, `pow(x, y)`,
 *   `log(x, base?)` (natural logarithm by default), `exp(x)`, `clamp(x, lo, hi)` (null if lo > hi).
 * - Text: `upper(s)`, `lower(s)`, `trim(s)`, `len(s)`, `concat(s, ...)` (null arguments are skipped),
 *   `substr(s, start, length?)` (0-based; a negative start counts from the end), `replace(s, find,
 *   with)` (every occurrence, literally; an empty `find` changes nothing), `pad_start(s, length,
 *   fill)`, `contains(s, part)`, `starts_with(s, prefix)`, `ends_with(s, suffix)`, `to_string(x)`.
 * - Conversion: `to_number(x)` (decimal text such as `' -3.5e2 '`, true/false as 1/0, anything else
 *   null), `to_int(x)` (`to_number` truncated toward zero).
 * - Logic: `if(cond, a, b)`, `coalesce(x, ...)` (the first non-null argument), `is_null(x)`.
 * - Dates, all in UTC. A date is an ISO 8601 string (`2024-05-01`, `2024-05-01T10:20:30Z`,
 *   `2024-05-01 10:20:30.250+02:00`; a time without offset is UTC) or a number of milliseconds since
 *   1970-01-01T00:00:00Z; anything else gives null. `year(d)`, `month(d)` (1-12), `day(d)` (1-31),
 *   `hour(d)`, `minute(d)`, `second(d)`, `weekday(d)` (0 = Sunday), `date(d)` ('YYYY-MM-DD'),
 *   `epoch_ms(d)`, `format_date(d, pattern)` (the tokens of date and datetime columns: `YYYY`,
 *   `MMMM` (January), `MMM` (Jan), `MM`, `DD`, `D` (day without padding), `HH`, `mm`, `ss`, `SSS`
 *   (milliseconds), `Z` (always `Z`: UTC); everything else literal), `date_add(d, amount, unit)` (an ISO string such as '2024-02-29T00:00:00.000Z'),
 *   `date_diff(a, b, unit)` (a - b in whole units, truncated toward zero). Units are 'years',
 *   'months', 'days', 'hours', 'minutes', 'seconds' (a literal unknown unit is a compile-time error;
 *   one read from a column gives null). Adding months or years keeps the time of day and clamps the
 *   day to the end of a shorter month (`date_add('2024-01-31', 1, 'months')` is
 *   '2024-02-29T00:00:00.000Z') and needs a whole amount; `date_diff` in months or years counts the
 *   whole months from the earlier date the same way, so it undoes `date_add`.
 *
 * No function reads the clock or draws random numbers: a result depends only on its inputs.
 *
 * ## Examples
 *
 * ```
 * quantity * unit_price * (1 - discount)
 * round(amount * 1.2, 2)
 * upper(substr(country, 0, 2)) + '-' + pad_start(id, 6, '0')
 * if(age >= 18, 'adult', 'minor')
 * status == 'paid' and total > 100 ? 'big' : 'small'
 * coalesce(nickname, first_name, 'anonymous')
 * date_add(signup_at, 30, 'days')
 * date_diff(shipped_at, ordered_at, 'hours')
 * format_date(created_at, 'DD/MM/YYYY HH:mm')
 * ```
 *
 * ## Limits
 *
 * The source is at most 2000 characters and nests at most 64 levels deep (each parenthesis,
 * function call, unary operator and operand inside another operation is a level; a chain such as
 * `a + b + c` does not deepen), so hostile input cannot exhaust the stack.
 */
import type { CellValue } from '../../shared/schema.ts'
import { civilFromDays, DAY_MS, daysFromCivil, daysInMonth, MAX_TIME, type CivilDate } from '../time/calendar.ts'
import { isoString, parseIso } from '../time/iso.ts'
import { formatInstant } from '../time/pattern.ts'

/** A problem with an expression's source; `position` is the 0-based character index it is at. */
export class ExpressionError extends Error {
  readonly position: number
  constructor(problem: string, position: number) {
    super(`${problem} at position ${position}`)
    this.name = 'ExpressionError'
    this.position = position
  }
}

export interface CompiledExpression {
  /** Column names the expression reads, unique, in first-use order. */
  readonly references: string[]
  /** Evaluates with `get(i)` returning the value of references[i] for the current row. */
  evaluate(get: (index: number) => CellValue): CellValue
}

const MAX_SOURCE_LENGTH = 2000
const MAX_DEPTH = 64
/** Longest string an operator or function may build; longer results are null. */
const MAX_TEXT_LENGTH = 10_000

type Getter = (index: number) => CellValue
type Eval = (get: Getter) => CellValue

/** A compiled sub-expression. */
interface Node {
  readonly run: Eval
  /** The value is known without reading any column (it is `value`). */
  readonly constant: boolean
  readonly value: CellValue
  readonly pos: number
}

// ---------------------------------------------------------------------------------------------
// Values

/** A finite number as itself (with -0 as 0), anything else as null. */
function finite(x: number): number | null {
  return Number.isFinite(x) ? x + 0 : null
}

function truthy(v: CellValue): boolean {
  if (typeof v === 'boolean') return v
  if (typeof v === 'number') return v !== 0 && v === v
  if (typeof v === 'string') return v !== ''
  return false
}

function text(v: string | number | boolean): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : v ? 'true' : 'false'
}

function textOrNull(v: CellValue): string | null {
  return v === null ? null : text(v)
}

function capped(s: string): string | null {
  return s.length <= MAX_TEXT_LENGTH ? s : null
}

/** -1, 0 or 1 for two numbers, two strings or two booleans; NaN when they cannot be ordered. */
function order(l: CellValue, r: CellValue): number {
  if (typeof l === 'number' && typeof r === 'number') return l < r ? -1 : l > r ? 1 : 0
  if (typeof l === 'string' && typeof r === 'string') return l < r ? -1 : l > r ? 1 : 0
  if (typeof l === 'boolean' && typeof r === 'boolean') return (l ? 1 : 0) - (r ? 1 : 0)
  return NaN
}

function add(l: CellValue, r: CellValue): CellValue {
  if (typeof l === 'number' && typeof r === 'number') return finite(l + r)
  if (l === null || r === null) return null
  if (typeof l !== 'string' && typeof r !== 'string') return null
  const a = text(l)
  const b = text(r)
  return a.length + b.length <= MAX_TEXT_LENGTH ? a + b : null
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

function toNumber(v: CellValue): number | null {
  if (typeof v === 'number') return finite(v)
  if (typeof v === 'boolean') return v ? 1 : 0
  if (typeof v === 'string') {
    const s = v.trim()
    return DECIMAL.test(s) ? finite(Number(s)) : null
  }
  return null
}

function roundTo(x: CellValue, digits: CellValue): CellValue {
  if (typeof x !== 'number' || typeof digits !== 'number' || !Number.isFinite(digits)) return null
  const d = Math.max(-308, Math.min(308, Math.trunc(digits)))
  const scale = 10 ** Math.abs(d)
  const v = d >= 0 ? x * scale : x / scale
  if (!(Math.abs(v) < 4_503_599_627_370_496)) return finite(x) // 2^52: already whole at this precision
  // Two units in the last place of slack, so 1.005 (stored as 1.00499999999999989...) rounds to 1.01.
  const r = Math.round(Math.abs(v) * (1 + 2 * Number.EPSILON))
  const signed = v < 0 ? -r : r
  return finite(d >= 0 ? signed / scale : signed * scale)
}

function substrOf(s: CellValue, start: CellValue, length: CellValue): CellValue {
  const str = textOrNull(s)
  if (str === null || typeof start !== 'number' || typeof length !== 'number' || Number.isNaN(start) || Number.isNaN(length)) return null
  let from = Math.trunc(start)
  if (from < 0) from = Math.max(0, str.length + from)
  if (length <= 0) return ''
  const to = length === Infinity ? str.length : from + Math.trunc(length)
  return str.slice(from, to)
}

function replaceAll(s: CellValue, find: CellValue, replacement: CellValue): CellValue {
  const str = textOrNull(s)
  const what = textOrNull(find)
  const by = textOrNull(replacement)
  if (str === null || what === null || by === null) return null
  if (what === '') return str
  let count = 0
  for (let i = str.indexOf(what); i !== -1; i = str.indexOf(what, i + what.length)) count++
  if (count === 0) return str
  if (str.length + count * (by.length - what.length) > MAX_TEXT_LENGTH) return null
  return str.split(what).join(by)
}

function padStart(s: CellValue, length: CellValue, fill: CellValue): CellValue {
  const str = textOrNull(s)
  const with_ = textOrNull(fill)
  if (str === null || with_ === null || typeof length !== 'number' || Number.isNaN(length)) return null
  if (length > MAX_TEXT_LENGTH) return null
  return str.padStart(Math.trunc(length), with_)
}

// ---------------------------------------------------------------------------------------------
// Dates (UTC, no clock)

/** Reused for reading a time's calendar fields, so no Date is allocated per row. */
const scratch = new Date(0)
const civil: CivilDate = { year: 0, month: 0, day: 0 }

/** ISO 8601 fractions beyond nanoseconds are refused, as a typo more likely than a precision. */
const MAX_FRACTION_DIGITS = 9

/** A date argument as milliseconds since the epoch, or NaN. */
function toTime(v: CellValue): number {
  if (typeof v === 'number') return v >= -MAX_TIME && v <= MAX_TIME ? Math.trunc(v) + 0 : NaN
  if (typeof v === 'string') return parseIso(v, MAX_FRACTION_DIGITS)
  return NaN
}

/** The calendar date of the UTC day of `t`, in `civil`. */
function civilOf(t: number): CivilDate {
  return civilFromDays(Math.floor(t / DAY_MS), civil)
}

const MONTHS = -1
const YEARS = -2
const UNITS = ['years', 'months', 'days', 'hours', 'minutes', 'seconds']

/** Milliseconds in a fixed unit, MONTHS or YEARS for the calendar ones, 0 for anything else. */
function unitOf(unit: CellValue): number {
  switch (unit) {
    case 'seconds': return 1000
    case 'minutes': return 60_000
    case 'hours': return 3_600_000
    case 'days': return DAY_MS
    case 'months': return MONTHS
    case 'years': return YEARS
    default: return 0
  }
}

/** `t` plus n calendar months, the day clamped to the target month's length, time of day kept. */
function addMonths(t: number, n: number): number {
  const msOfDay = ((t % DAY_MS) + DAY_MS) % DAY_MS
  const from = civilOf(t)
  const total = from.year * 12 + from.month - 1 + n
  const year = Math.floor(total / 12)
  const month = total - year * 12 + 1
  const day = Math.min(from.day, daysInMonth(year, month))
  return daysFromCivil(year, month, day) * DAY_MS + msOfDay
}

/** Whole months from `earlier` to `later` (later >= earlier): the largest n with addMonths(earlier, n) <= later. */
function monthsBetween(later: number, earlier: number): number {
  const to = civilOf(later)
  const laterMonths = to.year * 12 + to.month
  const from = civilOf(earlier)
  let n = laterMonths - (from.year * 12 + from.month)
  if (n > 0 && addMonths(earlier, n) > later) n--
  return n
}

function dateAdd(d: CellValue, amount: CellValue, unit: CellValue): CellValue {
  const t = toTime(d)
  const u = unitOf(unit)
  if (t !== t || u === 0 || typeof amount !== 'number' || !Number.isFinite(amount)) return null
  let r: number
  if (u > 0) {
    r = t + Math.round(amount * u)
  } else {
    if (!Number.isInteger(amount)) return null
    r = addMonths(t, u === YEARS ? amount * 12 : amount)
  }
  return r >= -MAX_TIME && r <= MAX_TIME ? isoString(r) : null
}

function dateDiff(a: CellValue, b: CellValue, unit: CellValue): CellValue {
  const ta = toTime(a)
  const tb = toTime(b)
  const u = unitOf(unit)
  if (ta !== ta || tb !== tb || u === 0) return null
  if (u > 0) return Math.trunc((ta - tb) / u) + 0
  const months = ta >= tb ? monthsBetween(ta, tb) : -monthsBetween(tb, ta)
  return (u === YEARS ? Math.trunc(months / 12) : months) + 0
}

// ---------------------------------------------------------------------------------------------
// Functions

interface FunctionSpec {
  readonly name: string
  /** For messages, e.g. `round(x, digits?)`. */
  readonly signature: string
  readonly min: number
  readonly max: number
  readonly build: (args: readonly Eval[]) => Eval
  /** Compiles the call itself (for folding); takes precedence over `build`. */
  readonly compile?: (args: readonly Node[], pos: number) => Node
  /** Checks constant arguments at compile time; throws ExpressionError. */
  readonly check?: (args: readonly Node[]) => void
}

const one = (f: (a: CellValue) => CellValue) => (args: readonly Eval[]): Eval => {
  const a = args[0]!
  return g => f(a(g))
}
const two = (f: (a: CellValue, b: CellValue) => CellValue) => (args: readonly Eval[]): Eval => {
  const a = args[0]!
  const b = args[1]!
  return g => f(a(g), b(g))
}
const three = (f: (a: CellValue, b: CellValue, c: CellValue) => CellValue) => (args: readonly Eval[]): Eval => {
  const a = args[0]!
  const b = args[1]!
  const c = args[2]!
  return g => f(a(g), b(g), c(g))
}
const math = (f: (x: number) => number) => one(x => (typeof x === 'number' ? finite(f(x)) : null))
const textual = (f: (s: string) => CellValue) => one(v => (v === null ? null : f(text(v))))
const textual2 = (f: (s: string, t: string) => CellValue) => two((a, b) => (a === null || b === null ? null : f(text(a), text(b))))
const datePart = (f: (t: number) => CellValue) => one(v => {
  const t = toTime(v)
  return t === t ? f(t) : null
})
const calendarField = (f: (d: Date) => number) => datePart(t => {
  scratch.setTime(t)
  return f(scratch)
})
const extreme = (wantMax: boolean) => (args: readonly Eval[]): Eval => g => {
  let best = wantMax ? -Infinity : Infinity
  for (let i = 0; i < args.length; i++) {
    const v = args[i]!(g)
    if (typeof v !== 'number') return null
    if (wantMax ? v > best : v < best) best = v
  }
  return best
}

function checkUnit(args: readonly Node[]): void {
  const unit = args[2]!
  if (unit.constant && unitOf(unit.value) === 0) {
    throw new ExpressionError(`unknown unit ${JSON.stringify(unit.value)} (expected one of ${UNITS.map(u => `"${u}"`).join(', ')})`, unit.pos)
  }
}

function spec(signature: string, min: number, max: number, build: FunctionSpec['build'], extra: Partial<FunctionSpec> = {}): FunctionSpec {
  return { name: signature.slice(0, signature.indexOf('(')), signature, min, max, build, ...extra }
}

const SPECS: FunctionSpec[] = [
  // math
  spec('abs(x)', 1, 1, math(Math.abs)),
  spec('round(x, digits?)', 1, 2, args => {
    const x = args[0]!
    const d = args[1]
    return d ? g => roundTo(x(g), d(g)) : g => roundTo(x(g), 0)
  }),
  spec('floor(x)', 1, 1, math(Math.floor)),
  spec('ceil(x)', 1, 1, math(Math.ceil)),
  spec('min(x, ...)', 1, Infinity, extreme(false)),
  spec('max(x, ...)', 1, Infinity, extreme(true)),
  spec('sqrt(x)', 1, 1, math(Math.sqrt)),
  spec('pow(x, y)', 2, 2, two((x, y) => (typeof x === 'number' && typeof y === 'number' ? finite(x ** y) : null))),
  spec('log(x, base?)', 1, 2, args => args.length === 1
    ? math(Math.log)(args)
    : two((x, b) => {
        if (typeof x !== 'number' || typeof b !== 'number') return null
        return finite(b === 10 ? Math.log10(x) : b === 2 ? Math.log2(x) : Math.log(x) / Math.log(b))
      })(args)),
  spec('exp(x)', 1, 1, math(Math.exp)),
  spec('clamp(x, lo, hi)', 3, 3, three((x, lo, hi) => {
    if (typeof x !== 'number' || typeof lo !== 'number' || typeof hi !== 'number' || lo > hi) return null
    return x < lo ? lo : x > hi ? hi : x
  })),
  // text
  spec('upper(s)', 1, 1, textual(s => capped(s.toUpperCase()))),
  spec('lower(s)', 1, 1, textual(s => capped(s.toLowerCase()))),
  spec('trim(s)', 1, 1, textual(s => s.trim())),
  spec('len(s)', 1, 1, textual(s => s.length)),
  spec('concat(s, ...)', 1, Infinity, args => g => {
    let out = ''
    for (let i = 0; i < args.length; i++) {
      const v = args[i]!(g)
      if (v === null) continue
      const piece = text(v)
      if (out.length + piece.length > MAX_TEXT_LENGTH) return null
      out += piece
    }
    return out
  }),
  spec('substr(s, start, length?)', 2, 3, args => {
    const s = args[0]!
    const start = args[1]!
    const length = args[2]
    return length ? g => substrOf(s(g), start(g), length(g)) : g => substrOf(s(g), start(g), Infinity)
  }),
  spec('replace(s, find, with)', 3, 3, three(replaceAll)),
  spec('pad_start(s, length, fill)', 3, 3, three(padStart)),
  spec('contains(s, part)', 2, 2, textual2((s, t) => s.includes(t))),
  spec('starts_with(s, prefix)', 2, 2, textual2((s, t) => s.startsWith(t))),
  spec('ends_with(s, suffix)', 2, 2, textual2((s, t) => s.endsWith(t))),
  spec('to_string(x)', 1, 1, one(textOrNull)),
  // conversion
  spec('to_number(x)', 1, 1, one(toNumber)),
  spec('to_int(x)', 1, 1, one(v => {
    const n = toNumber(v)
    return n === null ? null : Math.trunc(n) + 0
  })),
  // logic
  spec('if(cond, a, b)', 3, 3, args => {
    const c = args[0]!
    const a = args[1]!
    const b = args[2]!
    return g => (truthy(c(g)) ? a(g) : b(g))
  }, { compile: (args, pos) => conditional(args[0]!, args[1]!, args[2]!, pos) }),
  spec('coalesce(x, ...)', 1, Infinity, args => g => {
    for (let i = 0; i < args.length; i++) {
      const v = args[i]!(g)
      if (v !== null) return v
    }
    return null
  }),
  spec('is_null(x)', 1, 1, one(v => v === null)),
  // dates
  spec('year(d)', 1, 1, calendarField(d => d.getUTCFullYear())),
  spec('month(d)', 1, 1, calendarField(d => d.getUTCMonth() + 1)),
  spec('day(d)', 1, 1, calendarField(d => d.getUTCDate())),
  spec('hour(d)', 1, 1, calendarField(d => d.getUTCHours())),
  spec('minute(d)', 1, 1, calendarField(d => d.getUTCMinutes())),
  spec('second(d)', 1, 1, calendarField(d => d.getUTCSeconds())),
  spec('weekday(d)', 1, 1, calendarField(d => d.getUTCDay())),
  spec('date(d)', 1, 1, datePart(t => formatInstant(t, 'YYYY-MM-DD'))),
  spec('date_add(d, amount, unit)', 3, 3, three(dateAdd), { check: checkUnit }),
  spec('date_diff(a, b, unit)', 3, 3, three(dateDiff), { check: checkUnit }),
  spec('format_date(d, pattern)', 2, 2, two((d, pattern) => {
    const t = toTime(d)
    return t !== t || pattern === null ? null : capped(formatInstant(t, text(pattern)))
  })),
  spec('epoch_ms(d)', 1, 1, datePart(t => t)),
]

const FUNCTIONS = new Map(SPECS.map(s => [s.name, s]))

/** Names of all functions, for documentation. */
export const EXPRESSION_FUNCTIONS: readonly string[] = Object.freeze(SPECS.map(s => s.name))

// ---------------------------------------------------------------------------------------------
// Compiled nodes

/** Never called: a constant node reads no column. */
const NO_COLUMNS: Getter = () => null

function constantNode(value: CellValue, pos: number): Node {
  return { run: () => value, constant: true, value, pos }
}

/** A node computed by `run` from `parts`; evaluated now when every part is constant. */
function computed(run: Eval, parts: readonly Node[], pos: number): Node {
  for (const part of parts) if (!part.constant) return { run, constant: false, value: null, pos }
  return constantNode(run(NO_COLUMNS), pos)
}

function conditional(cond: Node, yes: Node, no: Node, pos: number): Node {
  if (cond.constant) return truthy(cond.value) ? yes : no
  const c = cond.run
  const a = yes.run
  const b = no.run
  return computed(g => (truthy(c(g)) ? a(g) : b(g)), [cond, yes, no], pos)
}

function unary(op: string, operand: Node, pos: number): Node {
  const x = operand.run
  let run: Eval
  if (op === '-') {
    run = g => {
      const v = x(g)
      return typeof v === 'number' ? finite(-v) : null
    }
  } else if (op === '+') {
    run = g => {
      const v = x(g)
      return typeof v === 'number' ? v : null
    }
  } else {
    run = g => !truthy(x(g))
  }
  return computed(run, [operand], pos)
}

function binary(op: string, left: Node, right: Node, pos: number): Node {
  const x = left.run
  const y = right.run
  let run: Eval
  switch (op) {
    case '+':
      run = g => add(x(g), y(g))
      break
    case '-':
      run = g => {
        const l = x(g)
        const r = y(g)
        return typeof l === 'number' && typeof r === 'number' ? finite(l - r) : null
      }
      break
    case '*':
      run = g => {
        const l = x(g)
        const r = y(g)
        return typeof l === 'number' && typeof r === 'number' ? finite(l * r) : null
      }
      break
    case '/':
      run = g => {
        const l = x(g)
        const r = y(g)
        return typeof l === 'number' && typeof r === 'number' ? finite(l / r) : null
      }
      break
    case '%':
      run = g => {
        const l = x(g)
        const r = y(g)
        return typeof l === 'number' && typeof r === 'number' ? finite(l % r) : null
      }
      break
    case '**':
      run = g => {
        const l = x(g)
        const r = y(g)
        return typeof l === 'number' && typeof r === 'number' ? finite(l ** r) : null
      }
      break
    case '==':
      run = g => x(g) === y(g)
      break
    case '!=':
      run = g => x(g) !== y(g)
      break
    case '<':
      run = g => {
        const c = order(x(g), y(g))
        return c === c ? c < 0 : null
      }
      break
    case '<=':
      run = g => {
        const c = order(x(g), y(g))
        return c === c ? c <= 0 : null
      }
      break
    case '>':
      run = g => {
        const c = order(x(g), y(g))
        return c === c ? c > 0 : null
      }
      break
    case '>=':
      run = g => {
        const c = order(x(g), y(g))
        return c === c ? c >= 0 : null
      }
      break
    case 'and':
      run = g => truthy(x(g)) && truthy(y(g))
      break
    default: // 'or'
      run = g => truthy(x(g)) || truthy(y(g))
  }
  return computed(run, [left, right], pos)
}

// ---------------------------------------------------------------------------------------------
// Tokens and parsing

/** `value` is a literal (number, string, true, false, null); `op` an operator or punctuation. */
type TokenType = 'value' | 'name' | 'op' | 'end'

interface Token {
  readonly type: TokenType
  /** The operator (`and` for `&&`, `or` for `||`, `not` for `!`), the name, or the source text. */
  readonly text: string
  /** The token as written. */
  readonly raw: string
  readonly value: CellValue
  readonly pos: number
}

const TERNARY_POWER = 1
const UNARY_POWER = 13

/** Left binding power of an infix operator (0: not one). Right power is left + 1, except `**` (right-associative). */
function infixPower(op: string): number {
  switch (op) {
    case 'or': return 2
    case 'and': return 4
    case '==': case '!=': case '<': case '<=': case '>': case '>=': return 6
    case '+': case '-': return 8
    case '*': case '/': case '%': return 10
    case '**': return 15
    default: return 0
  }
}

const isComparison = (op: string) => infixPower(op) === 6

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95
}

function isNamePart(c: number): boolean {
  return isNameStart(c) || isDigit(c)
}

function describe(token: Token): string {
  if (token.type === 'end') return 'end of expression'
  if (token.type === 'name') return `name ${JSON.stringify(token.raw)}`
  if (typeof token.value === 'number') return `number ${token.raw}`
  if (typeof token.value === 'string') return `string ${token.raw.length > 24 ? `${token.raw.slice(0, 20)}...` : token.raw}`
  return JSON.stringify(token.raw)
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}

function unknownFunction(name: string, pos: number): ExpressionError {
  const lower = name.toLowerCase()
  let best = ''
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1
  for (const candidate of EXPRESSION_FUNCTIONS) {
    const distance = editDistance(lower, candidate)
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return new ExpressionError(`unknown function ${JSON.stringify(name)}${best ? ` (did you mean "${best}"?)` : ''}`, pos)
}

function arityText(spec: FunctionSpec): string {
  const plural = (n: number) => `${n} argument${n === 1 ? '' : 's'}`
  if (spec.max === Infinity) return `at least ${plural(spec.min)}`
  if (spec.min === spec.max) return plural(spec.min)
  return `${spec.min} to ${spec.max} arguments`
}

class Parser {
  readonly source: string
  /** Where the lexer is (just after `token`). */
  index: number
  /** The next token, not yet consumed. */
  token: Token
  readonly references: string[]
  readonly referenceIndex: Map<string, number>

  constructor(source: string) {
    this.source = source
    this.index = 0
    this.references = []
    this.referenceIndex = new Map()
    this.token = this.lex()
  }

  advance(): Token {
    const token = this.token
    this.token = this.lex()
    return token
  }

  /** Reads the token at `index`, throwing ExpressionError for anything that is not one. */
  lex(): Token {
    const s = this.source
    const n = s.length
    let i = this.index
    while (i < n) {
      const c = s.charCodeAt(i)
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break
      i++
    }
    const start = i
    if (i >= n) {
      this.index = i
      return { type: 'end', text: '', raw: '', value: null, pos: start }
    }
    const c = s.charCodeAt(i)

    if (isDigit(c)) {
      while (isDigit(s.charCodeAt(i))) i++
      let ok = true
      if (s.charCodeAt(i) === 46) { // .
        i++
        ok = isDigit(s.charCodeAt(i))
        while (isDigit(s.charCodeAt(i))) i++
      }
      if (ok && (s.charCodeAt(i) === 101 || s.charCodeAt(i) === 69)) { // e, E
        i++
        if (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45) i++
        ok = isDigit(s.charCodeAt(i))
        while (isDigit(s.charCodeAt(i))) i++
      }
      if (!ok || isNamePart(s.charCodeAt(i)) || s.charCodeAt(i) === 46) {
        let end = i
        while (end < n && (isNamePart(s.charCodeAt(end)) || s.charCodeAt(end) === 46)) end++
        throw new ExpressionError(`malformed number ${JSON.stringify(s.slice(start, Math.max(end, i)))}`, start)
      }
      const raw = s.slice(start, i)
      const value = Number(raw)
      if (!Number.isFinite(value)) throw new ExpressionError(`number ${raw} is too large`, start)
      this.index = i
      return { type: 'value', text: raw, raw, value, pos: start }
    }

    if (isNameStart(c)) {
      while (isNamePart(s.charCodeAt(i))) i++
      const name = s.slice(start, i)
      this.index = i
      switch (name) {
        case 'true': return { type: 'value', text: name, raw: name, value: true, pos: start }
        case 'false': return { type: 'value', text: name, raw: name, value: false, pos: start }
        case 'null': return { type: 'value', text: name, raw: name, value: null, pos: start }
        case 'and': case 'or': case 'not': return { type: 'op', text: name, raw: name, value: null, pos: start }
        default: return { type: 'name', text: name, raw: name, value: null, pos: start }
      }
    }

    if (c === 39 || c === 34) return this.lexString(start)

    const pair = s.slice(i, i + 2)
    let op: string | null = null
    switch (pair) {
      case '**': case '<=': case '>=': case '==': case '!=': op = pair; break
      case '&&': op = 'and'; break
      case '||': op = 'or'; break
    }
    if (op !== null) {
      this.index = i + 2
      return { type: 'op', text: op, raw: pair, value: null, pos: start }
    }
    const ch = s[i]!
    switch (ch) {
      case '+': case '-': case '*': case '/': case '%': case '<': case '>': case '?': case ':': case '(': case ')': case ',':
        this.index = i + 1
        return { type: 'op', text: ch, raw: ch, value: null, pos: start }
      case '!':
        this.index = i + 1
        return { type: 'op', text: 'not', raw: ch, value: null, pos: start }
      case '=': throw new ExpressionError('unexpected "=" (use "==" to compare)', start)
      case '&': throw new ExpressionError('unexpected "&" (use "and" or "&&")', start)
      case '|': throw new ExpressionError('unexpected "|" (use "or" or "||")', start)
    }
    throw new ExpressionError(`unexpected character ${JSON.stringify(String.fromCodePoint(s.codePointAt(i)!))}`, start)
  }

  lexString(start: number): Token {
    const s = this.source
    const n = s.length
    const quote = s.charCodeAt(start)
    let value = ''
    let i = start + 1
    let chunk = i
    for (;;) {
      if (i >= n) throw new ExpressionError('unterminated string', start)
      const c = s.charCodeAt(i)
      if (c === quote) break
      if (c !== 92) { // not a backslash
        i++
        continue
      }
      value += s.slice(chunk, i)
      if (i + 1 >= n) throw new ExpressionError('unterminated string', start)
      const e = s[i + 1]!
      let length = 2
      switch (e) {
        case 'n': value += '\n'; break
        case 't': value += '\t'; break
        case 'r': value += '\r'; break
        case 'b': value += '\b'; break
        case 'f': value += '\f'; break
        case 'v': value += '\v'; break
        case '0': value += '\0'; break
        case '\\': case '\'': case '"': value += e; break
        case 'u': {
          let hex: string
          if (s[i + 2] === '{') {
            const close = s.indexOf('}', i + 3)
            hex = close === -1 ? '' : s.slice(i + 3, close)
            length = close - i + 1
            if (!/^[0-9A-Fa-f]{1,6}$/.test(hex) || Number.parseInt(hex, 16) > 0x10ffff) throw new ExpressionError('invalid \\u{...} escape', i)
          } else {
            hex = s.slice(i + 2, i + 6)
            length = 6
            if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw new ExpressionError('invalid \\u escape (expected 4 hex digits)', i)
          }
          value += String.fromCodePoint(Number.parseInt(hex, 16))
          break
        }
        default:
          throw new ExpressionError(`unknown escape ${JSON.stringify(`\\${e}`)} in string`, i)
      }
      i += length
      chunk = i
    }
    value += s.slice(chunk, i)
    this.index = i + 1
    const raw = s.slice(start, i + 1)
    return { type: 'value', text: raw, raw, value, pos: start }
  }

  atEnd(): boolean {
    return this.token.type === 'end'
  }

  isOp(text: string): boolean {
    return this.token.type === 'op' && this.token.text === text
  }

  /** Parses an operand nested one level deeper than `depth`; `pos` is what opens it. */
  nested(power: number, depth: number, pos: number): Node {
    if (depth >= MAX_DEPTH) throw new ExpressionError(`expression is nested too deeply (more than ${MAX_DEPTH} levels)`, pos)
    return this.expression(power, depth + 1)
  }

  expression(minPower: number, depth: number): Node {
    let left = this.prefix(depth)
    let comparison = false
    for (;;) {
      const token = this.token
      if (token.type !== 'op') break
      const op = token.text
      if (op === '?') {
        if (TERNARY_POWER < minPower) break
        this.advance()
        const yes = this.nested(0, depth, token.pos)
        if (!this.isOp(':')) throw new ExpressionError(`expected ":" for the "?" at position ${token.pos} but found ${describe(this.token)}`, this.token.pos)
        this.advance()
        const no = this.nested(TERNARY_POWER, depth, token.pos)
        left = conditional(left, yes, no, token.pos)
        comparison = false
        continue
      }
      const power = infixPower(op)
      if (power === 0 || power < minPower) break
      if (comparison && isComparison(op)) {
        throw new ExpressionError(`comparisons cannot be chained (write "a < b and b < c" instead of "a < b < c")`, token.pos)
      }
      this.advance()
      const right = this.nested(op === '**' ? power - 1 : power + 1, depth, token.pos)
      left = binary(op, left, right, token.pos)
      comparison = isComparison(op)
    }
    return left
  }

  prefix(depth: number): Node {
    const token = this.token
    if (token.type === 'value') {
      this.advance()
      return constantNode(token.value, token.pos)
    }
    if (token.type === 'name') {
      this.advance()
      return this.isOp('(') ? this.call(token, depth) : this.reference(token)
    }
    if (token.type === 'op') {
      if (token.text === '(') {
        this.advance()
        const inner = this.nested(0, depth, token.pos)
        if (!this.isOp(')')) throw new ExpressionError(`expected ")" to close the "(" at position ${token.pos} but found ${describe(this.token)}`, this.token.pos)
        this.advance()
        return inner
      }
      if (token.text === '-' || token.text === '+' || token.text === 'not') {
        this.advance()
        return unary(token.text, this.nested(UNARY_POWER, depth, token.pos), token.pos)
      }
    }
    throw new ExpressionError(`expected a value but found ${describe(token)}`, token.pos)
  }

  reference(token: Token): Node {
    let index = this.referenceIndex.get(token.text)
    if (index === undefined) {
      index = this.references.length
      this.references.push(token.text)
      this.referenceIndex.set(token.text, index)
    }
    const i = index
    return { run: get => get(i), constant: false, value: null, pos: token.pos }
  }

  call(name: Token, depth: number): Node {
    const fn = FUNCTIONS.get(name.text)
    if (!fn) throw unknownFunction(name.text, name.pos)
    const open = this.advance()
    const args: Node[] = []
    if (this.isOp(')')) {
      this.advance()
    } else {
      for (;;) {
        args.push(this.nested(0, depth, name.pos))
        if (this.isOp(',')) {
          this.advance()
          continue
        }
        if (this.isOp(')')) {
          this.advance()
          break
        }
        throw new ExpressionError(`expected "," or ")" to continue the call of ${name.text} at position ${open.pos} but found ${describe(this.token)}`, this.token.pos)
      }
    }
    if (args.length < fn.min || args.length > fn.max) {
      throw new ExpressionError(`${fn.signature} takes ${arityText(fn)} but got ${args.length}`, name.pos)
    }
    fn.check?.(args)
    if (fn.compile) return fn.compile(args, name.pos)
    return computed(fn.build(args.map(a => a.run)), args, name.pos)
  }
}

/**
 * Compiles an expression (see the module comment for the language). Throws ExpressionError, with
 * the 0-based position of the problem, for anything that is not a valid expression.
 */
export function compileExpression(source: string): CompiledExpression {
  if (typeof source !== 'string') throw new ExpressionError('an expression must be a string', 0)
  if (source.length > MAX_SOURCE_LENGTH) {
    throw new ExpressionError(`expression is too long (${source.length} characters, at most ${MAX_SOURCE_LENGTH})`, MAX_SOURCE_LENGTH)
  }
  const parser = new Parser(source)
  if (parser.atEnd()) throw new ExpressionError('empty expression', parser.token.pos)
  const root = parser.expression(0, 0)
  if (!parser.atEnd()) {
    throw new ExpressionError(`expected an operator or the end of the expression but found ${describe(parser.token)}`, parser.token.pos)
  }
  return { references: parser.references, evaluate: root.run }
}
