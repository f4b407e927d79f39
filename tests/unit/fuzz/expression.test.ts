/**
 * Fuzz (d): the expression language (engine/schema/expression.ts) on generated expressions (its grammar, its
 * real functions at any arity) and junk (deep nesting, prototype names, huge literals) either compiles
 * or throws its ExpressionError, never anything else; a compiled expression evaluates, on any row, to
 * a cell value in bounded time and within the 10,000-character limit of built strings.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { CellValue } from '#shared/schema'
import { compileExpression, ExpressionError, type CompiledExpression } from '~~/engine/schema/expression'
import { expressionArb, junkExpressionArb } from '../../support/arbitraries'

const NAMES = ['a', 'b', 'when', 'constructor', '__proto__', 'toString']
/** A bound on hanging: an evaluation takes microseconds. */
const EVALUATE_BOUND_MS = 1000
/** Strings an operator or function builds are null past this (see engine/schema/expression.ts). */
const MAX_TEXT_LENGTH = 10_000

const cellArb: fc.Arbitrary<CellValue> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -0, 1e308, -1e308, 5e-324, 8.64e15, 1e16, '', '2024-02-29', '2024-05-01T10:20:30Z', ' -3.5e2 ', 'x'.repeat(MAX_TEXT_LENGTH)),
  fc.double(),
  fc.string({ maxLength: 30 }),
)

function compiles(source: string): CompiledExpression | undefined {
  try {
    return compileExpression(source)
  }
  catch (error) {
    expect(error, `compiling ${source.slice(0, 200)}`).toBeInstanceOf(ExpressionError)
    return undefined
  }
}

describe('fuzz: expressions compile or throw ExpressionError, and evaluate bounded', () => {
  it('on generated and junk expressions, over rows of any values', () => {
    let compiledCount = 0
    fc.assert(fc.property(fc.oneof(expressionArb(NAMES), junkExpressionArb), fc.array(cellArb, { minLength: NAMES.length, maxLength: NAMES.length }), (source, row) => {
      const compiled = compiles(source)
      if (!compiled) return
      compiledCount++
      const byName = new Map(NAMES.map((name, i) => [name, row[i]!]))
      const start = performance.now()
      const value = compiled.evaluate(index => byName.get(compiled.references[index]!) ?? null)
      expect(performance.now() - start, source.slice(0, 200)).toBeLessThan(EVALUATE_BOUND_MS)
      expect(value === null || ['string', 'number', 'boolean'].includes(typeof value), source.slice(0, 200)).toBe(true)
      if (typeof value === 'number') expect(Number.isFinite(value), source.slice(0, 200)).toBe(true)
      // A string from a column passes through as it is; anything longer than any input was built.
      if (typeof value === 'string') expect(value.length, source.slice(0, 200)).toBeLessThanOrEqual(Math.max(MAX_TEXT_LENGTH, ...row.map(v => String(v).length)))
    }), { seed: 18_031, numRuns: 3000 })
    // Most generated expressions are valid, so evaluation is exercised, not only the parser's errors.
    expect(compiledCount).toBeGreaterThan(1000)
  })
})
