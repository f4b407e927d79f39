/**
 * Worker-thread entry: receives chunk tasks, answers with encoded rows. Compiled specs are cached per
 * run so a worker compiles each schema once.
 */
import { parentPort } from 'node:worker_threads'
import { createChunkGenerator, type GenerationSpec } from './chunk.ts'

export interface ChunkTask {
  runId: string
  spec: GenerationSpec
  start: number
  count: number
}

const MAX_CACHED_RUNS = 8
const generators = new Map<string, ReturnType<typeof createChunkGenerator>>()

parentPort!.on('message', (task: ChunkTask) => {
  try {
    let generate = generators.get(task.runId)
    if (!generate) {
      generate = createChunkGenerator(task.spec)
      generators.set(task.runId, generate)
      if (generators.size > MAX_CACHED_RUNS) generators.delete(generators.keys().next().value!)
    }
    const result = generate(task.start, task.count)
    // Chunk encoders return a view at the start of a buffer of their own (never Node's shared pool),
    // so the buffer moves to the main thread instead of being copied.
    const own = result.bytes.byteOffset === 0 && result.bytes.buffer.byteLength > 8192
    parentPort!.postMessage({ ok: true, result }, own ? [result.bytes.buffer as ArrayBuffer] : [])
  }
  catch (error) {
    parentPort!.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) })
  }
})
