import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { Faker } from '@faker-js/faker'
import { generationSchema, templateSchema, type CellValue, type GenerationSchemaInput } from '#shared/schema'
import { fakerArgIssues, MAX_FAKER_PATTERN_CHARS, MAX_FAKER_SIZE_ARG } from '#shared/faker-budget'
import { compileSchema, FAKER_REFERENCE_DATE, MAX_CELL_CHARS, MAX_ROW_CHARS, SchemaError } from '~~/engine/schema/columns'
import { checkSchema } from '~~/engine/run/check'
import { compileExpression } from '~~/engine/schema/expression'
import { loadedLocale } from '~~/engine/schema/locales'
import { fastFakerMethods } from '~~/engine/schema/fast-faker'
import { RowRandom } from '~~/engine/schema/random'
import { schemaOf } from '../../../support/schemas'

type ColumnInput = GenerationSchemaInput['columns'][number]
type FakerArgs = NonNullable<Extract<ColumnInput, { kind: 'faker' }>['args']>

/** The zod issues of a one-column schema, as `path: message`. */
function zodIssues(column: ColumnInput): { path: string; message: string }[] {
  const result = generationSchema.safeParse({ columns: [column] })
  return result.success ? [] : result.error.issues.map(i => ({ path: i.path.join('.'), message: i.message }))
}

/** The issues the submit-time check reports (zod first, as the route does). */
async function submitIssues(input: GenerationSchemaInput, rows = 10, format: 'csv' | 'json' = 'csv'): Promise<string[]> {
  const parsed = generationSchema.safeParse(input)
  if (!parsed.success) return parsed.error.issues.map(i => `${i.path.join('.')}: ${i.message}`)
  return (await checkSchema(parsed.data, rows, 1, format)).map(i => `${i.path.join('.')}: ${i.message}`)
}

/** Values of `row` rows of a schema's columns, or the error generating them threw. */
function generate(input: GenerationSchemaInput, rows: number): CellValue[][] {
  const schema = schemaOf(input)
  const compiled = compileSchema(schema, { rows, seed: 3 })
  const rng = new RowRandom(3)
  const out: CellValue[][] = []
  for (let row = 0; row < rows; row++) {
    const cells = new Array<CellValue>(schema.columns.length)
    compiled.fillRow(rng, row, cells)
    out.push(cells)
  }
  return out
}


describe('faker calls: a budget that argument shape cannot bypass', () => {
  const big = 10_000_000
  const bypasses: [string, FakerArgs, string][] = [
    ['system.fileName', [{ extensionCount: big }], 'columns.0.args.0.extensionCount'],
    ['string.fromCharacters', ['abc', { min: big, max: big }], 'columns.0.args.1'],
    ['lorem.words', [{ min: big, max: big }], 'columns.0.args.0'],
    ['lorem.sentences', [{ min: big, max: big }], 'columns.0.args.0'],
    ['finance.accountNumber', [big], 'columns.0.args.0'],
    ['finance.pin', [big], 'columns.0.args.0'],
    ['helpers.fake', ['{{string.alpha(10000000)}}'], 'columns.0.args.0'],
    ['helpers.fake', ['{{string.alpha(1e7)}}'], 'columns.0.args.0'],
    ['helpers.fake', ['x {{lorem.words({"min": 1e7, "max": 1e7})}} y'], 'columns.0.args.0'],
    ['helpers.fromRegExp', ['a{10000000}'], 'columns.0.args.0'],
    ['helpers.fromRegExp', ['[a-z]{1,10000000}'], 'columns.0.args.0'],
    ['string.sample', [{ min: big, max: big }], 'columns.0.args.0'],
    ['date.betweens', [{ from: '2020-01-01', to: '2021-01-01', count: big }], 'columns.0.args.0.count'],
    ['helpers.arrayElements', [['a', 'b'], big], 'columns.0.args.1'],
  ]
  for (const [method, args, path] of bypasses) {
    it(`refuses ${method}(${JSON.stringify(args)}) at ${path}, saying the limit`, () => {
      const issues = zodIssues({ name: 'x', kind: 'faker', method, args })
      expect(issues.map(i => i.path)).toContain(path)
      expect(issues.find(i => i.path === path)!.message).toContain(String(MAX_FAKER_SIZE_ARG))
    })
  }

  // A range with a bound left out, or a size given as text or {}, makes faker draw a size up to 2^53.
  const omissions: [string, FakerArgs, string][] = [
    ['lorem.words', [{ min: 5 }], 'columns.0.args.0'],
    ['lorem.words', ['500000000'], 'columns.0.args.0'],
    ['lorem.paragraphs', [{}], 'columns.0.args.0'],
    ['string.sample', [true], 'columns.0.args.0'],
    ['string.alpha', [{ length: { min: 1 } }], 'columns.0.args.0.length'],
    ['finance.accountNumber', [{ length: '500000000' }], 'columns.0.args.0.length'],
    ['helpers.multiple', [null, { count: {} }], 'columns.0.args.1.count'],
  ]
  for (const [method, args, path] of omissions) {
    it(`refuses ${method}(${JSON.stringify(args)}): sizes are numbers or full ranges`, () => {
      expect(zodIssues({ name: 'x', kind: 'faker', method, args }).map(i => i.path)).toContain(path)
    })
  }

  it('refuses long patterns and mustache values that could make new keys', () => {
    expect(zodIssues({ name: 'x', kind: 'faker', method: 'helpers.fromRegExp', args: ['a'.repeat(MAX_FAKER_PATTERN_CHARS + 1)] })[0]!.message).toContain(String(MAX_FAKER_PATTERN_CHARS))
    expect(zodIssues({ name: 'x', kind: 'faker', method: 'helpers.mustache', args: ['{{a}}', { a: '{{b}}{{b}}', b: 'x' }] }).map(i => i.path)).toContain('columns.0.args.1.a')
    expect(zodIssues({ name: 'x', kind: 'faker', method: 'helpers.mustache', args: ['{{a}}', { '(a+)+$': 'x' }] }).map(i => i.path)).toContain('columns.0.args.1.(a+)+$')
  })

  it('refuses helpers.fake tokens that are not module.method calls (definition paths, chains)', () => {
    expect(zodIssues({ name: 'x', kind: 'faker', method: 'helpers.fake', args: ['{{person.constructor.constructor("return 1")()}}'] })).toHaveLength(1)
    expect(zodIssues({ name: 'x', kind: 'faker', method: 'helpers.fake', args: ['{{person.first_name.generic}}'] })).toHaveLength(1)
  })

  it('passes ordinary calls: values where the method takes values, sizes within the limit', () => {
    const ordinary: [string, unknown[]][] = [
      ['number.int', [{ min: 0, max: 1e9 }]],
      ['number.int', [1e12]],
      ['number.float', [{ min: -1e6, max: 1e6, fractionDigits: 2 }]],
      ['date.between', [{ from: '2020-01-01T00:00:00.000Z', to: '2025-01-01T00:00:00.000Z' }]],
      ['date.past', [{ years: 30, refDate: 1_735_689_600_000 }]],
      ['date.betweens', [{ from: '2020-01-01', to: '2021-01-01', count: 5 }]],
      ['finance.amount', [{ min: 100, max: 1e7, dec: 2 }]],
      ['commerce.price', [{ min: 1000, max: 99_999 }]],
      ['location.latitude', [{ min: -60, max: 60, precision: 6 }]],
      ['string.alpha', [{ length: 10 }]],
      ['string.alpha', [{ length: { min: 5, max: 10 } }]],
      ['lorem.words', [{ min: 2, max: 5 }]],
      ['helpers.arrayElement', [[100_000, 250_000, 1e9]]],
      ['helpers.weightedArrayElement', [[{ weight: 50_000, value: 'a' }, { weight: 1, value: 'b' }]]],
      ['helpers.fake', ['Order 1234567 for {{person.firstName}} {{number.int({"min": 1, "max": 1000000})}}']],
      ['helpers.fromRegExp', ['[A-Z]{3}-[0-9]{4,6}']],
      ['helpers.mustache', ['Hi {{name}}, ticket {{id}}', { name: 'Ann', id: 123_456 }]],
      ['commerce.isbn', [{ variant: 13, separator: '' }]],
      ['person.firstName', ['female']],
    ]
    for (const [method, args] of ordinary) expect(fakerArgIssues(method, args), method).toEqual([])
  })

  it('passes every shipped template through zod and the submit-time check', async () => {
    const dir = new URL('../../../../templates/', import.meta.url)
    const files = readdirSync(dir).filter(f => f.endsWith('.json'))
    expect(files.length).toBeGreaterThan(5)
    for (const file of files) {
      const template = templateSchema.parse(JSON.parse(readFileSync(new URL(file, dir), 'utf8')))
      expect(await checkSchema(template.schema, 1000, 7, 'csv'), file).toEqual([])
    }
  })

  it('checks at run time the calls that helpers.fake makes from what earlier calls returned', async () => {
    // fromRegExp writes "{{string.alpha(99999999)}}", which faker would then run: no static check sees that call.
    const column = { name: 'x', kind: 'faker' as const, method: 'helpers.fake', args: ['{{helpers.fromRegExp("\\u007b\\u007bstring[.]alpha(9{8})\\u007d\\u007d")}}'] }
    expect(zodIssues(column)).toEqual([])
    const issues = await submitIssues({ columns: [column] })
    expect(issues).toHaveLength(1)
    expect(issues[0]).toMatch(/^schema\.columns\.0\.args\.0: in \{\{string\.alpha\(99999999\)\}\}/)
    expect(issues[0]).toContain(String(MAX_FAKER_SIZE_ARG))
  })

  it('makes the same values as faker\'s own helpers.fake for ordinary patterns', () => {
    const patterns = ['{{person.firstName}} {{person.lastName}} <{{internet.email}}>', '{{lorem.words}} / {{lorem.word}} #{{number.int({"max": 99})}}', '{{location.city}}, {{location.zipCode("#####")}}']
    const reference = loadedLocale('en')!
    const FakerClass = reference.constructor as new (options: object) => Faker
    for (const pattern of patterns) {
      const ours = generate({ columns: [{ name: 'x', kind: 'faker', method: 'helpers.fake', args: [pattern] }] }, 30).map(cells => cells[0])
      let current = new RowRandom(3)
      const faker = new FakerClass({ locale: reference.rawDefinitions, randomizer: { next: () => current.next(), seed: () => {} } })
      faker.setDefaultRefDate(FAKER_REFERENCE_DATE)
      const theirs = ours.map((_, row) => {
        current = new RowRandom(3)
        current.setRow(row)
        return faker.helpers.fake(pattern)
      })
      expect(ours, pattern).toEqual(theirs)
    }
  })

  it('makes every faker call once at submit time, also those the trial rows skip', async () => {
    const failing = { kind: 'faker' as const, method: 'helpers.arrayElement', args: [[]] }
    expect(await submitIssues({ columns: [{ name: 'x', ...failing, null_rate: 1 }, { name: 'y', kind: 'sequence' }] })).toEqual([expect.stringMatching(/^schema\.columns\.0\.method: the faker call fails/)])
    const conditional: ColumnInput = { name: 'c', kind: 'conditional', on: 'k', cases: [{ when: 'never', then: failing }] }
    expect(await submitIssues({ columns: [{ name: 'k', kind: 'categorical', categories: [{ value: 'a' }] }, conditional] })).toEqual([expect.stringMatching(/^schema\.columns\.1\.cases\.0\.then\.method: /)])
  })
})

describe('only faker\'s own methods and the template filters can be called', () => {
  const compileIssues = (input: GenerationSchemaInput): string[] => {
    try {
      compileSchema(schemaOf(input))
      return []
    }
    catch (error) {
      if (!(error instanceof SchemaError)) throw error
      return error.issues.map(i => `${i.path.join('.')}: ${i.message}`)
    }
  }
  for (const filter of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf']) {
    it(`refuses the filter {{x|${filter}}}`, () => {
      expect(compileIssues({ columns: [{ name: 'x', kind: 'sequence' }, { name: 't', kind: 'template', template: `{{x|${filter}}}` }] })).toEqual([expect.stringMatching(/^schema\.columns\.1\.template: unknown filter/)])
    })
  }
  for (const path of ['person.toString', 'person.hasOwnProperty', 'person.valueOf', 'person.constructor', 'person.isPrototypeOf', 'person.propertyIsEnumerable', 'person.toLocaleString', 'fakerCore.toString', 'helpers.faker']) {
    it(`refuses ${path} as a faker column, a template token and a helpers.fake token`, async () => {
      expect(compileIssues({ columns: [{ name: 'f', kind: 'faker', method: path }] })).toEqual([`schema.columns.0.method: "${path}" is not a faker method`])
      expect(compileIssues({ columns: [{ name: 't', kind: 'template', template: `a {{${path}}}` }] })).toEqual([`schema.columns.0.template: "${path}" is not a faker method`])
      expect(await submitIssues({ columns: [{ name: 'f', kind: 'faker', method: 'helpers.fake', args: [`{{${path}}}`] }] })).toEqual([expect.stringContaining(`"${path}" is not a faker method`)])
    })
  }
  it('still accepts faker\'s methods and the four filters', () => {
    expect(compileIssues({ columns: [{ name: 'f', kind: 'faker', method: 'person.jobTitle' }, { name: 't', kind: 'template', template: '{{f|lower}} {{f|upper}} {{f|slug}} {{f|alnum}} {{string.uuid}}' }] })).toEqual([])
  })
})

describe('cells and rows: bounded by construction', () => {
  /** The issue's case: a hidden pattern in a hidden template ~200 times, that one in another ~170 times. */
  const nested = (times: number): GenerationSchemaInput => ({
    columns: [
      { name: 'p', kind: 'pattern', pattern: '#'.repeat(200), hidden: true },
      { name: 'a', kind: 'template', template: '{{p}}'.repeat(200), hidden: true },
      { name: 'b', kind: 'template', template: '{{a}}'.repeat(times) },
    ],
  })

  it('refuses at submit time, without making a row, a template whose worst case is over the cell cap', async () => {
    const issues = await submitIssues(nested(170), 1_000_000)
    expect(issues).toEqual([expect.stringMatching(/^schema\.columns\.2\.template: its values can be 6800000 characters long .* 100000 a cell may hold/)])
  })

  it('accepts a template that is wide but within the cap, and its values are that wide', async () => {
    expect(await submitIssues(nested(2))).toEqual([])
    expect(generate(nested(2), 1)[0]![2]).toHaveLength(80_000)
  })

  it('refuses at submit time a schema whose worst-case row is over the row limit', async () => {
    const input = nested(2)
    const wide = Array.from({ length: 13 }, (_, i) => ({ name: `w${i}`, kind: 'template' as const, template: '{{b}}' }))
    input.columns = [...input.columns.slice(0, 2), { ...input.columns[2]!, hidden: true }, ...wide]
    expect(await submitIssues(input)).toEqual([expect.stringMatching(new RegExp(`^schema\\.columns: rows can be 1040000 characters wide .*${MAX_ROW_CHARS} a row may hold`))])
    input.columns = input.columns.slice(0, 3 + 12)
    expect(await submitIssues(input)).toEqual([])
  })

  it('counts filters at their worst growth (upper of "ﬃ" is "FFI")', async () => {
    const input = (times: number): GenerationSchemaInput => ({
      columns: [
        { name: 'c', kind: 'categorical', categories: [{ value: 'ﬃ'.repeat(200) }], hidden: true },
        { name: 'a', kind: 'template', template: '{{c|upper}}'.repeat(60), hidden: true },
        { name: 'b', kind: 'template', template: '{{a}}'.repeat(times) },
      ],
    })
    expect(await submitIssues(input(1))).toEqual([])
    expect(generate(input(1), 1)[0]![2]).toHaveLength(3 * 200 * 60)
    // 12,000 characters before the filter, 36,000 after: three of them are over the cap.
    expect(await submitIssues(input(3))).toEqual([expect.stringMatching(/^schema\.columns\.2\.template: its values can be 108000 characters long/)])
  })

  for (const format of ['csv', 'json'] as const) {
    it(`${format}: a template of values no static bound holds fails on the cap, naming the column`, async () => {
      // Eleven 10,000-letter faker values: 110,000 characters, known only once they are made.
      const input: GenerationSchemaInput = { columns: [{ name: 'f', kind: 'faker', method: 'string.alpha', args: [{ length: 10_000 }], hidden: true }, { name: 't', kind: 'template', template: '{{f}}'.repeat(11) }] }
      expect(await submitIssues(input, 10, format)).toEqual([expect.stringMatching(/^schema\.columns\.1\.template: a value of 1[01]\d{4} characters is longer than the 100000 a cell may hold/)])
      input.columns[1] = { name: 't', kind: 'template', template: '{{f}}'.repeat(10) }
      expect(await submitIssues(input, 10, format)).toEqual([])
    })
  }

  it('fails a row wider than the row limit at run time, where the kinds do not bound it', async () => {
    const cell = '{{string.alpha(9999)}}'.repeat(10) // 99,990 characters: within the cell cap
    const columns = (n: number): ColumnInput[] => Array.from({ length: n }, (_, i) => ({ name: `f${i}`, kind: 'faker', method: 'helpers.fake', args: [cell] }))
    expect(await submitIssues({ columns: columns(11) }, 1)).toEqual([expect.stringMatching(/^schema\.columns: row 0 is 1099890 characters wide, more than the 1000000 a row may hold/)])
    expect(await submitIssues({ columns: columns(10) }, 1)).toEqual([])
  })

  it('fails a faker value over the cap naming the column: text, and lists before they are written', () => {
    expect(() => generate({ columns: [{ name: 'x', kind: 'sequence' }, { name: 's', kind: 'faker', method: 'lorem.sentences', args: [10_000] }] }, 1)).toThrow(/^schema\.columns\.1\.method: a value of \d+ characters is longer than the 100000 a cell may hold/)
    const list = Array.from({ length: 200 }, (_, i) => `${i}`.padEnd(1000, 'x'))
    const stringify = JSON.stringify
    let written = 0
    JSON.stringify = ((...a: Parameters<typeof stringify>) => { written++; return stringify(...a) }) as typeof JSON.stringify
    try {
      expect(() => generate({ columns: [{ name: 'l', kind: 'faker', method: 'helpers.arrayElements', args: [list, 200] }] }, 1)).toThrow(/^schema\.columns\.0\.method: a value of \d+ characters is longer than the 100000/)
    }
    finally {
      JSON.stringify = stringify
    }
    expect(written).toBe(0)
    expect(generate({ columns: [{ name: 'l', kind: 'faker', method: 'helpers.arrayElements', args: [list.slice(0, 5), 5] }] }, 1)[0]![0]).toMatch(/^\["/)
  })

  it('derived values: built strings over 10,000 characters are null, format_date included', () => {
    const get = (values: CellValue[]) => (i: number) => values[i]!
    expect(compileExpression('format_date(d, p)').evaluate(get(['2024-09-01', 'MMMM'.repeat(3000)]))).toBeNull()
    expect(compileExpression('format_date(d, p)').evaluate(get(['2024-05-01', 'YYYY-MM-DD']))).toBe('2024-05-01')
    expect(compileExpression('pad_start(s, 20000, "x")').evaluate(get(['a']))).toBeNull()
    expect(compileExpression('concat(s, s, s)').evaluate(get(['x'.repeat(4000)]))).toBeNull()
  })

  it('bounds the fast faker paths by their lists, so templates of them need no check per value', async () => {
    for (const locale of ['en', 'de']) {
      const rng = new RowRandom(11)
      for (const [path, method] of fastFakerMethods(loadedLocale(locale)!, () => rng)) {
        expect(method.maxChars, `${locale} ${path}`).toBeGreaterThan(0)
        let longest = 0
        for (let row = 0; row < 20_000; row++) {
          rng.setRow(row)
          longest = Math.max(longest, method().length)
        }
        expect(longest, `${locale} ${path}`).toBeLessThanOrEqual(method.maxChars!)
      }
    }
  })

  it('exports the limits the README states', () => {
    expect(MAX_CELL_CHARS).toBe(100_000)
    expect(MAX_ROW_CHARS).toBe(1_000_000)
    expect(MAX_FAKER_SIZE_ARG).toBe(10_000)
    expect(MAX_FAKER_PATTERN_CHARS).toBe(1000)
  })
})
