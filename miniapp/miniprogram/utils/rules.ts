/**
 * The sale rules (SPEC §4.2) as far as the counter can know them before
 * submit, with the sentence that explains each. The limits are the city's
 * policy (`GET /policy`, kept in storage by utils/policy.ts); the buyer's
 * remaining allowance in the rolling window comes with the scan. The server
 * decides; this only spares the clerk a refusal with a customer waiting.
 */
import type { Drug } from '../api/contract'
import { windowAlerts, type KnownPolicy } from './policy'

export const ADULT_AGE = 18

export interface Line {
  drug: Drug
  quantity: number
}

/** What the counter knows about the buyer. */
export interface BuyerFacts {
  age: number
  /** Packages the buyer may still buy across all pharmacies (from the scan); absent when typed in. */
  windowRemaining?: number
  windowDays?: number
}

export interface RuleCheck {
  total: number
  /** Packages allowed in this sale without a prescription (the policy's per-sale cap). */
  cap: number
  needsPrescription: boolean
  /** Blocking problems (submit is disabled while there are any). */
  problems: string[]
  /** Shown in red but not blocking: the server registers the sale and reports it. */
  warnings: string[]
  /** Always-shown explanations. */
  notes: string[]
  /** `该购买人近 7 天还可购买 3 盒` after a scan; for a typed-in buyer, why it is not known. */
  window: string
  /** The cart is over the buyer's remaining allowance (only known after a scan). */
  overWindow: boolean
}

export function checkSale(lines: Line[], prescriptionNo: string, known: KnownPolicy, buyer?: BuyerFacts): RuleCheck {
  const policy = known.policy
  const total = lines.reduce((n, l) => n + l.quantity, 0)
  const hasRx = prescriptionNo.trim() !== ''
  const cap = policy.per_sale_limit
  const limit = policy.window_limit
  const alertOnly = windowAlerts(policy)
  const rxOnly = lines.filter((l) => l.drug.rx_only)
  const problems: string[] = []
  const warnings: string[] = []
  const notes: string[] = []

  if (buyer && buyer.age < ADULT_AGE) {
    if (policy.refuse_minors) problems.push('购买人未满 18 周岁，不得销售')
    else warnings.push('购买人未满 18 周岁：本市允许销售，请核实用药需要')
  }
  if (rxOnly.length && !hasRx) {
    problems.push(`${rxOnly.map((l) => l.drug.name).join('、')} 为处方药，须录入处方号`)
  }
  if (!hasRx) {
    if (total > cap) problems.push(`无处方每次最多 ${cap} 盒，现为 ${total} 盒：请减少数量或录入处方号`)
    // A product's own cap, where stricter, applies to its packages in this sale (as the server checks).
    for (const l of lines) {
      const own = l.drug.max_per_purchase
      if (own !== undefined && own < cap && l.quantity > own) {
        problems.push(`${l.drug.name} 每次最多 ${own} 盒，现为 ${l.quantity} 盒：请减少数量或录入处方号`)
      }
    }
  }
  lines.forEach((l) => {
    if (l.quantity < 1) problems.push(`${l.drug.name} 数量至少为 1`)
    if (!l.drug.active) problems.push(`${l.drug.name} 已停用，不得销售`)
  })

  // The rolling window across all pharmacies: applies with or without a prescription.
  let window = ''
  let overWindow = false
  const days = buyer?.windowDays ?? policy.window_days
  const consequence = alertOnly ? '仍可登记，但将报送区局' : '将被拒绝登记'
  if (buyer && buyer.windowRemaining !== undefined) {
    const left = buyer.windowRemaining
    window = `该购买人近 ${days} 天还可购买 ${left} 盒`
    overWindow = total > left
    if (overWindow) {
      const what = left === 0
        ? `该购买人近 ${days} 天在全市已购满 ${limit} 盒，本次 ${total} 盒`
        : `该购买人近 ${days} 天还可购买 ${left} 盒，本次 ${total} 盒超出`
      if (alertOnly) warnings.push(`${what}：${consequence}`)
      else problems.push(`${what}，提交将被拒绝：${left === 0 ? '本次不能销售' : `请减少到 ${left} 盒以内`}`)
    }
  } else if (buyer) {
    window = `手工录入无法预先查询该购买人近 ${days} 天的购买量：提交时由系统核验，累计超过 ${limit} 盒${consequence}`
  } else {
    notes.push(`同一购买人 ${days} 天内在全市所有药店累计最多 ${limit} 盒，超出${consequence}；扫描证件后显示其还可购买的数量`)
  }

  notes.unshift(hasRx ? `凭处方销售，不受单次 ${cap} 盒限制（${days} 天累计限制仍适用）` : `无处方每次最多 ${cap} 盒（最小包装）`)
  if (!known.fetchedAt) notes.push('尚未取得本市限购规则，暂按国家默认规则提示；联网后自动更新，提交时以系统核验为准')
  return { total, cap, needsPrescription: rxOnly.length > 0, problems, warnings, notes, window, overWindow }
}
