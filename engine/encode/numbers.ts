/**
 * Numbers as text, exactly as `String` writes them, faster for the common case of a few decimals:
 * CSV, JSON and SQL all write numbers this way.
 */

/** 10^d for the decimals exactDecimals tries (1 to 4; 10^0 unused). */
export const POW10 = [1, 10, 100, 1000, 10_000]
const FRACTION_DIGITS = POW10.map((scale, d) => Array.from({ length: scale }, (_, k) => String(k).padStart(d, '0')))
const EXACT_LIMIT = 2 ** 52

/**
 * `String(value)` for numbers, faster for the common case of a few decimals (V8's shortest
 * round-trip conversion of a double costs over 100 ns). When `value` is the double nearest to
 * k / 10^d with k < 2^52, that decimal is the shortest one that reads back as `value`, so the
 * text is the same as String's; anything else goes to String.
 */
export function numberText(value: number): string {
  if (Number.isInteger(value)) return String(value)
  const magnitude = value < 0 ? -value : value
  const d = exactDecimals(magnitude)
  if (d === 0) return String(value)
  const scale = POW10[d]!
  const k = Math.round(magnitude * scale)
  const fraction = k % scale
  return `${value < 0 ? '-' : ''}${(k - fraction) / scale}.${FRACTION_DIGITS[d]![fraction]}`
}

/**
 * The fewest decimals d (1 to 4) for which a non-integer `magnitude` is the double nearest k / 10^d
 * with k < 2^52 (then that decimal, trimmed, is its shortest text); 0 when there is none.
 */
export function exactDecimals(magnitude: number): number {
  for (let d = 1; d < POW10.length; d++) {
    const scale = POW10[d]!
    const k = Math.round(magnitude * scale)
    if (k / scale === magnitude) return k < EXACT_LIMIT ? d : 0
  }
  return 0
}
