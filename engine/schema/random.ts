/**
 * Seeded randomness. Every row has its own random stream derived from (seed, row index), so a row's
 * values do not depend on which worker made it or how the rows were split into chunks.
 */

const TWO_32 = 4294967296

/** Splits a seed (any non-negative safe integer) into its low and high 32-bit words. */
export function seedWords(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / TWO_32) >>> 0]
}

/** A 32-bit avalanche mix (murmur3 finaliser). */
function mix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * A uniform number in [0, 1) that depends only on (seed, row, salt): used to pick the evaluator's
 * sample rows without touching the rows' own streams.
 */
export function rowHash(seedLo: number, seedHi: number, row: number, salt: number): number {
  const h = mix32(mix32(mix32(row ^ salt) ^ seedLo) ^ seedHi ^ Math.floor(row / TWO_32))
  return h / TWO_32
}

/** Rounds run after seeding a row's state (sfc32's author runs 12 for raw seeds; ours are hashed). */
const SETUP_ROUNDS = 4

/**
 * sfc32 (Chris Doty-Humphrey's small fast counting generator, 128-bit state), re-positioned per row.
 * Not cryptographic; fast, and passes PractRand far beyond what a dataset draws.
 */
export class RowRandom {
  /** a, b, c, d: in a typed array, so the state stays unboxed int32s (object fields would be heap numbers). */
  private readonly state = new Int32Array(4)
  private readonly seedLo: number
  private readonly seedHi: number

  constructor(seed: number) {
    ;[this.seedLo, this.seedHi] = seedWords(seed)
  }

  /**
   * Starts row `row`'s own stream: the state is hashed from (seed, row) with full-avalanche mixes, so
   * neighbouring rows start far apart, then a few rounds decorrelate it further.
   */
  setRow(row: number): void {
    const s = this.state
    // The row is hashed before the seed joins (row ^ seed alone would give seed s's row r to seed
    // s ^ d at row r ^ d), and the counter starts at the seed, so no two seeds share a row's state.
    const a = mix32(mix32((row >>> 0) ^ 0x9e3779b9) ^ this.seedLo)
    const b = mix32(a ^ Math.floor(row / TWO_32) ^ this.seedHi ^ 0x243f6a88)
    s[0] = a
    s[1] = b
    s[2] = mix32(b ^ 0xb7e15162)
    s[3] = this.seedLo
    for (let i = 0; i < SETUP_ROUNDS; i++) this.next32()
  }

  /** The next 32 random bits as an unsigned integer. */
  next32(): number {
    const s = this.state
    const b = s[1]!
    const c = s[2]!
    const d = (s[3]! + 1) | 0
    const t = (((s[0]! + b) | 0) + d) | 0
    s[0] = b ^ (b >>> 9)
    s[1] = (c + (c << 3)) | 0
    s[2] = (((c << 21) | (c >>> 11)) + t) | 0
    s[3] = d
    return t >>> 0
  }

  /** A uniform number in [0, 1). */
  next(): number {
    return this.next32() / TWO_32
  }

  /** A uniform integer in [min, max] (inclusive; the span may exceed 2^32). */
  int(min: number, max: number): number {
    const span = max - min + 1
    if (span <= TWO_32) return min + Math.floor(this.next() * span)
    return min + Math.floor((this.next32() * TWO_32 + this.next32()) / (TWO_32 * TWO_32) * span)
  }
}
