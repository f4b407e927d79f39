/**
 * Output formats: how the rows of a chunk become bytes (in the workers), and what surrounds the
 * chunks in the file (a CSV header, JSON brackets, the Parquet magic and footer). One file per format
 * (csv.ts, json.ts, sql.ts, parquet-format.ts); what each format is (extension, media type, what it
 * defers) is declared in shared/formats.ts. Every encoding depends only on the rows and their
 * absolute indexes, never on the chunking, except Parquet, whose row groups are a fixed number of
 * rows (PARQUET_ROW_GROUP_ROWS) for that reason.
 */
import { FORMATS, GZIP_CONTENT_TYPE, type Format } from '../../shared/formats.ts'
import type { OutputColumn } from '../schema/cells.ts'
import { csvFormat } from './csv.ts'
import type { FileFormat, FormatOptions } from './encoder.ts'
import { jsonFormat, ndjsonFormat } from './json.ts'
import { parquetFormat } from './parquet-format.ts'
import { sqlFormat } from './sql.ts'

export type { ChunkEncoder, FileFormat, FormatOptions } from './encoder.ts'

export interface FileInfo {
  extension: string
  contentType: string
}

/** The file's extension and type, gzip included (a gzipped file is served as `.csv.gz`, application/gzip). */
export function fileInfo(format: Format, gzip: boolean): FileInfo {
  const { extension, contentType } = FORMATS[format]
  return gzip ? { extension: `${extension}.gz`, contentType: GZIP_CONTENT_TYPE } : { extension, contentType }
}

/** The format for a file: its output columns (in output order) and the request's options. */
export function fileFormat(format: Format, columns: readonly OutputColumn[], options: FormatOptions): FileFormat {
  switch (format) {
    case 'csv':
      return csvFormat(columns, options)
    case 'json':
      return jsonFormat(columns)
    case 'ndjson':
      return ndjsonFormat(columns)
    case 'sql':
      return sqlFormat(columns, options)
    case 'parquet':
      return parquetFormat(columns)
  }
}
