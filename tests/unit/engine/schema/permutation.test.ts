import { describe, expect, it } from 'vitest'
import { createPermutation } from '~~/engine/schema/permutation'

describe('createPermutation', () => {
  it('is a bijection of [0, size) for small, odd and large sizes', () => {
    for (const size of [1, 2, 3, 10, 97, 1000, 65_537]) {
      const perm = createPermutation(size, [1, 2, 3, 4])
      const seen = new Uint8Array(size)
      for (let i = 0; i < size; i++) seen[perm.at(i)]!++
      expect(seen.every(count => count === 1), `size ${size}`).toBe(true)
    }
  })

  it('depends on its keys and refuses indexes outside its range', () => {
    const a = createPermutation(1000, [1, 2, 3, 4])
    const b = createPermutation(1000, [1, 2, 3, 5])
    expect(Array.from({ length: 20 }, (_, i) => a.at(i))).not.toEqual(Array.from({ length: 20 }, (_, i) => b.at(i)))
    expect(() => a.at(1000)).toThrow(RangeError)
    expect(() => a.at(-1)).toThrow(RangeError)
  })

  it('handles spaces up to 2^52 values', () => {
    const perm = createPermutation(2 ** 52, [9, 8, 7, 6])
    const values = Array.from({ length: 1000 }, (_, i) => perm.at(i))
    expect(new Set(values).size).toBe(1000)
    for (const v of values) expect(Number.isSafeInteger(v) && v >= 0 && v < 2 ** 52).toBe(true)
  })
})
