// A stand-in engine worker for pool tests: a request whose schema's first column is named `stall`
// never ends (a busy loop, as a runaway faker call would be); any other request is answered with an
// empty list of schema issues.
import { parentPort } from 'node:worker_threads'

parentPort.on('message', (request) => {
  const schema = request.schema ?? request.spec?.schema
  if (schema?.columns?.[0]?.name === 'stall') for (;;);
  parentPort.postMessage({ ok: true, result: [] })
})
