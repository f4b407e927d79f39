/** GET /openapi.json — the API contract as an OpenAPI 3.1 document, built from the shared zod schemas. */
export default defineEventHandler(() => openApiDocument())
