/** Labels and formats shared by the browser clients (Chinese throughout). */
import type { components } from './api/schema'

type S = components['schemas']

export const ROLE_LABELS: Record<S['Role'], string> = {
  clerk: '店员',
  pharmacy_manager: '店长',
  inspector: '区局检查员',
  city_admin: '市局管理员',
  approver: '审批人员',
  enterprise: '企业',
}

export const ALERT_KIND_LABELS: Record<S['AlertKind'], string> = {
  MINOR_ATTEMPT: '未成年人购买',
  WINDOW_LIMIT: '累计超量',
  MULTI_PHARMACY: '多店购买',
  SYNC_LAG: '数据同步延迟',
  DEAD_LETTER: '数据同步失败',
  WECHAT_QUOTA: '微信识别额度用完',
  WECHAT_CONFIG: '微信配置错误',
}

export const SPECIAL_CATEGORY_LABELS: Record<S['SpecialCategory'], string> = {
  ephedrine: '含麻黄碱类复方制剂',
  codeine: '含可待因复方口服液体制剂',
  diphenoxylate: '复方地芬诺酯片',
  liquorice: '复方甘草片',
}

export const SOURCE_LABELS: Record<S['Source'], string> = {
  id_card: '身份证',
  ss_card: '社保卡',
  manual: '手工录入',
}

export const GENDER_LABELS: Record<S['GenderView'], string> = { male: '男', female: '女' }

export const PHARMACY_STATUS_LABELS: Record<S['PharmacyStatus'], string> = {
  active: '正常',
  suspended: '停业',
}

export const USER_STATUS_LABELS: Record<string, string> = { active: '正常', inactive: '已停用' }

export const ALERT_STATUS_LABELS: Record<S['AlertStatus'], string> = { open: '待处理', resolved: '已处理' }

export const BATCH_OUTCOME_LABELS: Record<string, string> = {
  delivered: '成功',
  partial: '部分拒收',
  failed: '失败',
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

/** `{"already":4,"requested":2,"limit":5}` → `此前已购 4 · 本次 2 · 上限 5`; unknown keys as they are. */
export function detailText(detail: unknown): string {
  if (!detail || typeof detail !== 'object') return detail == null ? '' : String(detail)
  return Object.entries(detail as Record<string, unknown>)
    .filter(([, v]) => v !== null && typeof v !== 'object')
    .map(([k, v]) => `${DETAIL_LABELS[k] || k} ${v}`)
    .join(' · ')
}

/**
 * `2024-05-01T10:02:03.123+08:00` → `2024-05-01 10:02:03`. The server answers
 * every time in China time (`+08:00`, SPEC §3), so the wall-clock part is the
 * time to show, whatever the browser's own zone.
 */
export function formatTime(t?: string | null): string {
  if (!t) return ''
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(t)
  if (!m) return t
  if (!m[3] || m[3] === '+08:00' || m[3] === '+0800') return `${m[1]} ${m[2]}`
  // Another offset (not what the server sends, but possible from elsewhere): convert.
  const ms = Date.parse(t)
  if (!Number.isFinite(ms)) return t
  const p = chinaParts(ms)
  const s = new Date(ms).getUTCSeconds()
  const pad = (x: number) => String(x).padStart(2, '0')
  return `${p.y}-${pad(p.mo)}-${pad(p.d)} ${pad(p.h)}:${pad(p.mi)}:${pad(s)}`
}

/** Seconds as `3 小时 12 分` / `45 秒`. */
export function formatDuration(secs: number): string {
  if (!Number.isFinite(secs) || secs <= 0) return '0 秒'
  const d = Math.floor(secs / 86400)
  const h = Math.floor((secs % 86400) / 3600)
  const m = Math.floor((secs % 3600) / 60)
  const s = Math.floor(secs % 60)
  if (d) return `${d} 天 ${h} 小时`
  if (h) return `${h} 小时 ${m} 分`
  if (m) return `${m} 分 ${s} 秒`
  return `${s} 秒`
}

/** Bytes as `1.2 MB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`
}

/**
 * A random UUID v4 for `Idempotency-Key`. Not `crypto.randomUUID()`: that
 * exists only in secure contexts, and an intranet server may be plain http.
 */
export function uuid(): string {
  const b = new Uint8Array(16)
  crypto.getRandomValues(b)
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const DISTRICT_RE = /^[0-9]{6}$/

/** China wall-clock parts of an instant (UTC+8, no DST), whatever the browser's zone. */
export function chinaParts(ms: number): { y: number; mo: number; d: number; h: number; mi: number } {
  const t = new Date(ms + 8 * 3600_000)
  return { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes() }
}
