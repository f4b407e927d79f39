import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { CellValue } from '#shared/schema'
import { compileExpression, EXPRESSION_FUNCTIONS, ExpressionError } from '~~/engine/schema/expression'

/** Evaluates `source` for one row given by name; reading a column the row lacks fails the test. */
function run(source: string, row: Record<string, CellValue> = {}): CellValue {
  const compiled = compileExpression(source)
  const values = compiled.references.map(name => {
    if (!Object.hasOwn(row, name)) throw new Error(`test row has no column "${name}"`)
    return row[name]!
  })
  return compiled.evaluate(i => values[i]!)
}

/** The ExpressionError that compiling `source` throws. */
function errorOf(source: string): ExpressionError {
  try {
    compileExpression(source)
  } catch (error) {
    if (error instanceof ExpressionError) return error
    throw error
  }
  throw new Error(`expected ${JSON.stringify(source)} not to compile`)
}

const cases = (table: [string, CellValue][], row: Record<string, CellValue> = {}) => {
  for (const [source, expected] of table) expect(run(source, row), source).toBe(expected)
}

describe('arithmetic and precedence', () => {
  it('follows the usual precedence and associativity', () => {
    cases([
      ['1 + 2 * 3', 7],
      ['(1 + 2) * 3', 9],
      ['10 - 4 - 3', 3],
      ['24 / 4 / 2', 3],
      ['7 % 3', 1],
      ['-7 % 3', -1],
      ['2 * 3 % 4', 2],
      ['2 ** 3 ** 2', 512],
      ['-2 ** 2', -4],
      ['(-2) ** 2', 4],
      ['2 ** -1', 0.5],
      ['-3 * 2', -6],
      ['+5', 5],
      ['- -5', 5],
      ['1 + 2 * 3 ** 2 - 4 / 2', 17],
    ])
  })

  it('reads numbers in decimal and exponent notation', () => {
    cases([
      ['12', 12],
      ['3.5', 3.5],
      ['1e3', 1000],
      ['2.5E-1', 0.25],
      ['1e+2', 100],
      ['007', 7],
    ])
  })

  it('gives 0 for negative zero', () => {
    expect(Object.is(run('-0'), 0)).toBe(true)
    expect(Object.is(run('0 * -1'), 0)).toBe(true)
    expect(Object.is(run('x * -1', { x: 0 }), 0)).toBe(true)
  })

  it('computes from columns', () => {
    expect(run('quantity * unit_price * (1 - discount)', { quantity: 4, unit_price: 2.5, discount: 0.5 })).toBe(5)
    expect(run('0.1 + 0.2')).toBe(0.30000000000000004)
  })

  it('compares numbers, strings and booleans', () => {
    cases([
      ['1 < 2', true],
      ['2 <= 2', true],
      ['3 > 4', false],
      ['3 >= 4', false],
      ["'apple' < 'banana'", true],
      ["'b' >= 'a'", true],
      ['false < true', true],
      ['1 == 1', true],
      ["'a' == 'a'", true],
      ["1 == '1'", false],
      ["1 != '1'", true],
      ['true == 1', false],
      ['1 + 1 == 2', true],
    ])
  })

  it('has boolean operators that treat null, false, 0 and empty text as false', () => {
    cases([
      ['true and false', false],
      ['true && 1', true],
      ["0 or ''", false],
      ["'x' || 0", true],
      ["'0' and 1", true],
      ['not 0', true],
      ['!1', false],
      ['not null', true],
      ['!!"a"', true],
      ['null and true', false],
      ['null or true', true],
      ['1 > 0 and 2 > 1 or false', true],
      ['false or true and false', false],
      // `not` is a unary operator like `!`: it binds tighter than a comparison
      ['not 1 == 0', false],
      ['not (1 == 0)', true],
    ])
  })
})

describe('strings', () => {
  it('concatenates with + when either side is a string', () => {
    cases([
      ["'a' + 'b'", 'ab'],
      ["'n=' + 3", 'n=3'],
      ["1 + '2'", '12'],
      ["'x' + true", 'xtrue'],
      ["'total: ' + 2 * 1.5", 'total: 3'],
      ["'a' + 1 + 2", 'a12'],
      ["1 + 2 + 'a'", '3a'],
      ['"double" + \'single\'', 'doublesingle'],
    ])
    expect(run("first + ' ' + last", { first: 'Ada', last: 'Lovelace' })).toBe('Ada Lovelace')
  })

  it('reads backslash escapes', () => {
    expect(run(String.raw`'it\'s' + "\"q\"" + '\n\t\r\\' + '\u0041\u{1F600}' + '\0'`)).toBe('it\'s"q"\n\t\r\\A\u{1F600}\0')
    expect(run(String.raw`"\b\f\v"`)).toBe('\b\f\v')
  })

  it('does arithmetic only on numbers', () => {
    cases([
      ["'3' * 2", null],
      ['true + 1', null],
      ["'5' - 1", null],
      ["-'a'", null],
      ['+true', null],
    ])
  })
})

describe('null semantics', () => {
  it('gives null for arithmetic and comparison with null', () => {
    cases([
      ['null + 1', null],
      ['1 - null', null],
      ['null * 2', null],
      ['null / 2', null],
      ['null % 2', null],
      ['null ** 2', null],
      ['-null', null],
      ["null + 'a'", null],
      ['null < 1', null],
      ['null >= null', null],
    ])
    expect(run('x + 1', { x: null })).toBe(null)
    expect(run("name + '!'", { name: null })).toBe(null)
  })

  it('gives null for comparing values of different types', () => {
    cases([
      ["1 < 'a'", null],
      ['true > 0', null],
      ["'1' <= 1", null],
    ])
  })

  it('compares with == and != normally', () => {
    cases([
      ['null == null', true],
      ['1 == null', false],
      ['null != 0', true],
      ["null == ''", false],
      ['null != null', false],
    ])
    expect(run('x == null', { x: null })).toBe(true)
    expect(run('x == null', { x: 0 })).toBe(false)
  })

  it('lets coalesce, is_null and if handle null', () => {
    expect(run('coalesce(x, 0) + 1', { x: null })).toBe(1)
    expect(run('is_null(x)', { x: null })).toBe(true)
    expect(run("if(x, 'set', 'unset')", { x: null })).toBe('unset')
  })
})

describe('division by zero and non-finite results', () => {
  it('gives null', () => {
    cases([
      ['1 / 0', null],
      ['0 / 0', null],
      ['-1 / 0', null],
      ['5 % 0', null],
      ['10 ** 400', null],
      ['1e308 * 10', null],
      ['sqrt(-1)', null],
      ['log(0)', null],
      ['log(-1)', null],
      ['log(5, 1)', null],
      ['exp(1000)', null],
      ['pow(0, -1)', null],
      ['pow(-8, 1 / 3)', null],
    ])
    expect(run('a / b', { a: 3, b: 0 })).toBe(null)
    expect(run('a / b', { a: 3, b: 2 })).toBe(1.5)
  })
})

describe('conditionals', () => {
  it('chooses with the ternary operator', () => {
    cases([
      ["1 > 0 ? 'yes' : 'no'", 'yes'],
      ["1 < 0 ? 'yes' : 'no'", 'no'],
      ['null ? 1 : 2', 2],
      ["'' ? 1 : 2", 2],
      ["'0' ? 1 : 2", 1],
      ['0 ? 1 : 2', 2],
      ['1 + 1 > 1 ? 10 : 20', 10],
      ['true ? 1 : 2 + 100', 1],
      ['false ? 1 : 2 + 100', 102],
    ])
  })

  it('is right-associative', () => {
    const grade = "score >= 90 ? 'A' : score >= 80 ? 'B' : score >= 70 ? 'C' : 'F'"
    expect(run(grade, { score: 95 })).toBe('A')
    expect(run(grade, { score: 85 })).toBe('B')
    expect(run(grade, { score: 70 })).toBe('C')
    expect(run(grade, { score: 12 })).toBe('F')
    expect(run('a ? b ? 1 : 2 : 3', { a: true, b: false })).toBe(2)
    expect(run('a ? b ? 1 : 2 : 3', { a: false, b: true })).toBe(3)
  })

  it('chooses with if', () => {
    expect(run("if(age >= 18, 'adult', 'minor')", { age: 18 })).toBe('adult')
    expect(run("if(age >= 18, 'adult', 'minor')", { age: 17 })).toBe('minor')
    expect(run('if(0, 1, 2)')).toBe(2)
    expect(run("if('x', 1, 2)")).toBe(1)
  })

  it('evaluates only the operands it needs', () => {
    const reads = (source: string, row: CellValue[]) => {
      const compiled = compileExpression(source)
      const read: string[] = []
      const value = compiled.evaluate(i => {
        read.push(compiled.references[i]!)
        return row[i]!
      })
      return { value, read }
    }
    expect(reads('flag ? a : b', [true, 1, 2])).toEqual({ value: 1, read: ['flag', 'a'] })
    expect(reads('flag ? a : b', [false, 1, 2])).toEqual({ value: 2, read: ['flag', 'b'] })
    expect(reads('if(flag, a, b)', [false, 1, 2])).toEqual({ value: 2, read: ['flag', 'b'] })
    expect(reads('flag and a', [false, true])).toEqual({ value: false, read: ['flag'] })
    expect(reads('flag or a', [true, false])).toEqual({ value: true, read: ['flag'] })
    expect(reads('coalesce(a, b, c)', [null, 5, 6])).toEqual({ value: 5, read: ['a', 'b'] })
  })
})

describe('references', () => {
  it('lists each column once, in first-use order, and reads them by index', () => {
    const compiled = compileExpression('b + a * b - c + a')
    expect(compiled.references).toEqual(['b', 'a', 'c'])
    const row = [10, 2, 1]
    expect(compiled.evaluate(i => row[i]!)).toBe(31)
  })

  it('treats a name followed by ( as a call and any other name as a column', () => {
    expect(compileExpression('len + upper').references).toEqual(['len', 'upper'])
    expect(compileExpression('len(len)').references).toEqual(['len'])
    expect(run('len(len) + len', { len: 'abc' })).toBe('3abc')
  })

  it('does not list keywords and is case-sensitive', () => {
    expect(compileExpression('true and x or not null').references).toEqual(['x'])
    expect(compileExpression('Total + total + TOTAL').references).toEqual(['Total', 'total', 'TOTAL'])
    expect(compileExpression('True').references).toEqual(['True'])
    expect(compileExpression('_x1 + x_2').references).toEqual(['_x1', 'x_2'])
  })

  it('lists columns of a branch that folding removed, so the caller still validates them', () => {
    const compiled = compileExpression('true ? a : b')
    expect(compiled.references).toEqual(['a', 'b'])
    expect(compiled.evaluate(i => [1, 2][i]!)).toBe(1)
  })

  it('folds constant parts without reading any column', () => {
    const never = (): CellValue => {
      throw new Error('read a column')
    }
    const constant = compileExpression("2 * 60 * 1000 + len(upper('abc'))")
    expect(constant.references).toEqual([])
    expect(constant.evaluate(never)).toBe(120003)
    expect(compileExpression('if(1 > 2, x, 7)').evaluate(never)).toBe(7)
  })
})

describe('safety', () => {
  const SENTINEL = 'sentinel: the getter was asked'

  it('treats names that exist on JavaScript objects as ordinary columns', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'prototype', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
      const compiled = compileExpression(name)
      expect(compiled.references, name).toEqual([name])
      expect(compiled.evaluate(i => (i === 0 ? SENTINEL : null)), name).toBe(SENTINEL)
    }
    const several = compileExpression('constructor + __proto__ + toString')
    expect(several.references).toEqual(['constructor', '__proto__', 'toString'])
    expect(several.evaluate(i => ['a', 'b', 'c'][i]!)).toBe('abc')
  })

  it('does not call object methods as functions', () => {
    expect(errorOf('toString(1)')).toMatchObject({ position: 0, message: 'unknown function "toString" (did you mean "to_string"?) at position 0' })
    expect(errorOf('constructor(1)')).toMatchObject({ position: 0, message: 'unknown function "constructor" at position 0' })
    expect(errorOf('__proto__(1)')).toMatchObject({ position: 0, message: 'unknown function "__proto__" at position 0' })
    expect(errorOf('hasOwnProperty("x")')).toMatchObject({ position: 0 })
  })

  it('has no member access or indexing', () => {
    expect(errorOf('x.constructor')).toMatchObject({ position: 1, message: 'unexpected character "." at position 1' })
    expect(errorOf('a[0]')).toMatchObject({ position: 1, message: 'unexpected character "[" at position 1' })
    expect(errorOf("'abc'.length")).toMatchObject({ position: 5, message: 'unexpected character "." at position 5' })
    expect(errorOf('x["constructor"]')).toMatchObject({ position: 1 })
  })

  it('has no function that reads the clock or randomness', () => {
    for (const name of ['now', 'today', 'random', 'rand', 'uuid']) {
      expect(EXPRESSION_FUNCTIONS).not.toContain(name)
      expect(errorOf(`${name}()`).message).toMatch(new RegExp(`^unknown function "${name}"`))
    }
    const source = readFileSync(new URL('../../../../engine/schema/expression.ts', import.meta.url), 'utf8')
    expect(source).not.toMatch(/\beval\s*\(|new Function|\bFunction\s*\(|node:vm|Date\.now|new Date\(\)|Math\.random/)
  })
})

describe('math functions', () => {
  it('computes each', () => {
    cases([
      ['abs(-3.5)', 3.5],
      ['abs(2)', 2],
      ['round(3.14159, 2)', 3.14],
      ['round(2.4)', 2],
      ['round(2.5)', 3],
      ['round(-2.5)', -3],
      ['round(1.005, 2)', 1.01],
      ['round(2.675, 2)', 2.68],
      ['round(1234.5, -2)', 1200],
      ['round(12, 20)', 12],
      ['round(null)', null],
      ["round(1.5, 'x')", null],
      ['floor(-1.5)', -2],
      ['floor(2.7)', 2],
      ['ceil(1.2)', 2],
      ['ceil(-1.2)', -1],
      ['min(3, 1, 2)', 1],
      ['max(3, 1, 2)', 3],
      ['max(5)', 5],
      ['min(-1, -7.5)', -7.5],
      ['min(1, null)', null],
      ["max(1, 'a')", null],
      ['sqrt(16)', 4],
      ['sqrt(2)', 1.4142135623730951],
      ['pow(2, 10)', 1024],
      ['pow(9, 0.5)', 3],
      ['log(1)', 0],
      ['log(100, 10)', 2],
      ['log(1000, 10)', 3],
      ['log(1024, 2)', 10],
      ['log(81, 3)', 4.000000000000001],
      ['exp(0)', 1],
      ['exp(1)', 2.718281828459045],
      ['clamp(15, 0, 10)', 10],
      ['clamp(-1, 0, 10)', 0],
      ['clamp(5, 0, 10)', 5],
      ['clamp(5, 10, 0)', null],
      ['clamp(null, 0, 10)', null],
    ])
  })
})

describe('text functions', () => {
  it('computes each', () => {
    cases([
      ["upper('straße')", 'STRASSE'],
      ["lower('ÀB c')", 'àb c'],
      ["trim('  a b \\n')", 'a b'],
      ["len('hello')", 5],
      ["len('')", 0],
      ['len(12345)', 5],
      ['len(true)', 4],
      ['len(null)', null],
      ["concat('a', 1, true, null, 'z')", 'a1truez'],
      ['concat(null)', ''],
      ["concat('x')", 'x'],
      ["substr('hello', 1, 3)", 'ell'],
      ["substr('hello', 2)", 'llo'],
      ["substr('hello', -3, 2)", 'll'],
      ["substr('hello', -10, 2)", 'he'],
      ["substr('hello', 10)", ''],
      ["substr('hello', 1, -1)", ''],
      ["substr('hello', 1.9, 2.9)", 'el'],
      ['substr(20240517, 0, 4)', '2024'],
      ["substr('hello', null)", null],
      ["replace('a-b-c', '-', '+')", 'a+b+c'],
      ["replace('aaa', 'a', 'bb')", 'bbbbbb'],
      ["replace('a.b', '.', '$&$1')", 'a$&$1b'],
      ["replace('abc', '', 'x')", 'abc'],
      ["replace('abc', 'z', 'x')", 'abc'],
      ["replace(null, 'a', 'b')", null],
      ["pad_start(42, 6, '0')", '000042'],
      ["pad_start('abc', 2, '*')", 'abc'],
      ["pad_start('7', 5, 'ab')", 'abab7'],
      ["pad_start('7', 5, '')", '7'],
      ["pad_start('7', null, '0')", null],
      ["contains('hello', 'ell')", true],
      ["contains('hello', 'xyz')", false],
      ["contains(null, 'a')", null],
      ["starts_with('hello', 'he')", true],
      ["starts_with('hello', 'lo')", false],
      ["ends_with('hello', 'lo')", true],
      ['ends_with(2024, 24)', true],
      ['to_string(3.5)', '3.5'],
      ['to_string(-2)', '-2'],
      ['to_string(true)', 'true'],
      ["to_string('x')", 'x'],
      ['to_string(null)', null],
    ])
    expect(run("upper(substr(country, 0, 2)) + '-' + pad_start(id, 6, '0')", { country: 'germany', id: 42 })).toBe('GE-000042')
  })
})

describe('conversion functions', () => {
  it('computes each', () => {
    cases([
      ["to_number('42')", 42],
      ["to_number(' -3.5e2 ')", -350],
      ["to_number('.5')", 0.5],
      ["to_number('+7.')", 7],
      ['to_number(7)', 7],
      ['to_number(true)', 1],
      ['to_number(false)', 0],
      ["to_number('')", null],
      ["to_number('   ')", null],
      ["to_number('12abc')", null],
      ["to_number('0x10')", null],
      ["to_number('1,000')", null],
      ["to_number('Infinity')", null],
      ["to_number('1e400')", null],
      ['to_number(null)', null],
      ["to_int('3.9')", 3],
      ['to_int(-3.9)', -3],
      ['to_int(true)', 1],
      ["to_int('abc')", null],
      ['to_int(null)', null],
    ])
    expect(Object.is(run('to_int(-0.5)'), 0)).toBe(true)
    expect(run("to_number(price) * 2", { price: '4.25' })).toBe(8.5)
  })
})

describe('logic functions', () => {
  it('computes each', () => {
    cases([
      ["if(1, 'a', 'b')", 'a'],
      ["if(null, 'a', 'b')", 'b'],
      ['coalesce(null, null, 3, 4)', 3],
      ['coalesce(null)', null],
      ["coalesce('', 'x')", ''],
      ['is_null(null)', true],
      ['is_null(0)', false],
      ["is_null('')", false],
    ])
  })
})

describe('date functions', () => {
  const at = '2024-05-17T13:45:30.250Z'

  it('reads calendar fields in UTC', () => {
    cases([
      [`year('${at}')`, 2024],
      [`month('${at}')`, 5],
      [`day('${at}')`, 17],
      [`hour('${at}')`, 13],
      [`minute('${at}')`, 45],
      [`second('${at}')`, 30],
      [`weekday('${at}')`, 5],
      ["weekday('2024-01-07')", 0],
      ["weekday('2024-01-13')", 6],
      [`date('${at}')`, '2024-05-17'],
      [`epoch_ms('${at}')`, 1715953530250],
    ])
  })

  it('accepts ISO 8601 strings and epoch milliseconds', () => {
    cases([
      ["epoch_ms('1970-01-02')", 86_400_000],
      ["epoch_ms('1970-01-01T00:00:01Z')", 1000],
      ["epoch_ms('1970-01-01T00:01')", 60_000],
      ["epoch_ms('1970-01-01 00:00:00.5')", 500],
      ["epoch_ms('1970-01-01T00:00:00.123456789Z')", 123],
      ["epoch_ms('1970-01-01t00:00:00z')", 0],
      ["epoch_ms('1970-01-01T01:00:00+01:00')", 0],
      ["epoch_ms('1970-01-01T00:00:00-0130')", 5_400_000],
      ["epoch_ms('1970-01-01T00:00:00+02')", -7_200_000],
      ['epoch_ms(1234.9)', 1234],
      ['year(0)', 1970],
      ['date(86400000 * 365)', '1971-01-01'],
      ["date('2024-05-17T01:00:00+02:00')", '2024-05-16'],
      ["date('2024-05-17T23:00:00-02:00')", '2024-05-18'],
      ["year('0005-03-01')", 5],
      ["date('0005-03-01')", '0005-03-01'],
      ["date('-000044-03-15')", '-000044-03-15'],
      ["date('+010000-01-01')", '+010000-01-01'],
      ["date('2024-02-29')", '2024-02-29'],
    ])
    expect(run('year(signup_at)', { signup_at: 1_704_067_200_000 })).toBe(2024)
  })

  it('gives null for anything that is not a date', () => {
    cases([
      ["year('2024-02-30')", null],
      ["year('2023-02-29')", null],
      ["year('2024-13-01')", null],
      ["year('2024-5-1')", null],
      ["year('2024-05-17T24:00')", null],
      ["year('2024-05-17T10:60')", null],
      ["year('2024-05-17T10:00:00.')", null],
      ["year('2024-05-17T10:00:00.1234567890Z')", null],
      ["year('2024-05-17Z')", null],
      ["year('2024-05-17T10:00:00+2')", null],
      ["year('2024-05-17T10:00:00 ')", null],
      ["year('May 17, 2024')", null],
      ["year('')", null],
      ['year(true)', null],
      ['year(null)', null],
      ['year(9e15)', null],
      ['date(null)', null],
      ['epoch_ms(null)', null],
    ])
  })

  it('adds time, clamping to the last day of the month for months and years', () => {
    cases([
      ["date_add('2024-01-31T00:00:00.000Z', 1, 'months')", '2024-02-29T00:00:00.000Z'],
      ["date_add('2023-01-31', 1, 'months')", '2023-02-28T00:00:00.000Z'],
      ["date_add('2024-03-31T10:30:00Z', -1, 'months')", '2024-02-29T10:30:00.000Z'],
      ["date_add('2024-01-31', 13, 'months')", '2025-02-28T00:00:00.000Z'],
      ["date_add('2024-01-15', -13, 'months')", '2022-12-15T00:00:00.000Z'],
      ["date_add('2024-02-29', 1, 'years')", '2025-02-28T00:00:00.000Z'],
      ["date_add('2024-02-29', 4, 'years')", '2028-02-29T00:00:00.000Z'],
      ["date_add('2024-01-01', 1.5, 'days')", '2024-01-02T12:00:00.000Z'],
      ["date_add('2024-01-01', -90, 'minutes')", '2023-12-31T22:30:00.000Z'],
      ["date_add('2024-01-01T00:00:00Z', 45, 'seconds')", '2024-01-01T00:00:45.000Z'],
      ["date_add(0, 1, 'hours')", '1970-01-01T01:00:00.000Z'],
      ["date_add('9999-12-31', 1, 'days')", '+010000-01-01T00:00:00.000Z'],
      ["date_add('2024-01-31', 0.5, 'months')", null],
      ["date_add(null, 1, 'days')", null],
      ["date_add('2024-01-01', null, 'days')", null],
      ["date_add(8.64e15, 1, 'seconds')", null],
    ])
    // a unit read from a column is checked per row
    expect(run("date_add('2024-01-01', 1, unit)", { unit: 'days' })).toBe('2024-01-02T00:00:00.000Z')
    expect(run("date_add('2024-01-01', 1, unit)", { unit: 'weeks' })).toBe(null)
    expect(run("date_add(d, n, 'days')", { d: '2024-12-31', n: 1 })).toBe('2025-01-01T00:00:00.000Z')
  })

  it('subtracts dates, truncating toward zero', () => {
    cases([
      ["date_diff('2024-03-01', '2024-02-01', 'days')", 29],
      ["date_diff('2024-01-01T00:00:00Z', '2024-01-02T12:00:00Z', 'days')", -1],
      ["date_diff('2024-01-01T10:00Z', '2024-01-01T08:30Z', 'hours')", 1],
      ["date_diff('2024-01-01T10:00Z', '2024-01-01T08:30Z', 'minutes')", 90],
      ["date_diff('2024-01-01T00:00:01.999Z', '2024-01-01', 'seconds')", 1],
      ["date_diff('2024-02-29', '2024-01-31', 'months')", 1],
      ["date_diff('2024-02-28', '2024-01-31', 'months')", 0],
      ["date_diff('2024-01-31', '2024-02-29', 'months')", -1],
      ["date_diff('2024-03-15', '2024-01-15T00:00:01Z', 'months')", 1],
      ["date_diff('2025-02-28', '2024-02-29', 'years')", 1],
      ["date_diff('2025-02-27', '2024-02-29', 'years')", 0],
      ["date_diff('2024-06-15', '2020-06-16', 'years')", 3],
      ["date_diff('2020-06-16', '2024-06-15', 'years')", -3],
      ["date_diff(86400000, 0, 'days')", 1],
      ["date_diff(null, '2024-01-01', 'days')", null],
    ])
    expect(Object.is(run("date_diff('2024-01-01T00:00:00Z', '2024-01-01T12:00:00Z', 'days')"), 0)).toBe(true)
  })

  it('has date_diff undo date_add in months', () => {
    const compiled = compileExpression("date_diff(date_add(d, n, 'months'), d, 'months')")
    for (const d of ['2024-01-31', '2023-08-31T23:59:59.999Z', '2020-02-29T12:00:00Z', '2024-05-17']) {
      for (let n = -30; n <= 30; n++) {
        const row: Record<string, CellValue> = { d, n }
        expect(compiled.evaluate(i => row[compiled.references[i]!]!), `${d} ${n}`).toBe(n)
      }
    }
  })

  it('formats dates with a pattern', () => {
    cases([
      ["format_date('2024-03-05T07:08:09Z', 'YYYY/MM/DD HH:mm:ss')", '2024/03/05 07:08:09'],
      ["format_date('2024-03-05T07:08:09Z', 'DD.MM.YYYY')", '05.03.2024'],
      ["format_date('2024-03-05T07:08:09Z', 'YYYY-MM-DDTHH:mm')", '2024-03-05T07:08'],
      ["format_date('2024-03-05T17:08:09Z', '[HH]h')", '[17]h'],
      ["format_date(0, 'Y M D h YYY')", 'Y M 1 h YYY'],
      ["format_date('2024-09-05T07:08:09.045Z', 'MMMM MMM D DD SSS Z')", 'September Sep 5 05 045 Z'],
      ["format_date('2024-09-05T07:08:09.045+02:00', 'D MMMM YYYY, HH:mm:ss.SSS Z')", '5 September 2024, 05:08:09.045 Z'],
      ["format_date('-000044-03-15', 'D MMM YYYY')", '15 Mar -000044'],
      ["format_date('+010000-01-01', 'MMMM D YYYY')", 'January 1 +010000'],
      ["format_date(0, '')", ''],
      ["format_date(null, 'YYYY')", null],
      ["format_date('2024-03-05', null)", null],
    ])
  })
})

describe('EXPRESSION_FUNCTIONS', () => {
  it('names every function', () => {
    expect(EXPRESSION_FUNCTIONS).toEqual([
      'abs', 'round', 'floor', 'ceil', 'min', 'max', 'sqrt', 'pow', 'log', 'exp', 'clamp',
      'upper', 'lower', 'trim', 'len', 'concat', 'substr', 'replace', 'pad_start', 'contains', 'starts_with', 'ends_with', 'to_string',
      'to_number', 'to_int',
      'if', 'coalesce', 'is_null',
      'year', 'month', 'day', 'hour', 'minute', 'second', 'weekday', 'date', 'date_add', 'date_diff', 'format_date', 'epoch_ms',
    ])
  })
})

describe('errors', () => {
  it('names the problem and its position', () => {
    const table: [string, number, string][] = [
      ['foo(1)', 0, 'unknown function "foo"'],
      ['uper(name)', 0, 'unknown function "uper" (did you mean "upper"?)'],
      ['1 + format_dat(x)', 4, 'unknown function "format_dat" (did you mean "format_date"?)'],
      ['abs(1, 2)', 0, 'abs(x) takes 1 argument but got 2'],
      ['x + round()', 4, 'round(x, digits?) takes 1 to 2 arguments but got 0'],
      ['min()', 0, 'min(x, ...) takes at least 1 argument but got 0'],
      ["substr('a')", 0, 'substr(s, start, length?) takes 2 to 3 arguments but got 1'],
      ['clamp(1, 2)', 0, 'clamp(x, lo, hi) takes 3 arguments but got 2'],
      ['1 +', 3, 'expected a value but found end of expression'],
      ["'abc", 0, 'unterminated string'],
      ['x == "abc', 5, 'unterminated string'],
      ["'abc\\", 0, 'unterminated string'],
      ['(1', 2, 'expected ")" to close the "(" at position 0 but found end of expression'],
      ['((1) + 2', 8, 'expected ")" to close the "(" at position 0 but found end of expression'],
      ['1 2', 2, 'expected an operator or the end of the expression but found number 2'],
      ['a b', 2, 'expected an operator or the end of the expression but found name "b"'],
      ['1)', 1, 'expected an operator or the end of the expression but found ")"'],
      ['null(1)', 4, 'expected an operator or the end of the expression but found "("'],
      ['', 0, 'empty expression'],
      ['  ', 2, 'empty expression'],
      ['a = 1', 2, 'unexpected "=" (use "==" to compare)'],
      ['a & b', 2, 'unexpected "&" (use "and" or "&&")'],
      ['a | b', 2, 'unexpected "|" (use "or" or "||")'],
      ['a # b', 2, 'unexpected character "#"'],
      ['€', 0, 'unexpected character "€"'],
      ['a < b < c', 6, 'comparisons cannot be chained (write "a < b and b < c" instead of "a < b < c")'],
      ['a == b != c', 7, 'comparisons cannot be chained (write "a < b and b < c" instead of "a < b < c")'],
      ['a ? b', 5, 'expected ":" for the "?" at position 2 but found end of expression'],
      ['a : b', 2, 'expected an operator or the end of the expression but found ":"'],
      ['abs(1,)', 6, 'expected a value but found ")"'],
      ['abs(1 2)', 6, 'expected "," or ")" to continue the call of abs at position 3 but found number 2'],
      ['and', 0, 'expected a value but found "and"'],
      ['1 && ', 5, 'expected a value but found end of expression'],
      ['1 +* 2', 3, 'expected a value but found "*"'],
      ['1e', 0, 'malformed number "1e"'],
      ['1.', 0, 'malformed number "1."'],
      ['1.2.3', 0, 'malformed number "1.2.3"'],
      ['12abc', 0, 'malformed number "12abc"'],
      ['1e999', 0, 'number 1e999 is too large'],
      ['"\\q"', 1, 'unknown escape "\\\\q" in string'],
      ['"\\u12"', 1, 'invalid \\u escape (expected 4 hex digits)'],
      ['"\\u{110000}"', 1, 'invalid \\u{...} escape'],
      ["date_add(d, 1, 'day')", 15, 'unknown unit "day" (expected one of "years", "months", "days", "hours", "minutes", "seconds")'],
      ["date_diff(a, b, 'weeks')", 16, 'unknown unit "weeks" (expected one of "years", "months", "days", "hours", "minutes", "seconds")'],
    ]
    for (const [source, position, problem] of table) {
      const error = errorOf(source)
      expect({ source, position: error.position, message: error.message }).toEqual({ source, position, message: `${problem} at position ${position}` })
    }
  })

  it('is an Error named ExpressionError', () => {
    const error = errorOf('1 +')
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('ExpressionError')
  })

  it('reports the first problem in source order', () => {
    expect(errorOf("1 2 'abc").position).toBe(2)
    expect(errorOf("foo(1 2, 'abc").position).toBe(0)
    expect(errorOf('abs(1 +').position).toBe(7)
  })
})

describe('limits', () => {
  it('accepts 2000 characters and refuses 2001', () => {
    const longest = `a${'+a'.repeat(999)} `
    expect(longest.length).toBe(2000)
    const compiled = compileExpression(longest)
    expect(compiled.references).toEqual(['a'])
    expect(compiled.evaluate(() => 1)).toBe(1000)
    expect(errorOf(`${longest}1`)).toMatchObject({ position: 2000, message: 'expression is too long (2001 characters, at most 2000) at position 2000' })
  })

  it('accepts 64 levels of nesting and refuses 65', () => {
    const parens = (n: number) => `${'('.repeat(n)}1${')'.repeat(n)}`
    expect(run(parens(64))).toBe(1)
    expect(errorOf(parens(65))).toMatchObject({ position: 64, message: 'expression is nested too deeply (more than 64 levels) at position 64' })

    expect(run(`${'-'.repeat(64)}1`)).toBe(1)
    expect(errorOf(`${'-'.repeat(65)}1`)).toMatchObject({ position: 64 })

    const calls = (n: number) => `${'abs('.repeat(n)}-1${')'.repeat(n)}`
    expect(run(calls(63))).toBe(1) // the unary minus is the 64th level
    expect(errorOf(calls(64))).toMatchObject({ position: 256, message: 'expression is nested too deeply (more than 64 levels) at position 256' })

    expect(run(`2${' ** 1'.repeat(64)}`)).toBe(2)
    expect(errorOf(`2${' ** 1'.repeat(65)}`)).toMatchObject({ position: 5 * 64 + 2 })
  })

  it('refuses hostile nesting with an ExpressionError, not a stack overflow', () => {
    expect(errorOf('('.repeat(2000))).toMatchObject({ position: 64 })
    expect(errorOf('not '.repeat(500))).toMatchObject({ position: 256 })
  })

  it('gives null for strings built longer than 10,000 characters', () => {
    expect(run("len(pad_start('x', 10000, '-'))")).toBe(10000)
    expect(run("pad_start('x', 10001, '-')")).toBe(null)
    expect(run("pad_start('x', 1e15, '-')")).toBe(null)
    const grow = "replace(replace(replace(x, 'a', 'aaaaaaaaaa'), 'a', 'aaaaaaaaaa'), 'a', 'aaaaaaaaaa')"
    expect(run(grow, { x: 'a'.repeat(10) })).toBe('a'.repeat(10000))
    expect(run(grow, { x: 'a'.repeat(11) })).toBe(null)
    expect(run("x + '!'", { x: 'a'.repeat(10000) })).toBe(null)
    expect(run("x + '!'", { x: 'a'.repeat(9999) })).toBe(`${'a'.repeat(9999)}!`)
    expect(run('concat(x, x)', { x: 'a'.repeat(5001) })).toBe(null)
  })
})
