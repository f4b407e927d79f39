import { describe, expect, it } from 'vitest'
import { numberText } from '~~/engine/encode/numbers'
import { RowRandom } from '~~/engine/schema/random'

describe('numberText', () => {
  it('writes every number exactly as String does: rounded to 0 to 6 decimals, raw doubles, huge, tiny and special', () => {
    const rng = new RowRandom(11)
    rng.setRow(0)
    const values = [0, -0, 0.1, -0.01, 1e-6, 1e-7, 5e-324, 2 ** 52, 2 ** 52 - 0.5, 2 ** 53, 4_503_599_627_370_495.5, 123_456_789_012.34, 1e21, Number.NaN, Infinity, -Infinity]
    for (let i = 0; i < 50_000; i++) {
      const x = (rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 24 - 6)
      values.push(x)
      for (let d = 0; d <= 6; d++) values.push(Math.round(x * 10 ** d) / 10 ** d)
    }
    const wrong = values.filter(v => numberText(v) !== String(v))
    expect(wrong).toEqual([])
  })
})
