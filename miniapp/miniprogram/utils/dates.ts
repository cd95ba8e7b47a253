/** China-time dates and times for the API (`YYYY-MM-DD`, RFC 3339 with +08:00). */
const CST_MS = 8 * 3600 * 1000

function cst(d: Date): Date {
  return new Date(d.getTime() + CST_MS)
}

const pad = (n: number) => String(n).padStart(2, '0')

export function isoDate(d: Date = new Date()): string {
  const c = cst(d)
  return `${c.getUTCFullYear()}-${pad(c.getUTCMonth() + 1)}-${pad(c.getUTCDate())}`
}

export function daysAgo(n: number, from: Date = new Date()): string {
  return isoDate(new Date(from.getTime() - n * 86400000))
}

export function isoDateTime(d: Date = new Date()): string {
  const c = cst(d)
  return `${isoDate(d)}T${pad(c.getUTCHours())}:${pad(c.getUTCMinutes())}:${pad(c.getUTCSeconds())}+08:00`
}

/** `2026-01-05T14:03:00+08:00` → `01-05 14:03` for lists. */
export function shortTime(rfc3339: string): string {
  const m = /^\d{4}-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(rfc3339 || '')
  return m ? `${m[1]}-${m[2]} ${m[3]}:${m[4]}` : rfc3339 || ''
}
