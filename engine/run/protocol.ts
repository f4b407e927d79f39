/**
 * What the pool (engine/run/pool.ts) and its worker threads (engine/run/worker.ts) say to each other:
 * one request at a time per worker, exactly one reply each.
 */
import type { CellValue, GenerationSchema, Format } from '../../shared/schema.ts'
import type { RowGroupMeta } from '../encode/parquet.ts'
import type { DatasetProfile } from '../dataset/profile.ts'
import type { GenerationSpec } from './chunk.ts'

/**
 * Nice value of the worker threads. Generation must not starve the thread that serves HTTP (status
 * polls, downloads) when the cores are busy: on Linux the nice value is per thread, so each worker
 * lowers its own priority (engine/run/worker.ts), yields the CPU to the HTTP thread and uses what is left.
 */
export const WORKER_NICE = 10

/** What the pool asks a worker. */
export type WorkerRequest =
  | { type: 'chunk'; runId: string; spec: GenerationSpec; start: number; count: number; recycled?: ArrayBuffer; gzip?: boolean }
  | { type: 'framing'; runId: string; spec: GenerationSpec }
  | { type: 'footer'; runId: string; spec: GenerationSpec; chunks: { meta?: RowGroupMeta; offset: number }[] }
  | { type: 'check'; schema: GenerationSchema; rows: number; seed: number; format: Format }
  | { type: 'profile'; path: string }
  | { type: 'fit'; path: string; profile: DatasetProfile }
  | { type: 'quality'; path: string; profile: DatasetProfile; sample: CellValue[][] }

/** The bytes around the chunks, the chunk size the format fixes (Parquet), and the largest the rows' width allows. */
export interface Framing {
  header: Uint8Array
  separator: Uint8Array
  fixedChunkRows?: number
  maxChunkRows: number
}

export type WorkerReply = { ok: true; result: unknown } | { ok: false; message: string }
