/**
 * Column kinds: each column of a schema compiles to a sampler that draws its value for the current
 * row from the row's random stream. This is where a column kind is sampled.
 */
import { Faker, allLocales, base, en, type LocaleDefinition } from '@faker-js/faker'
import type { CellValue, Column, DatasetSchema } from '../shared/schema.ts'
import { lawOf } from './distributions.ts'
import type { RowRandom } from './random.ts'

/** Draws one value for the current row. */
export type Sampler = (rng: RowRandom, row: number) => CellValue

/** A problem with a schema that only the engine can see (an unknown faker method, say). */
export class SchemaError extends Error {
  readonly issues: { path: (string | number)[]; message: string }[]
  constructor(issues: { path: (string | number)[]; message: string }[]) {
    super(issues.map(i => `${i.path.join('.')}: ${i.message}`).join('; '))
    this.name = 'SchemaError'
    this.issues = issues
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

function uuidFrom(rng: RowRandom): string {
  const w0 = rng.next32()
  const w1 = (rng.next32() & 0xffff0fff) | 0x00004000 // version 4
  const w2 = (rng.next32() & 0x3fffffff) | 0x80000000 // RFC 9562 variant
  const w3 = rng.next32()
  const h = (w: number, shift: number) => HEX[(w >>> shift) & 0xff]!
  return `${h(w0, 24)}${h(w0, 16)}${h(w0, 8)}${h(w0, 0)}-${h(w1, 24)}${h(w1, 16)}-${h(w1, 8)}${h(w1, 0)}-`
    + `${h(w2, 24)}${h(w2, 16)}-${h(w2, 8)}${h(w2, 0)}${h(w3, 24)}${h(w3, 16)}${h(w3, 8)}${h(w3, 0)}`
}

function roundTo(value: number, decimals: number): number {
  const scale = 10 ** decimals
  return Math.round(value * scale) / scale
}

/** Turns whatever a faker method returns into a cell. */
function toCell(value: unknown): CellValue {
  if (value === null || value === undefined) return null
  if (typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Date) return value.toISOString()
  return JSON.stringify(value)
}

/**
 * A faker instance whose randomness is the row stream. The indirection through `current` lets one
 * instance serve every row.
 */
export function createRowFaker(locale: string): { faker: Faker; bind(rng: RowRandom): void } {
  let current: RowRandom | undefined
  const localeDefinition = (allLocales as Record<string, LocaleDefinition>)[locale]
  if (!localeDefinition) throw new SchemaError([{ path: ['locale'], message: `unknown faker locale "${locale}"` }])
  const faker = new Faker({
    locale: [localeDefinition, en, base],
    randomizer: {
      next: () => current!.next(),
      seed: () => {},
    },
  })
  return { faker, bind: rng => { current = rng } }
}

const FORBIDDEN_MEMBERS = new Set(['constructor', 'prototype', '__proto__', 'seed', 'setDefaultRefDate'])

function fakerSampler(column: Extract<Column, { kind: 'faker' }>, faker: Faker, path: (string | number)[]): Sampler {
  const [moduleName, methodName] = column.method.split('.') as [string, string]
  const fakerModule: unknown = FORBIDDEN_MEMBERS.has(moduleName) || !Object.hasOwn(faker, moduleName) ? undefined : (faker as unknown as Record<string, unknown>)[moduleName]
  const method: unknown = fakerModule && typeof fakerModule === 'object' && !FORBIDDEN_MEMBERS.has(methodName)
    ? (fakerModule as Record<string, unknown>)[methodName]
    : undefined
  if (typeof method !== 'function') throw new SchemaError([{ path: [...path, 'method'], message: `"${column.method}" is not a faker method` }])
  const args = column.args ?? []
  const call = method as (...a: unknown[]) => unknown
  return () => toCell(call.apply(fakerModule, args))
}

/** Compiles one column to its sampler. `path` locates the column in the request, for errors. */
export function compileColumn(column: Column, faker: Faker, path: (string | number)[]): Sampler {
  switch (column.kind) {
    case 'sequence': {
      const { start, step } = column
      return (_rng, row) => start + row * step
    }
    case 'uuid':
      return rng => uuidFrom(rng)
    case 'faker':
      return fakerSampler(column, faker, path)
    case 'integer': {
      const law = lawOf(column)
      const lo = column.min ?? -Number.MAX_SAFE_INTEGER
      const hi = column.max ?? Number.MAX_SAFE_INTEGER
      return rng => Math.min(hi, Math.max(lo, Math.round(law.quantile(rng.next()))))
    }
    case 'float': {
      const law = lawOf(column)
      const { decimals } = column
      const lo = column.min ?? -Infinity
      const hi = column.max ?? Infinity
      return rng => Math.min(hi, Math.max(lo, roundTo(law.quantile(rng.next()), decimals)))
    }
    case 'boolean': {
      const { probability } = column
      return rng => rng.next() < probability
    }
    case 'categorical': {
      const values = column.categories.map(c => c.value)
      const total = column.categories.reduce((sum, c) => sum + c.weight, 0)
      let acc = 0
      const cumulative = column.categories.map(c => (acc += c.weight / total))
      const last = values.length - 1
      return rng => {
        const u = rng.next()
        let i = 0
        while (i < last && u >= cumulative[i]!) i++
        return values[i]!
      }
    }
    case 'datetime': {
      const start = Date.parse(column.start)
      const end = Date.parse(column.end)
      const format = column.format
      return rng => {
        const ms = rng.int(start, end)
        if (format === 'epoch') return ms
        const iso = new Date(ms).toISOString()
        return format === 'date' ? iso.slice(0, 10) : iso
      }
    }
  }
}

/** A schema compiled for generation: fills a row's cells from the row index alone. */
export interface CompiledSchema {
  readonly names: string[]
  /** Writes row `row`'s values into `out` (one slot per column). */
  fillRow(rng: RowRandom, row: number, out: CellValue[]): void
}

/** Compiles a validated schema; throws SchemaError for what zod could not check (e.g. faker methods). */
export function compileSchema(schema: DatasetSchema): CompiledSchema {
  const { faker, bind } = createRowFaker(schema.locale)
  const samplers = schema.columns.map((column, index) => compileColumn(column, faker, ['schema', 'columns', index]))
  const nullRates = schema.columns.map(c => c.null_rate)
  const names = schema.columns.map(c => c.name)
  return {
    names,
    fillRow(rng, row, out) {
      rng.setRow(row)
      bind(rng)
      for (let i = 0; i < samplers.length; i++) {
        const nullRate = nullRates[i]!
        out[i] = nullRate > 0 && rng.next() < nullRate ? null : samplers[i]!(rng, row)
      }
    },
  }
}
