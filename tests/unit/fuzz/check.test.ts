/**
 * Fuzz (b): for every schema zod accepts, the submit-time check (engine/run/check.ts, run in a real
 * worker thread as the server runs it) returns issues or none within a time bound: a check that hangs
 * a worker or kills it out of memory fails the property instead of the test run. And (e): it never
 * accepts what is not part of the language (members every object has, as faker methods or filters).
 */
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { generationSchema, type Format } from '#shared/schema'
import { adversarialSchemaArb, columnName, fakerArgArb, SIZED_FAKER_METHODS, schemaArb, sizedFakerArgsArb } from '../../support/arbitraries'
import { BoundedPool } from '../../support/bounded-pool'

/**
 * A bound on hanging, not a speed target: checks take milliseconds, the server stops one after a time
 * limit of its own (an issue then), and POST /generate, which waits for it, must answer within 10 s
 * (tests/api/fuzz.test.ts). Failing runs are not shrunk (`endOnFailure`): each failing step would
 * cost this bound.
 */
const CHECK_BOUND_MS = 10_000
const pool = new BoundedPool(1)
afterAll(() => pool.close())

const formatArb = fc.constantFrom<Format>('csv', 'json', 'ndjson', 'parquet', 'sql')

async function checkWithin(input: unknown, rows: number, seed: number, format: Format) {
  const parsed = generationSchema.safeParse(input)
  if (!parsed.success) return undefined
  const issues = await pool.run(CHECK_BOUND_MS, 'the check', p => p.check(parsed.data, rows, seed, format))
  expect(Array.isArray(issues)).toBe(true)
  for (const issue of issues) {
    expect(issue.path.length).toBeGreaterThan(0)
    expect(typeof issue.message).toBe('string')
  }
  return issues
}

describe('fuzz: the check answers issues or none, in bounded time, in a worker', () => {
  it('on generated schemas of every kind', async () => {
    await fc.assert(fc.asyncProperty(schemaArb(6), fc.integer({ min: 1, max: 1_000_000 }), fc.nat(), formatArb, async (schema, rows, seed, format) => {
      await checkWithin(schema, rows, seed, format)
    }), { seed: 18_011, numRuns: 150, endOnFailure: true })
  })

  it('on faker methods with size arguments in every spelling', async () => {
    const args = fc.oneof({ weight: 2, arbitrary: sizedFakerArgsArb }, { weight: 1, arbitrary: fc.array(fakerArgArb, { minLength: 1, maxLength: 3 }) })
    const fakerSchema = fc.tuple(fc.constantFrom(...SIZED_FAKER_METHODS), args)
      .map(([method, args]) => ({ columns: [{ name: 'f', kind: 'faker', method, args }] }))
    await fc.assert(fc.asyncProperty(fakerSchema, async (schema) => {
      await checkWithin(schema, 1000, 1, 'csv')
    }), { seed: 18_012, numRuns: 150, endOnFailure: true })
  })

  it('on adversarial sizes (template chains, many columns, long patterns)', async () => {
    await fc.assert(fc.asyncProperty(adversarialSchemaArb, async (schema) => {
      await checkWithin(schema, 1000, 1, 'csv')
    }), { seed: 18_013, numRuns: 40, endOnFailure: true })
  })
})

/** Members of every object (and of every faker module): never part of the schema language. */
const OBJECT_MEMBERS = ['toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', 'constructor', '__defineGetter__', '__lookupGetter__']

describe('fuzz: the check refuses what is not in the language', () => {
  it('object members as faker methods, template faker tokens or template filters', async () => {
    const modules = ['person', 'lorem', 'string', 'helpers', 'internet', 'finance', 'system']
    const spoiled = fc.tuple(fc.constantFrom(...modules), fc.constantFrom(...OBJECT_MEMBERS), fc.constantFrom('method', 'token', 'filter')).map(([mod, member, where]) => {
      if (where === 'method') return { columns: [{ name: 'c0', kind: 'faker', method: `${mod}.${member}` }] }
      if (where === 'token') return { columns: [{ name: 'c0', kind: 'template', template: `x {{${mod}.${member}}}` }] }
      return { columns: [{ name: 'c0', kind: 'uuid' }, { name: columnName(1), kind: 'template', template: `{{c0 | ${member}}}` }] }
    })
    await fc.assert(fc.asyncProperty(spoiled, async (schema) => {
      const issues = await checkWithin(schema, 10, 1, 'csv')
      // Refused by zod (undefined) or by the check (issues); never accepted.
      if (issues) expect(issues.length, JSON.stringify(schema)).toBeGreaterThan(0)
    }), { seed: 18_014, numRuns: 60 })
  })
})
