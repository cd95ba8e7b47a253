/**
 * The sale rules (SPEC §4.2) as far as the counter can know them before
 * submit, with the sentence that explains each. The server decides; this
 * only spares the clerk a refusal with a customer waiting. Limits are the
 * default policy; a city may configure stricter ones, which the server enforces.
 */
import type { Drug } from '../api/contract'

export const PER_SALE_LIMIT = 2
export const WINDOW_LIMIT = 5
export const WINDOW_DAYS = 7
export const ADULT_AGE = 18

export interface Line {
  drug: Drug
  quantity: number
}

export interface RuleCheck {
  total: number
  /** Packages allowed in this sale without a prescription. */
  cap: number
  needsPrescription: boolean
  /** Blocking problems (submit is disabled while there are any). */
  problems: string[]
  /** Always-shown explanations. */
  notes: string[]
}

export function checkSale(lines: Line[], prescriptionNo: string, buyerAge?: number): RuleCheck {
  const total = lines.reduce((n, l) => n + l.quantity, 0)
  const hasRx = prescriptionNo.trim() !== ''
  let cap = PER_SALE_LIMIT
  for (const l of lines) {
    if (l.drug.max_per_purchase !== undefined && l.drug.max_per_purchase < cap) cap = l.drug.max_per_purchase
  }
  const rxOnly = lines.filter((l) => l.drug.rx_only)
  const problems: string[] = []
  const notes: string[] = []

  if (buyerAge !== undefined && buyerAge < ADULT_AGE) problems.push('购买人未满 18 周岁，不得销售')
  if (rxOnly.length && !hasRx) {
    problems.push(`${rxOnly.map((l) => l.drug.name).join('、')} 为处方药，须录入处方号`)
  }
  if (!hasRx && total > cap) {
    problems.push(`无处方每次最多 ${cap} 盒，现为 ${total} 盒：请减少数量或录入处方号`)
  }
  lines.forEach((l) => {
    if (l.quantity < 1) problems.push(`${l.drug.name} 数量至少为 1`)
    if (!l.drug.active) problems.push(`${l.drug.name} 已停用，不得销售`)
  })

  notes.push(hasRx ? '凭处方销售，不受单次 2 盒限制' : `无处方每次最多 ${cap} 盒（最小包装）`)
  notes.push(`同一购买人 ${WINDOW_DAYS} 天内在全市所有药店累计最多 ${WINDOW_LIMIT} 盒，提交时由系统核验`)
  return { total, cap, needsPrescription: rxOnly.length > 0, problems, notes }
}
