/** The buyer as shown at the counter: always masked (SPEC §3), whatever the source. */
import type { ScanResult } from '../api/contract'
import { isoDate } from './dates'

export interface BuyerView {
  name_masked: string
  id_masked: string
  gender: 'male' | 'female'
  age: number
  card_expired: boolean
  source: 'id_card' | 'ss_card' | 'manual'
  genderLabel: string
  sourceLabel: string
  /** From a scan: packages the buyer may still buy across all pharmacies in `windowDays`. Unknown when typed in. */
  windowRemaining?: number
  windowDays?: number
}

const SOURCE_LABELS = { id_card: '身份证', ss_card: '社保卡', manual: '手工录入' }

export function fromScan(s: ScanResult): BuyerView {
  return {
    name_masked: s.name_masked,
    id_masked: s.id_masked,
    gender: s.gender,
    age: s.age,
    card_expired: s.card_expired,
    source: s.source,
    genderLabel: s.gender === 'male' ? '男' : '女',
    sourceLabel: SOURCE_LABELS[s.source],
    windowRemaining: s.window_remaining,
    windowDays: s.window_days,
  }
}

/** A typed-in buyer (already checked by `checkIdNumber`), masked the way the server masks. */
export function fromManual(name: string, idNumber: string, today: string = isoDate()): BuyerView {
  const n = name.trim()
  const gender = Number(idNumber[16]) % 2 === 1 ? 'male' : 'female'
  return {
    name_masked: n.slice(0, 1) + '*'.repeat(Math.max(n.length - 1, 1)),
    id_masked: `${idNumber.slice(0, 6)}********${idNumber.slice(14)}`,
    gender,
    age: ageOn(idNumber.slice(6, 14), today),
    card_expired: false,
    source: 'manual',
    genderLabel: gender === 'male' ? '男' : '女',
    sourceLabel: SOURCE_LABELS.manual,
  }
}

/** Whole years from `YYYYMMDD` to `YYYY-MM-DD`. */
export function ageOn(birth: string, today: string): number {
  const [y, m, d] = today.split('-').map(Number)
  const by = Number(birth.slice(0, 4))
  const bm = Number(birth.slice(4, 6))
  const bd = Number(birth.slice(6, 8))
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0)
}
