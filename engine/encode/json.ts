/**
 * JSON (an array of objects, one a line) and NDJSON (one object a line): an object per row, its keys
 * the output columns' names in output order.
 */
import type { CellValue, OutputColumn } from '../schema/cells.ts'
import type { FileFormat } from './encoder.ts'
import { numberText } from './numbers.ts'
import { textFormat } from './text.ts'

/** A row's output cells as a JSON object: numbers as numberText writes them, the rest as JSON.stringify. */
function objectEncoder(columns: readonly OutputColumn[]): (out: CellValue[]) => string {
  const keys = columns.map((column, i) => `${i === 0 ? '{' : ','}${JSON.stringify(column.name)}:`)
  return (out) => {
    let text = ''
    for (let i = 0; i < out.length; i++) {
      const value = out[i]!
      text += keys[i] + (typeof value === 'number' && Number.isFinite(value) ? numberText(value) : JSON.stringify(value))
    }
    return `${text}}`
  }
}

/** A JSON array of objects, one a line: chunks are separated by `,\n`. */
export function jsonFormat(columns: readonly OutputColumn[]): FileFormat {
  return textFormat('[\n', ',\n', '\n]\n', objectEncoder(columns), columns, ',\n')
}

/** NDJSON: one object a line, chunks concatenated. */
export function ndjsonFormat(columns: readonly OutputColumn[]): FileFormat {
  const encodeObject = objectEncoder(columns)
  return textFormat('', '', '', out => `${encodeObject(out)}\n`, columns)
}
