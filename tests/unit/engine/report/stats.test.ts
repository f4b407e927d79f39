import jStat from 'jstat'
import { describe, expect, it } from 'vitest'
import { chiSquareTest, kolmogorovSurvival, ksTest, normalScores } from '~~/engine/report/stats'
import { normalQuantile } from '~~/engine/schema/distributions'

describe('statistical tests', () => {
  it('kolmogorovSurvival matches the classical critical values', () => {
    expect(kolmogorovSurvival(1.3581)).toBeCloseTo(0.05, 3)
    expect(kolmogorovSurvival(1.6276)).toBeCloseTo(0.01, 3)
    expect(kolmogorovSurvival(0)).toBe(1)
  })

  it('ksTest computes D exactly on a small sample', () => {
    // Sample {0.1, 0.2, 0.9} against U(0,1): the largest gap is at 0.2, where F_n = 2/3 and F = 0.2.
    expect(ksTest([0.9, 0.1, 0.2], x => x).statistic).toBeCloseTo(2 / 3 - 0.2, 12)
  })

  it('chiSquareTest agrees with the textbook statistic and jstat', () => {
    const result = chiSquareTest([18, 22, 20, 40], [0.25, 0.25, 0.25, 0.25])
    expect(result.statistic).toBeCloseTo((49 + 9 + 25 + 225) / 25, 12)
    expect(result.df).toBe(3)
    expect(result.p_value).toBeCloseTo(1 - jStat.chisquare.cdf(result.statistic, 3), 12)
    expect(result.p_value).toBeLessThan(0.01)
  })
})

describe('normalScores', () => {
  it('scores each value by its average rank among the values, ties included', () => {
    const values = [5, -1, 2.5, 2.5, 0, -0, 7, 2.5, 5, 100, -3.25]
    const n = values.length
    // Its rank, 1-based, averaged over the values equal to it.
    const rank = (v: number) => values.filter(w => w < v).length + (values.filter(w => w === v).length + 1) / 2
    expect(normalScores(values)).toEqual(values.map(v => normalQuantile((rank(v) - 0.5) / n)))
  })

  it('ranks ties together and never stalls on NaN', () => {
    const scores = normalScores([3, 1, 2, 2, Number.NaN])
    expect(scores).toHaveLength(5)
    expect(scores[2]).toBe(scores[3])
    expect(scores[1]!).toBeLessThan(scores[2]!)
  })
})
