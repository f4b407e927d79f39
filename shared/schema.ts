/**
 * The schema language and the HTTP request/response shapes, defined once with zod and shared by
 * the pages, the server and the engine (types via z.infer; no Vue or Nitro imports here). One file
 * per domain under shared/schemas/; this index re-exports them all.
 */
export * from './schemas/language.ts'
export * from './schemas/templates.ts'
export * from './schemas/datasets.ts'
export * from './schemas/jobs.ts'
export * from './schemas/metrics.ts'
export * from './schemas/api.ts'
