/**
 * UTF-8 written by hand into a byte array: for short strings a loop beats a TextEncoder call each,
 * and CSV can decide on quoting while it copies.
 */

/** `writeUtf8` modes: plain text; a CSV field that gives up on a character needing quotes; a quoted CSV field (quotes doubled). */
export const PLAIN = 0
export const CSV_UNQUOTED = 1
export const CSV_QUOTED = 2

const COMMA = 44
const QUOTE = 34
const NEWLINE = 10
const RETURN = 13

/**
 * Writes `text` (from character `from` on) as UTF-8 at `p` and returns the end; in CSV_UNQUOTED
 * mode, -1 as soon as it meets a comma, quote or line break. Lone surrogates become U+FFFD, as
 * TextEncoder writes them. `bytes` needs room for 3 bytes per character (2 per character for a
 * quoted field's quotes).
 */
export function writeUtf8(bytes: Uint8Array, p: number, text: string, mode: number, from = 0): number {
  const n = text.length
  for (let i = from; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) {
      if (mode !== PLAIN && (c === COMMA || c === QUOTE || c === NEWLINE || c === RETURN)) {
        if (mode === CSV_UNQUOTED) return -1
        if (c === QUOTE) bytes[p++] = QUOTE
      }
      bytes[p++] = c
    }
    else if (c < 0x800) {
      bytes[p++] = 0xc0 | (c >> 6)
      bytes[p++] = 0x80 | (c & 0x3f)
    }
    else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? text.charCodeAt(i + 1) : 0
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        const point = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00)
        bytes[p++] = 0xf0 | (point >> 18)
        bytes[p++] = 0x80 | ((point >> 12) & 0x3f)
        bytes[p++] = 0x80 | ((point >> 6) & 0x3f)
        bytes[p++] = 0x80 | (point & 0x3f)
        i++
      }
      else {
        bytes[p++] = 0xef
        bytes[p++] = 0xbf
        bytes[p++] = 0xbd
      }
    }
    else {
      bytes[p++] = 0xe0 | (c >> 12)
      bytes[p++] = 0x80 | ((c >> 6) & 0x3f)
      bytes[p++] = 0x80 | (c & 0x3f)
    }
  }
  return p
}

/**
 * Most bytes one chunk's buffer may grow to. Chunks hold a bounded number of rows sized to the
 * schema's width (engine/run/generate.ts); a chunk that still passes this (values far wider than the
 * schema's first rows) fails its job rather than exhausting the machine's memory.
 */
export const MAX_CHUNK_BYTES = 1 << 30

/** A chunk buffer's next size: `wanted`, or an error once that passes MAX_CHUNK_BYTES. */
export function chunkCapacity(wanted: number): number {
  if (wanted > MAX_CHUNK_BYTES) throw new Error(`a chunk of rows passed ${MAX_CHUNK_BYTES} bytes: its values are much wider than the schema's first rows`)
  return wanted
}

const encoder = new TextEncoder()

/** A text's UTF-8 bytes, through TextEncoder (framing, list entries: made once, not per row). */
export const bytesOf = (text: string): Uint8Array => encoder.encode(text)

/** No bytes: an empty separator, footer or chunk. */
export const EMPTY = new Uint8Array(0)
