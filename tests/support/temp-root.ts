/**
 * Global setup: one temporary folder for the whole test run. Every temporary file the tests and the
 * servers they start make (data folders, outputs, the boot warm-up, Chromium's profile) goes under
 * it through TMPDIR, and it is removed once the run ends: a run writes gigabytes of jobs. Both
 * projects name this file; the first setup makes the folder and the last teardown removes it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

let root: string | undefined
let users = 0

export default function setup(): () => void {
  if (!root) {
    root = mkdtempSync(join(tmpdir(), 'sdaas-tests-'))
    process.env.TMPDIR = root
  }
  users++
  return () => {
    if (--users > 0 || !root) return
    rmSync(root, { recursive: true, force: true })
    root = undefined
  }
}
