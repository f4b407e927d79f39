/** Epoch ms of an ISO 8601 date or date-time; one without an offset is UTC (never the server's zone). */
export function instantMs(text: string): number {
  return Date.parse(/T.*([Zz]|[+-]\d\d:?\d\d)$/.test(text) || !text.includes('T') ? text : `${text}Z`)
}
