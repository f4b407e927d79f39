/**
 * What every format's encoder is: a file's framing (header, separator, footer) and an encoder per
 * chunk that collects rows of cells. Each format's file (csv.ts, json.ts, sql.ts, parquet-format.ts)
 * implements it; formats.ts picks one by format id.
 */
import type { CellValue } from '../schema/cells.ts'
import type { RowGroupMeta } from './parquet.ts'

export interface FormatOptions {
  /** Total rows of the file (SQL closes its last statement with it). */
  rows: number
  /** CSV: neutralise cells a spreadsheet would run as formulas. */
  escapeFormulas?: boolean
  /** SQL: the target table. */
  table?: string
}

/** Collects one chunk's rows and encodes them. */
export interface ChunkEncoder {
  /** Adds row `row` (absolute, from the file's first row); `cells` in schema order, read at each output column's `index`. */
  add(cells: CellValue[], row: number): void
  finish(): { bytes: Uint8Array; meta?: RowGroupMeta }
}

/** A format with the column list it writes. */
export interface FileFormat {
  header: Uint8Array
  /** Bytes between two consecutive chunks. */
  separator: Uint8Array
  /**
   * A chunk's encoder. `recycled`: the buffer of an earlier chunk, already written to the file, that
   * the encoder may write into instead of allocating (fresh buffers cost page faults, and garbage
   * collections in the thread they are sent to).
   */
  newChunk(recycled?: ArrayBuffer): ChunkEncoder
  /** Bytes after the last chunk, given each chunk's meta and offset in the file. */
  footer(chunks: { meta?: RowGroupMeta; offset: number }[]): Uint8Array
  /** Rows per chunk this format needs, if it fixes them. */
  fixedChunkRows?: number
}
