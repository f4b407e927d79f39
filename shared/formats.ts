/**
 * The output formats, each declared once: what the server serves (extension, media type), what the
 * pages and the OpenAPI document say about it, and the facts the engine's encoders and runner go by.
 * Adding a format starts here; engine/encode/formats.ts then maps its id to its encoder.
 */
import { z } from 'zod'

/** What one output format is. */
export interface FormatFacts {
  /** Shown to people: the pages' format picker, the OpenAPI document. */
  label: string
  /** One line on what the file holds. */
  description: string
  /** The file's extension, without the dot (gzipped, `.gz` is added). */
  extension: string
  /** The media type it is served as (gzipped: GZIP_CONTENT_TYPE). */
  contentType: string
  /** Text a request may hold (JSON, NDJSON, SQL, CSV) rather than binary (Parquet). */
  text: boolean
  /**
   * The file is its header, the chunks one after the other with nothing between them, and a footer
   * that does not depend on them: any two files' chunks could be joined as they are.
   */
  chunksConcatenate: boolean
  /** Its encoder writes ISO 8601 UTC instants from their epoch ms (cells skip making the text). */
  defersInstants: boolean
  /** Its encoder writes concatenated texts (templates) from their pieces (cells skip joining them). */
  defersTexts: boolean
  /** Rows per chunk the format fixes (Parquet's row groups), so its bytes do not depend on the split. */
  fixedChunkRows?: number
  /** Request options that only this format reads. */
  options: readonly ('escape_formulas' | 'table')[]
}

/** The media type of every gzipped file (`.csv.gz`, `.parquet.gz`, …). */
export const GZIP_CONTENT_TYPE = 'application/gzip'

/** Rows per Parquet row group: fixed, so the file's bytes do not depend on how the work was split. */
export const PARQUET_ROW_GROUP_ROWS = 50_000

const DECLARED = {
  csv: {
    label: 'CSV', description: 'header row, RFC 4180', extension: 'csv', contentType: 'text/csv; charset=utf-8',
    text: true, chunksConcatenate: true, defersInstants: true, defersTexts: true, options: ['escape_formulas'],
  },
  json: {
    label: 'JSON', description: 'an array of objects', extension: 'json', contentType: 'application/json; charset=utf-8',
    text: true, chunksConcatenate: false, defersInstants: false, defersTexts: false, options: [],
  },
  ndjson: {
    label: 'NDJSON', description: 'one object a line', extension: 'ndjson', contentType: 'application/x-ndjson; charset=utf-8',
    text: true, chunksConcatenate: true, defersInstants: false, defersTexts: false, options: [],
  },
  parquet: {
    label: 'Parquet', description: 'typed columns, ZSTD', extension: 'parquet', contentType: 'application/vnd.apache.parquet',
    text: false, chunksConcatenate: false, defersInstants: true, defersTexts: false, fixedChunkRows: PARQUET_ROW_GROUP_ROWS, options: [],
  },
  sql: {
    label: 'SQL', description: 'INSERT statements', extension: 'sql', contentType: 'application/sql; charset=utf-8',
    text: true, chunksConcatenate: true, defersInstants: false, defersTexts: false, options: ['table'],
  },
} satisfies Record<string, FormatFacts>

/** A format's id: `csv`, `json`, `ndjson`, `parquet`, `sql`. */
export type Format = keyof typeof DECLARED

/** Every format, in the order the pages and the documentation list them. */
export const FORMATS: Readonly<Record<Format, FormatFacts>> = DECLARED

/** Format ids, in FORMATS' order. */
export const FORMAT_IDS = Object.keys(FORMATS) as [Format, ...Format[]]

/** A request's `format`: one of FORMATS' ids. */
export const formatSchema = z.enum(FORMAT_IDS)

/** The formats as a picker lists them: value, label, description. */
export const FORMAT_CHOICES = FORMAT_IDS.map(value => ({ value, label: FORMATS[value].label, description: FORMATS[value].description }))
