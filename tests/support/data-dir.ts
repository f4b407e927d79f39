import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fresh temporary data folder, so no test touches the real `data/`. */
export function tempDataDir(label = 'sdaas-test-'): string {
  return mkdtempSync(join(tmpdir(), label))
}
