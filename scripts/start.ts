/**
 * `npm start`: builds the app when there is no build or a source file is newer than it, then serves
 * the production build on PORT (default 3000) with data in NUXT_DATA_DIR (default ./data).
 */
import { join } from 'node:path'
import { ensureBuild, root, serverEntry } from './built-server.ts'

ensureBuild()
process.env.PORT ??= '3000'
process.env.NUXT_DATA_DIR ??= join(root, 'data')
console.info(`SDaaS on http://localhost:${process.env.PORT}/app (data in ${process.env.NUXT_DATA_DIR})`)
await import(serverEntry)
