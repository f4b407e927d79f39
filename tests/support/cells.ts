/** Cells and output columns for the encoders' unit tests. */
import type { OutputColumn, OutputType } from '~~/engine/schema/cells'
import type { RowRandom } from '~~/engine/schema/random'

/** Characters that exercise every branch of the CSV byte writer. */
export const PIECES = ['a', 'Z', '9', ' ', ',', '"', '\n', '\r', '=', '+', '-', '@', '\t', 'é', 'ß', '€', '中', '😀', '\uD800', '\uDC00', '\uDBFF', '.5', '1e3']

export function randomText(rng: RowRandom): string {
  const length = rng.int(0, 6)
  let text = ''
  for (let i = 0; i < length; i++) text += PIECES[rng.int(0, PIECES.length - 1)]
  return text
}

/** Output columns `c0`, `c1`, … reading cells 0, 1, … (output order = schema order), with what `extra` gives column i. */
export function columnsOf(types: OutputType[], extra: (i: number) => Partial<OutputColumn> = () => ({}), names = types.map((_, i) => `c${i}`)): OutputColumn[] {
  return types.map((type, i) => ({ name: names[i]!, type, index: i, ...extra(i) }))
}
