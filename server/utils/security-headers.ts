/**
 * Security headers on every answer (server/middleware/1.security-headers.ts), and the Content
 * Security Policy of the pages (server/plugins/page-csp.ts), which allows exactly the inline scripts
 * Nuxt rendered into each page, by their hashes.
 */
export const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  // API answers are data, never documents: nothing in them may load or run.
  'Content-Security-Policy': 'default-src \'none\'; frame-ancestors \'none\'',
} as const

/** The policy of an HTML page whose inline scripts have these sha256 sources (`'sha256-…'`). */
export function pageCsp(scriptHashes: string[]): string {
  return [
    'default-src \'self\'',
    `script-src 'self' ${scriptHashes.join(' ')}`.trim(),
    // Vue binds style attributes (progress bars, chart bars): inline styles stay allowed.
    'style-src \'self\' \'unsafe-inline\'',
    'img-src \'self\' data:',
    'font-src \'self\'',
    'connect-src \'self\'',
    'object-src \'none\'',
    'base-uri \'self\'',
    'form-action \'self\'',
    'frame-ancestors \'none\'',
  ].join('; ')
}
