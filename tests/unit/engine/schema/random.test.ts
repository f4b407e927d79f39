import { describe, expect, it } from 'vitest'
import jStat from 'jstat'
import { compileSchema } from '~~/engine/schema/columns'
import { RowRandom, rowHash, seedWords } from '~~/engine/schema/random'
import type { CellValue } from '#shared/schema'
import { schemaOf } from '../../../support/schemas'

describe('RowRandom', () => {
  it('gives each (seed, row) its own reproducible stream', () => {
    const a = new RowRandom(42)
    const b = new RowRandom(42)
    const draws = (rng: RowRandom, row: number) => {
      rng.setRow(row)
      return Array.from({ length: 5 }, () => rng.next32())
    }
    expect(draws(a, 7)).toEqual(draws(b, 7))
    // Visiting rows in another order does not change a row's stream.
    draws(b, 3)
    expect(draws(a, 9)).toEqual(draws(b, 9))
    expect(draws(a, 7)).not.toEqual(draws(a, 8))
    expect(draws(new RowRandom(43), 7)).not.toEqual(draws(a, 7))
  })

  it('separates seeds that differ only above 32 bits', () => {
    expect(seedWords(2 ** 40 + 5)).toEqual([5, 256])
    const low = new RowRandom(5)
    const high = new RowRandom(2 ** 40 + 5)
    low.setRow(0)
    high.setRow(0)
    expect(low.next32()).not.toBe(high.next32())
  })

  it('gives no two seeds the same row streams at other rows (seed and row are not just XORed)', () => {
    const draws = (seed: number, row: number) => {
      const rng = new RowRandom(seed)
      rng.setRow(row)
      return Array.from({ length: 4 }, () => rng.next32())
    }
    // Seeds 42 and 43 differ in their lowest bit, as rows 0 and 1 do.
    expect(draws(43, 1)).not.toEqual(draws(42, 0))
    expect(draws(0, 1000)).not.toEqual(draws(1000, 0))
    // At the level of a dataset: seed 43's rows are not seed 42's rows in another order.
    const rowsOf = (seed: number) => {
      const compiled = compileSchema(schemaOf({ columns: [{ name: 'x', kind: 'float', min: 0, max: 1, decimals: 12 }] }))
      const rng = new RowRandom(seed)
      const cells: CellValue[] = [null]
      return Array.from({ length: 1000 }, (_, row) => {
        compiled.fillRow(rng, row, cells)
        return cells[0] as number
      })
    }
    const a = rowsOf(42)
    const b = new Set(rowsOf(43))
    // Two independent draws of 1000 values with 12 decimals share none (or by a rare chance a few).
    expect(a.filter(x => b.has(x)).length).toBeLessThan(5)
  })

  it('draws uniformly: chi-square over 20 bins of 100,000 first draws of consecutive rows', () => {
    const rng = new RowRandom(1)
    const bins = new Array<number>(20).fill(0)
    const n = 100_000
    for (let row = 0; row < n; row++) {
      rng.setRow(row)
      bins[Math.floor(rng.next() * 20)]!++
    }
    const expected = n / 20
    const chi2 = bins.reduce((s, o) => s + (o - expected) ** 2 / expected, 0)
    expect(1 - jStat.chisquare.cdf(chi2, 19)).toBeGreaterThan(0.001)
  })

  it('keeps int() inside its inclusive bounds, including spans beyond 2^32', () => {
    const rng = new RowRandom(9)
    rng.setRow(0)
    for (let i = 0; i < 10_000; i++) {
      const small = rng.int(-3, 3)
      expect(small).toBeGreaterThanOrEqual(-3)
      expect(small).toBeLessThanOrEqual(3)
      const big = rng.int(0, 2 ** 45)
      expect(big).toBeGreaterThanOrEqual(0)
      expect(big).toBeLessThanOrEqual(2 ** 45)
    }
  })

  it('rowHash is uniform and depends on the salt', () => {
    expect(rowHash(1, 0, 5, 1)).not.toBe(rowHash(1, 0, 5, 2))
    const n = 50_000
    let below = 0
    for (let row = 0; row < n; row++) if (rowHash(3, 0, row, 99) < 0.1) below++
    // Binomial(n, 0.1): 5 standard deviations.
    expect(Math.abs(below - n * 0.1)).toBeLessThan(5 * Math.sqrt(n * 0.1 * 0.9))
  })
})
