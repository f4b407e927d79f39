/**
 * The pages' Content Security Policy: scripts from this origin, plus exactly the inline scripts Nuxt
 * rendered into this page (its runtime config), allowed by their SHA-256; JSON data blocks do not run
 * and need nothing. Replaces the API's `default-src 'none'` set by the security headers middleware.
 */
import { createHash } from 'node:crypto'

const INLINE_SCRIPT = /<script\b(?![^>]*\bsrc=)([^>]*)>([\s\S]*?)<\/script>/gi
const DATA_BLOCK = /\btype=["']?application\/(ld\+)?json/i

export default defineNitroPlugin((nitroApp) => {
  if (import.meta.dev) return
  nitroApp.hooks.hook('render:html', (html, { event }) => {
    const markup = [...html.head, ...html.bodyPrepend, ...html.body, ...html.bodyAppend].join('\n')
    const hashes = new Set<string>()
    for (const [, attributes, content] of markup.matchAll(INLINE_SCRIPT)) {
      if (DATA_BLOCK.test(attributes ?? '')) continue
      hashes.add(`'sha256-${createHash('sha256').update(content ?? '').digest('base64')}'`)
    }
    setResponseHeader(event, 'Content-Security-Policy', pageCsp([...hashes]))
  })
})
