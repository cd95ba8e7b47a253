/**
 * A quick local check of a typed ID number (GB 11643-1999), so a typo is
 * caught at the counter rather than after a queued submit. The server's
 * parser stays the authority (regions, dates, legacy numbers).
 */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const CHECK = '10X98765432'

/** Upper-cased, trimmed number, or the error code the server would answer. */
export function checkIdNumber(raw: string): { ok: true; value: string } | { ok: false; code: string } {
  const v = raw.trim().toUpperCase()
  if (/^\d{15}$/.test(v)) return { ok: false, code: 'ID_LEGACY_15' }
  if (!/^\d{17}[\dX]$/.test(v)) return { ok: false, code: 'ID_FORMAT' }
  let sum = 0
  for (let i = 0; i < 17; i++) sum += Number(v[i]) * WEIGHTS[i]
  if (CHECK[sum % 11] !== v[17]) return { ok: false, code: 'ID_CHECKSUM' }
  return { ok: true, value: v }
}
