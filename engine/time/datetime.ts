/**
 * The time module in one import: the calendar (calendar.ts, on the core in shared/time.ts), ISO 8601 and
 * the other date texts read and written (iso.ts), and the pattern renderer (pattern.ts).
 */
export * from './calendar.ts'
export * from './iso.ts'
export * from './pattern.ts'
