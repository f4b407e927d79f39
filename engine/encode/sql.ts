/**
 * SQL: INSERT statements of SQL_ROWS_PER_INSERT rows each, counted from the file's first row (so a
 * statement may span two chunks, and chunks concatenate).
 */
import type { CellValue, OutputColumn } from '../schema/cells.ts'
import type { FileFormat, FormatOptions } from './encoder.ts'
import { numberText } from './numbers.ts'
import { textFormat } from './text.ts'

/** Rows per SQL INSERT statement (counted from the first row of the file). */
export const SQL_ROWS_PER_INSERT = 500

/** A SQL literal. */
export function sqlLiteral(value: CellValue): string {
  if (value === null) return 'NULL'
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE'
  if (typeof value === 'number') return numberText(value)
  return `'${value.replaceAll('\'', '\'\'').replaceAll('\0', '')}'`
}

/** INSERT statements into `options.table` (default `dataset`), the columns named by their names. */
export function sqlFormat(columns: readonly OutputColumn[], options: FormatOptions): FileFormat {
  const table = `"${options.table ?? 'dataset'}"`
  const insert = `INSERT INTO ${table} (${columns.map(column => `"${column.name}"`).join(', ')}) VALUES\n`
  const last = options.rows - 1
  return textFormat('', '', '', (out, row) => {
    const start = row % SQL_ROWS_PER_INSERT === 0 ? insert : ''
    const end = row === last || row % SQL_ROWS_PER_INSERT === SQL_ROWS_PER_INSERT - 1 ? ';\n' : ',\n'
    return `${start}(${out.map(sqlLiteral).join(', ')})${end}`
  }, columns)
}
