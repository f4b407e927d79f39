import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'csv-stringify/sync'
import { tempDataDir } from './data-dir.ts'

/** A vega-datasets JSON table (cars, penguins) written as CSV, as a user would upload it. */
export function vegaCsv(name: 'cars' | 'penguins'): { path: string; text: string; rows: Record<string, unknown>[] } {
  const rows = JSON.parse(readFileSync(new URL(`../../node_modules/vega-datasets/data/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>[]
  const header = Object.keys(rows[0]!)
  const text = stringify([header, ...rows.map(r => header.map(h => r[h] ?? ''))])
  const path = join(tempDataDir('sdaas-vega-'), `${name}.csv`)
  writeFileSync(path, text)
  return { path, text, rows }
}
