import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { generationSchema, generateRequestSchema, templateSchema } from '#shared/schema'
import { compileSchema } from '~~/engine/schema/columns'

const templateDir = new URL('../../../templates/', import.meta.url)
const templateFiles = readdirSync(templateDir).filter(f => f.endsWith('.json'))

const pathsOf = (input: unknown) => {
  const result = generationSchema.safeParse(input)
  return result.success ? [] : result.error.issues.map(i => i.path.join('.'))
}

describe('templates', () => {
  for (const file of templateFiles) {
    it(`${file} is a valid template whose name matches its file and whose schema compiles`, () => {
      const template = templateSchema.parse(JSON.parse(readFileSync(new URL(file, templateDir), 'utf8')))
      expect(`${template.name}.json`).toBe(file)
      expect(() => compileSchema(template.schema)).not.toThrow()
      // What GET /templates/:name returns is accepted again as an inline schema, unchanged.
      expect(generationSchema.parse(template.schema)).toEqual(template.schema)
    })
  }

  it('customers has the columns the product brief lists', () => {
    const customers = templateSchema.parse(JSON.parse(readFileSync(new URL('customers.json', templateDir), 'utf8')))
    expect(customers.schema.columns.filter(c => !c.hidden).map(c => c.name)).toEqual(['id', 'first_name', 'last_name', 'email', 'age', 'balance', 'segment', 'signup_at', 'city', 'active'])
  })

  it('ships the ten templates, each with correlations, conditions or derived columns', () => {
    const names = templateFiles.map(f => f.replace('.json', ''))
    expect(names).toEqual(expect.arrayContaining(['customers', 'orders', 'transactions', 'patients', 'employees', 'iot_readings', 'web_events', 'products', 'support_tickets', 'bank_accounts']))
    for (const file of templateFiles) {
      const { schema } = templateSchema.parse(JSON.parse(readFileSync(new URL(file, templateDir), 'utf8')))
      const rich = Boolean(schema.correlations?.length) || schema.columns.some(c => c.kind === 'conditional' || c.kind === 'derived')
      expect(rich, file).toBe(true)
    }
  })
})

describe('schema validation', () => {
  it('names the path of every bad field', () => {
    expect(pathsOf({
      columns: [
        { name: '1bad', kind: 'uuid' },
        { name: 'n', kind: 'integer', min: 5, max: 1 },
        { name: 'u', kind: 'float', distribution: { type: 'uniform' } },
        { name: 'x', kind: 'nope' },
        { name: 'd', kind: 'datetime', start: '2025-01-01', end: '2024-01-01' },
        { name: 'c', kind: 'categorical', categories: [] },
        { name: 'p', kind: 'boolean', probability: 1.5 },
        { name: 'z', kind: 'uuid', null_rate: -0.1 },
        { name: 's', kind: 'sequence', step: 0 },
      ],
    })).toEqual([
      'columns.0.name', 'columns.1.min', 'columns.2.distribution', 'columns.3.kind', 'columns.4.start',
      'columns.5.categories', 'columns.6.probability', 'columns.7.null_rate', 'columns.8.step',
    ])
  })

  it('rejects duplicate column names, unknown keys and an empty column list', () => {
    expect(pathsOf({ columns: [{ name: 'a', kind: 'uuid' }, { name: 'a', kind: 'uuid' }] })).toEqual(['columns.1.name'])
    expect(pathsOf({ columns: [{ name: 'a', kind: 'uuid', extra: 1 }] })).toEqual(['columns.0'])
    expect(pathsOf({ columns: [] })).toEqual(['columns'])
  })

  it('requires exactly one of template or schema, with defaults for the rest', () => {
    const ok = generateRequestSchema.parse({ template: 'customers' })
    expect(ok).toEqual({ template: 'customers', rows: 1000, format: 'csv', gzip: false, escape_formulas: false })
    expect(generateRequestSchema.safeParse({}).success).toBe(false)
    expect(generateRequestSchema.safeParse({ template: 'customers', schema: { columns: [{ name: 'a', kind: 'uuid' }] } }).success).toBe(false)
    for (const bad of [{ rows: 0 }, { rows: 1.5 }, { rows: '10' }, { seed: -1 }, { seed: 2 ** 53 }, { format: 'xml' }]) {
      expect(generateRequestSchema.safeParse({ template: 'customers', ...bad }).success, JSON.stringify(bad)).toBe(false)
    }
  })
})
