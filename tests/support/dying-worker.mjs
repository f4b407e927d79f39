// A stand-in engine worker for pool tests: exits in the middle of a chunk request, and answers any
// other request with an empty list of schema issues.
import { parentPort } from 'node:worker_threads'

parentPort.on('message', (request) => {
  if (request.type === 'chunk') process.exit(3)
  parentPort.postMessage({ ok: true, result: [] })
})
