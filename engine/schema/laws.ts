/**
 * The laws behind numeric and date/time columns, shared by the samplers (engine/schema/columns.ts) and the
 * evaluator (engine/report/declared.ts), which tests the output against them.
 */
import type { ValueSpec } from '../../shared/schema.ts'
import { DAY_MS } from '../time/calendar.ts'
import { instantMs, secondsOfDay } from '../time/iso.ts'
import { lawOf, type Law } from './distributions.ts'

/** The law a numeric column draws from (for its sampler and the evaluator). */
export function numericLaw(spec: Extract<ValueSpec, { kind: 'integer' | 'float' }>): Law {
  return lawOf(spec.distribution, spec.min, spec.max, spec.kind === 'integer')
}

/** The law of the position in [0, 1] of a date/time column's range. */
export function rangeLaw(spec: Extract<ValueSpec, { kind: 'datetime' | 'date' | 'time' }>): Law {
  return lawOf(spec.distribution, 0, 1, false)
}

/** A date/time column's range as integer steps: [start, start + (count - 1) * unit], in ms or s. */
export function rangeGrid(spec: Extract<ValueSpec, { kind: 'datetime' | 'date' | 'time' }>): { start: number; count: number; unit: number } {
  if (spec.kind === 'time') {
    const start = secondsOfDay(spec.start)
    return { start, count: secondsOfDay(spec.end) - start + 1, unit: 1 }
  }
  const start = instantMs(spec.start)
  const end = instantMs(spec.end)
  if (spec.kind === 'date') return { start, count: Math.round((end - start) / DAY_MS) + 1, unit: DAY_MS }
  return { start, count: end - start + 1, unit: 1 }
}


/**
 * An empirical distribution given by sorted quantile knots at evenly spaced probabilities: linear
 * between distinct neighbours (continuous values), a point mass where neighbours are equal.
 */
export function empiricalLaw(values: number[]): Law {
  const n = values.length
  const last = n - 1
  return {
    discrete: false,
    quantile: (u) => {
      if (n === 1) return values[0]!
      const p = u * last
      const i = Math.min(last - 1, Math.floor(p))
      const a = values[i]!
      const b = values[i + 1]!
      return a === b ? a : a + (p - i) * (b - a)
    },
    cdf: (x) => {
      if (x < values[0]!) return 0
      if (x >= values[last]!) return 1
      // Largest i with values[i] <= x.
      let lo = 0
      let hi = last
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1
        if (values[mid]! <= x) lo = mid
        else hi = mid - 1
      }
      const a = values[lo]!
      const b = values[lo + 1]!
      return (lo + (b > a ? (x - a) / (b - a) : 0)) / last
    },
  }
}
