/** Alert kinds (SPEC §4.2) and their detail in words an inspector reads at a glance. */
import type { AlertKind } from '../api/contract'

export const ALERT_KINDS: { value: AlertKind; label: string }[] = [
  { value: 'MINOR_ATTEMPT', label: '未成年人购买' },
  { value: 'WINDOW_LIMIT', label: '累计超量' },
  { value: 'MULTI_PHARMACY', label: '多店购买' },
  { value: 'SYNC_LAG', label: '数据同步延迟' },
  { value: 'DEAD_LETTER', label: '数据同步失败' },
  { value: 'WECHAT_QUOTA', label: '微信识别额度用完' },
  { value: 'WECHAT_CONFIG', label: '微信配置错误' },
]

export function kindLabel(kind: string): string {
  return ALERT_KINDS.find((k) => k.value === kind)?.label || kind
}

/** Known keys of an alert's `detail` (counts and limits, never personal data). */
const DETAIL_LABELS: Record<string, string> = {
  age: '年龄',
  already: '此前已购',
  requested: '本次',
  total: '合计',
  limit: '上限',
  days: '天数',
  pharmacies: '涉及药店',
  packages: '盒数',
}

/** `{"already":4,"requested":2,"limit":5,"days":7}` → `此前已购 4 · 本次 2 · 上限 5 · 天数 7`. */
export function detailText(detail: unknown): string {
  if (!detail || typeof detail !== 'object') return ''
  return Object.entries(detail as Record<string, unknown>)
    .filter(([k, v]) => DETAIL_LABELS[k] && (typeof v === 'number' || typeof v === 'string'))
    .map(([k, v]) => `${DETAIL_LABELS[k]} ${v}`)
    .join(' · ')
}
