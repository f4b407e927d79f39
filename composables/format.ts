/** Formatting shared by the pages; UTC so the server render and the browser agree. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—'
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = n
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`
}

export function formatNumber(n: number | null | undefined, digits = 3): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—'
  return Math.abs(n) >= 1000 ? n.toLocaleString('en-US', { maximumFractionDigits: 1 }) : n.toPrecision(digits)
}

/** Where a job's rows come from, in a few words. */
export function sourceLabel(job: { template: string | null; dataset: string | null }): string {
  if (job.template) return job.template
  if (job.dataset) return `dataset ${job.dataset.slice(0, 8)}`
  return 'custom schema'
}

/** A duration in seconds, in words a person reads at a glance: `45 s`, `3 min 20 s`, `1 h 05 min`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`
}

/** Rows per second, rounded to what matters. */
export function formatRate(rowsPerSecond: number | null | undefined): string {
  if (!rowsPerSecond || !Number.isFinite(rowsPerSecond)) return '—'
  return `${Math.round(rowsPerSecond).toLocaleString('en-US')} rows/s`
}

export const formatPercent = (share: number | null | undefined, digits = 1) => (share === null || share === undefined ? '—' : `${(share * 100).toFixed(digits)}%`)
