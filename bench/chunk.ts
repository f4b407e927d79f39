/**
 * Single-thread micro-benchmark of the engine's chunk path (no server, no pool): a template's rows
 * generated and encoded in consecutive chunks by createChunkGenerator, timed in CPU time, as one
 * worker thread does it. For profiling (`--cpu-prof`) and A/B comparisons on a busy machine.
 *
 *   node bench/chunk.ts                                   # customers → CSV, 2,000,000 rows
 *   node bench/chunk.ts --format parquet --rows 1000000 --template orders
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { createChunkGenerator } from '../engine/run/chunk.ts'
import { PARQUET_ROW_GROUP_ROWS } from '../shared/formats.ts'
import { DEFAULT_CHUNK_ROWS } from '../engine/run/generate.ts'
import { loadLocale } from '../engine/schema/locales.ts'
import { generationSchema, formatSchema } from '../shared/schema.ts'

const { values: args } = parseArgs({ options: { format: { type: 'string', default: 'csv' }, rows: { type: 'string', default: '2000000' }, template: { type: 'string', default: 'customers' } } })
const format = formatSchema.parse(args.format)
const rows = Number(args.rows)
const template = JSON.parse(readFileSync(new URL(`../templates/${args.template}.json`, import.meta.url), 'utf8')) as { schema: unknown }
const schema = generationSchema.parse(template.schema)
await loadLocale(schema.locale)
const generate = createChunkGenerator({ schema, rows, format, seed: 1, sampleSize: 10_000, previewRows: 20 })
const chunkRows = format === 'parquet' ? PARQUET_ROW_GROUP_ROWS : DEFAULT_CHUNK_ROWS
const started = process.cpuUsage()
let bytes = 0
for (let start = 0; start < rows; start += chunkRows) bytes += generate(start, Math.min(chunkRows, rows - start)).bytes.byteLength
const { user, system } = process.cpuUsage(started)
const seconds = (user + system) / 1e6
console.log(`${args.template} → ${format}: ${rows.toLocaleString('en-US')} rows in ${seconds.toFixed(2)} s CPU, ${Math.round(rows / seconds).toLocaleString('en-US')} rows/s, ${(seconds * 1e6 / rows).toFixed(2)} µs/row, ${(bytes / 1e6).toFixed(1)} MB`)
