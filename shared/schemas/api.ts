/** The API's own shapes: path and query parameters, errors, health and sign-in. */
import { z } from 'zod'
import { templateNameSchema } from './templates.ts'

export const jobIdSchema = z.uuid({ version: 'v4', message: 'must be an id (lowercase UUID v4)' }).regex(/^[0-9a-f-]+$/, 'must be an id (lowercase UUID v4)')
export const idParamsSchema = z.strictObject({ id: jobIdSchema })
export const templateParamsSchema = z.strictObject({ name: templateNameSchema })
/** Rows a finished job's preview keeps: the most GET /preview/{id} answers. */
export const MAX_PREVIEW_ROWS = 1000
export const previewQuerySchema = z.strictObject({ n: z.coerce.number().int().min(1).max(MAX_PREVIEW_ROWS).default(20) })
export const jobsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
})

/** GET /healthz's answer. */
export const healthSchema = z.object({ status: z.literal('ok') })

/** One bad field of a request: where (`schema.columns.0.min`, `(root)`, `id`, `(body)`) and what is wrong. */
export const issueSchema = z.object({ path: z.string(), message: z.string() })
export type Issue = z.infer<typeof issueSchema>

/** The JSON body of every error the API answers (server/error-handler.ts). */
export const apiErrorSchema = z.object({
  statusCode: z.int(),
  statusMessage: z.string(),
  message: z.string(),
  /** Every bad field, on 400s. */
  issues: z.array(issueSchema).optional(),
})
export type ApiError = z.infer<typeof apiErrorSchema>

/** POST /auth/login: a browser signs in with the API key once, and gets a session cookie. */
export const loginRequestSchema = z.strictObject({ key: z.string().min(1).max(4096) })
export type LoginRequest = z.infer<typeof loginRequestSchema>

/** GET /auth/session: whether this server needs a key, and whether this browser is signed in. */
export const authSessionSchema = z.object({ auth_required: z.boolean(), signed_in: z.boolean() })
export type AuthSession = z.infer<typeof authSessionSchema>
