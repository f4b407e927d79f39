/**
 * The text formats' chunk encoder (JSON, NDJSON, SQL): rows become strings, written into one growing
 * buffer per chunk.
 */
import type { CellValue, OutputColumn } from '../schema/cells.ts'
import type { FileFormat } from './encoder.ts'
import { bytesOf, chunkCapacity } from './utf8.ts'

/** Rows joined into one string before it is written to the chunk's buffer. */
const ROWS_PER_WRITE = 64

/**
 * A text format: each row becomes a string of its output cells (`out`, in output order), joined
 * within a chunk by `rowSeparator`.
 */
export function textFormat(header: string, separator: string, footer: string, encodeRow: (out: CellValue[], row: number) => string, columns: readonly OutputColumn[], rowSeparator = ''): FileFormat {
  const outputIndex = columns.map(column => column.index)
  return {
    header: bytesOf(header),
    separator: bytesOf(separator),
    footer: () => bytesOf(footer),
    newChunk(recycled) {
      // Rows are joined into short strings written into one growing buffer: no big string to build,
      // flatten and encode, and few calls into the encoder.
      let buffer = recycled && recycled.byteLength >= 1 << 20 ? Buffer.from(recycled) : Buffer.allocUnsafeSlow(1 << 20)
      let length = 0
      let pending = ''
      let pendingRows = 0
      let first = true
      const out = new Array<CellValue>(outputIndex.length)
      const flush = () => {
        if (length + pending.length * 3 > buffer.length) {
          const grown = Buffer.allocUnsafeSlow(chunkCapacity(Math.max(buffer.length * 2, length + pending.length * 3)))
          buffer.copy(grown, 0, 0, length)
          buffer = grown
        }
        length += buffer.write(pending, length)
        pending = ''
        pendingRows = 0
      }
      return {
        add(cells, row) {
          for (let i = 0; i < outputIndex.length; i++) out[i] = cells[outputIndex[i]!]!
          if (!first) pending += rowSeparator
          pending += encodeRow(out, row)
          first = false
          if (++pendingRows === ROWS_PER_WRITE) flush()
        },
        finish() {
          flush()
          return { bytes: new Uint8Array(buffer.buffer, 0, length) }
        },
      }
    },
  }
}
