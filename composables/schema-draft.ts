import { generationSchema, type ColumnKind, type Distribution, type Issue } from '#shared/schema'

/**
 * A schema being edited: plain JSON, possibly invalid (that is the point of an editor). It is checked
 * with the same zod schema as the API (`generationSchema`), so the editor shows the API's own messages.
 */
export interface ColumnDraft {
  name?: string
  kind: ColumnKind
  [field: string]: unknown
}
export interface SchemaDraft {
  locale?: string
  columns: ColumnDraft[]
  correlations?: unknown[]
  [field: string]: unknown
}

/** What each kind is for, in a few words (the kind picker shows it). */
export const KIND_HELP: Record<ColumnKind, string> = {
  sequence: 'Counting numbers: start, step',
  uuid: 'Random v4 UUIDs (reproducible)',
  pattern: 'Codes like ORD-###### (# digit, ? letter)',
  faker: 'Names, cities, emails… from faker',
  integer: 'Whole numbers with a distribution',
  float: 'Decimal numbers with a distribution',
  boolean: 'true / false with a probability',
  categorical: 'Values with relative weights',
  datetime: 'Instants in a range, any format',
  date: 'Calendar days in a range',
  time: 'Times of day in a range',
  template: 'Text from other columns and faker',
  derived: 'An expression over other columns',
  empirical: 'Quantiles of a real sample (fitted)',
  conditional: 'Depends on another column',
}
export const COLUMN_KINDS = Object.keys(KIND_HELP) as ColumnKind[]

/** Sensible starting fields when a column takes a kind. */
export function kindDefaults(kind: ColumnKind): ColumnDraft {
  switch (kind) {
    case 'sequence': return { kind, start: 1, step: 1 }
    case 'uuid': return { kind }
    case 'pattern': return { kind, pattern: 'ID-#####' }
    case 'faker': return { kind, method: 'person.fullName' }
    case 'integer': return { kind, min: 0, max: 100, distribution: { type: 'uniform' } }
    case 'float': return { kind, min: 0, max: 1000, decimals: 2, distribution: { type: 'uniform' } }
    case 'boolean': return { kind, probability: 0.5 }
    case 'categorical': return { kind, categories: [{ value: 'a', weight: 1 }, { value: 'b', weight: 1 }] }
    case 'datetime': return { kind, start: '2024-01-01T00:00:00Z', end: '2024-12-31T23:59:59Z', distribution: { type: 'uniform' } }
    case 'date': return { kind, start: '2020-01-01', end: '2024-12-31', distribution: { type: 'uniform' } }
    case 'time': return { kind, start: '08:00', end: '18:00', distribution: { type: 'uniform' } }
    case 'template': return { kind, template: '{{person.firstName}}' }
    case 'derived': return { kind, expression: '1 + 1' }
    case 'empirical': return { kind, values: [0, 1, 2, 5, 10], output: 'number', decimals: 2 }
    case 'conditional': return { kind, on: '', cases: [{ when: 'a', then: { kind: 'integer', min: 0, max: 10 } }] }
  }
}

/**
 * Sensible parameters when a distribution takes a type, centred in [min, max] (for a date or time
 * range, the position in it: [0, 1]).
 */
export function distributionDefaults(type: Distribution['type'], min = 0, max = 100): Distribution {
  const span = max > min ? max - min : 1
  const middle = min + span / 2
  switch (type) {
    case 'uniform': return { type }
    case 'normal': return { type, mean: middle, sd: span / 6 }
    case 'lognormal': return { type, mu: Math.log(Math.max(1e-6, middle)), sigma: 0.5 }
    case 'exponential': return { type, rate: 3 / span }
    case 'gamma': return { type, shape: 2, scale: span / 8 }
    case 'beta': return { type, alpha: 2, beta: 5 }
    case 'triangular': return { type, mode: middle }
    case 'poisson': return { type, lambda: Math.max(1, Math.round(span / 4)) }
    case 'binomial': return { type, n: 10, p: 0.5 }
  }
}

/** The fields each distribution takes, in order. */
export const DISTRIBUTION_FIELDS: Record<Distribution['type'], string[]> = {
  uniform: [],
  normal: ['mean', 'sd'],
  lognormal: ['mu', 'sigma'],
  exponential: ['rate'],
  gamma: ['shape', 'scale'],
  beta: ['alpha', 'beta'],
  triangular: ['mode'],
  poisson: ['lambda'],
  binomial: ['n', 'p'],
}

/** A new column whose name is not taken yet. */
export function newColumn(draft: SchemaDraft, kind: ColumnKind = 'integer'): ColumnDraft {
  const taken = new Set(draft.columns.map(c => c.name))
  let n = draft.columns.length + 1
  while (taken.has(`column_${n}`)) n++
  return { name: `column_${n}`, ...kindDefaults(kind) }
}

/** The draft checked with the API's zod schema: the bad fields by path (`columns.2.min`). */
export function validateDraft(draft: unknown): Issue[] {
  const result = generationSchema.safeParse(draft)
  return result.success ? [] : result.error.issues.map(issue => ({ path: issue.path.map(String).join('.') || '(root)', message: issue.message }))
}

/** The starting schema of a blank editor. */
export function starterDraft(): SchemaDraft {
  return {
    locale: 'en',
    columns: [
      { name: 'id', kind: 'sequence', start: 1, step: 1 },
      { name: 'name', kind: 'faker', method: 'person.fullName' },
      { name: 'age', kind: 'integer', min: 18, max: 90, distribution: { type: 'normal', mean: 40, sd: 12 } },
    ],
  }
}
