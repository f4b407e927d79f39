import type { Issue } from '#shared/schema'

/** What went wrong with an API call, in the API's error shape: a message and the bad fields. */
export function apiFailure(error: unknown): { message: string; issues: Issue[] } {
  const body = (error as { data?: { message?: string; issues?: Issue[] } }).data
  return { message: body?.message ?? (error instanceof Error ? error.message : String(error)), issues: body?.issues ?? [] }
}

/** The curl command that sends `body` as JSON to `path` (what the UI does, for a terminal or a script). */
export function curlCommand(origin: string, path: string, body: unknown): string {
  const json = JSON.stringify(body, null, 2).replace(/'/g, `'\\''`)
  return `curl -s -X POST ${origin}${path} \\\n  -H 'Content-Type: application/json' \\\n  -d '${json}'`
}

/** The site's origin, on the server render too. */
export function useOrigin(): string {
  return useRequestURL().origin
}
