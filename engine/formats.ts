/**
 * Output formats: how a row of cells becomes text, plus what surrounds the rows (a CSV header, the
 * brackets of a JSON array). Rows are encoded chunk by chunk in the workers; the writer adds the rest.
 */
import type { CellValue, Format } from '../shared/schema.ts'

export interface FormatInfo {
  extension: string
  contentType: string
}

export const FORMATS: Record<Format, FormatInfo> = {
  csv: { extension: 'csv', contentType: 'text/csv; charset=utf-8' },
  json: { extension: 'json', contentType: 'application/json; charset=utf-8' },
  ndjson: { extension: 'ndjson', contentType: 'application/x-ndjson; charset=utf-8' },
}

const NEEDS_QUOTES = /[",\r\n]/

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; null is an empty field. */
export function csvField(value: CellValue): string {
  if (value === null) return ''
  if (typeof value !== 'string') return String(value)
  if (value === '') return '""'
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}

/** Encodes rows of one format; `between` separates two encoded chunks in the file. */
export interface RowEncoder {
  header: string
  footer: string
  /** Text placed between consecutive rows, and between two chunks. */
  separator: string
  encodeRow(cells: CellValue[]): string
}

/** The encoder for a format and column list. */
export function rowEncoder(format: Format, names: string[]): RowEncoder {
  if (format === 'csv') {
    return {
      header: `${names.map(csvField).join(',')}\n`,
      footer: '',
      separator: '',
      encodeRow: cells => {
        let line = csvField(cells[0]!)
        for (let i = 1; i < cells.length; i++) line += `,${csvField(cells[i]!)}`
        return `${line}\n`
      },
    }
  }
  const keys = names.map((name, i) => `${i === 0 ? '{' : ','}${JSON.stringify(name)}:`)
  const encodeObject = (cells: CellValue[]) => {
    let text = ''
    for (let i = 0; i < cells.length; i++) text += keys[i] + JSON.stringify(cells[i])
    return `${text}}`
  }
  if (format === 'ndjson') return { header: '', footer: '', separator: '', encodeRow: cells => `${encodeObject(cells)}\n` }
  return { header: '[\n', footer: '\n]\n', separator: ',\n', encodeRow: encodeObject }
}
