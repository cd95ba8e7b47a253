/**
 * The city's sales rules (SPEC §4.2 policy values) as last published by the
 * server, kept in storage so the register page explains the real limits
 * offline too. Only when they were never fetched on this phone does the page
 * fall back to the SPEC defaults, and it says so.
 */
import { fetchPolicy } from '../api/policy'
import type { SalesPolicy } from '../api/contract'
import { isoDateTime } from './dates'

const STORAGE_KEY = 'yaojian.policy'

/** SPEC §4.2 defaults: 2 per sale, 5 in any 7 days across all pharmacies, refuse, no minors. */
export const DEFAULT_POLICY: SalesPolicy = {
  per_sale_limit: 2,
  window_limit: 5,
  window_days: 7,
  window_action: 'block',
  refuse_minors: true,
}

export interface KnownPolicy {
  policy: SalesPolicy
  /** When it was fetched; '' when these are the defaults (never fetched). */
  fetchedAt: string
}

/** `block` unless the server says `alert`: the stricter reading of an unknown value. */
export function windowAlerts(p: SalesPolicy): boolean {
  return p.window_action === 'alert'
}

function valid(p: unknown): p is SalesPolicy {
  const v = p as SalesPolicy
  return (
    !!v && typeof v === 'object' && typeof v.per_sale_limit === 'number' && typeof v.window_limit === 'number' &&
    typeof v.window_days === 'number' && typeof v.window_action === 'string' && typeof v.refuse_minors === 'boolean'
  )
}

export function cachedPolicy(): KnownPolicy {
  const c = wx.getStorageSync(STORAGE_KEY) as KnownPolicy | ''
  if (c && valid(c.policy) && c.fetchedAt) return c
  return { policy: DEFAULT_POLICY, fetchedAt: '' }
}

let inFlight: Promise<KnownPolicy> | null = null

/** Fetches the rules and keeps them; without an answer, what is cached. Never rejects. */
export function refreshPolicy(): Promise<KnownPolicy> {
  if (!inFlight) {
    inFlight = fetchPolicy()
      .then((policy) => {
        if (!valid(policy)) return cachedPolicy()
        const known = { policy, fetchedAt: isoDateTime() }
        wx.setStorageSync(STORAGE_KEY, known)
        return known
      })
      .catch(() => cachedPolicy())
      .finally(() => {
        inFlight = null
      })
  }
  return inFlight
}
