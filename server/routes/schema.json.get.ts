/** GET /schema.json — the schema language as JSON Schema (draft 2020-12), for editors and validators. */
import { z } from 'zod'
import { generationSchema } from '#shared/schema'

export default defineEventHandler(() => {
  // Checks that JSON Schema cannot express (bounds in order, references) are enforced by the API.
  const document = z.toJSONSchema(generationSchema, { io: 'input', unrepresentable: 'any' })
  return { ...document, $id: '/schema.json', title: 'SDaaS generation schema' }
})
