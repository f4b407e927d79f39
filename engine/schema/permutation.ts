/**
 * A seeded bijection of [0, size): row i gets value perm(i), so a column can be unique without any
 * memory of values already used, in any chunk order. A 4-round Feistel network over the smallest
 * even-bit domain that holds `size`, with cycle-walking back into range.
 */

const MAX_HALF_BITS = 26 // domains up to 2^52

function mix(x: number, key: number): number {
  let h = Math.imul(x ^ key, 0x9e3779b1)
  h ^= h >>> 15
  h = Math.imul(h, 0x85ebca77)
  h ^= h >>> 13
  return h >>> 0
}

export interface Permutation {
  readonly size: number
  at(index: number): number
}

/** The permutation of [0, size) for these keys (derived from the seed and the column). */
export function createPermutation(size: number, keys: [number, number, number, number]): Permutation {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`permutation size must be a positive safe integer, got ${size}`)
  let halfBits = 1
  while (halfBits < MAX_HALF_BITS && 2 ** (2 * halfBits) < size) halfBits++
  const half = 2 ** halfBits
  const mask = half - 1
  const round = (value: number) => {
    let left = Math.floor(value / half)
    let right = value % half
    for (const key of keys) {
      const next = (left ^ (mix(right, key) & mask)) >>> 0
      left = right
      right = next
    }
    return left * half + right
  }
  return {
    size,
    at(index) {
      // Cycle-walking ends only for an index inside [0, size): its cycle comes back to it.
      if (!(index >= 0 && index < size)) throw new RangeError(`permutation index ${index} outside [0, ${size})`)
      let value = round(index)
      while (value >= size) value = round(value)
      return value
    },
  }
}
