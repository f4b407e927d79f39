/** Templates: a named schema, shipped (templates/) or saved by a user (POST /templates). */
import { z } from 'zod'
import { columnKindSchema, generationSchema } from './language.ts'

/** A template's name, as in `{ "template": "customers" }` and /templates/{name}: also its file name. */
export const templateNameSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be a template name such as "customers"')

export const templateSchema = z.strictObject({
  name: templateNameSchema,
  title: z.string().min(1),
  description: z.string().min(1),
  schema: generationSchema,
})
export type Template = z.infer<typeof templateSchema>

/** A template as listed by GET /templates. */
export const templateSummarySchema = z.object({
  name: z.string(),
  title: z.string(),
  description: z.string(),
  /** Saved by a user (POST /templates), not shipped. */
  custom: z.boolean(),
  /** The columns the output has (hidden helper columns are not written). */
  columns: z.array(z.object({ name: z.string(), kind: columnKindSchema })),
})
export type TemplateSummary = z.infer<typeof templateSummarySchema>
export const templateListSchema = z.object({ templates: z.array(templateSummarySchema) })
export type TemplateList = z.infer<typeof templateListSchema>
