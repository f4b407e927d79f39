/**
 * Fuzz (a): the zod schemas of the schema language, fed generated schemas (every column kind, extreme
 * parameters, references, adversarial sizes), spoiled ones and junk, either accept or return issues;
 * they never throw. Nesting stays under 1500 levels here: zod itself recurses and overflows the stack
 * near 2000, so deeper bodies are the HTTP layer's depth check's (tests/api/fuzz.test.ts sends 5000).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generationSchema, generateRequestSchema, templateSchema } from '#shared/schema'
import { adversarialSchemaArb, junkJsonArb, mutatedSchemaArb, schemaArb } from '../../support/arbitraries'

const ZOD_SAFE_DEPTH = 1500

describe('fuzz: zod accepts or returns issues, never throws', () => {
  it('on generated schemas, and most of them are accepted (the arbitraries mirror the shapes)', () => {
    let accepted = 0
    fc.assert(fc.property(fc.oneof(schemaArb(8), adversarialSchemaArb), (schema) => {
      const result = generationSchema.safeParse(schema)
      if (result.success) accepted++
      else expect(result.error.issues.length).toBeGreaterThan(0)
    }), { seed: 18_001, numRuns: 400 })
    // A generator that zod mostly rejects would fuzz nothing past zod.
    expect(accepted).toBeGreaterThan(200)
  })

  it('on spoiled schemas, junk and nesting, inside requests and templates', () => {
    fc.assert(fc.property(mutatedSchemaArb(ZOD_SAFE_DEPTH), junkJsonArb, (schema, junk) => {
      for (const [zod, input] of [
        [generationSchema, schema],
        [generateRequestSchema, { schema, rows: junk }],
        [generateRequestSchema, junk],
        [templateSchema, { name: 'fuzz', title: 't', description: 'd', schema }],
      ] as const) {
        const result = zod.safeParse(input)
        if (!result.success) expect(result.error.issues.length).toBeGreaterThan(0)
      }
    }), { seed: 18_002, numRuns: 300 })
  })
})
