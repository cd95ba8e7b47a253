/**
 * Deliveries over time for the sync page's chart, bucketed from the newest
 * batches (GET /admin/sync/batches): records accepted and rejected, and
 * failed batches, per bucket. The bucket (1 min … 1 day) is chosen so the
 * span fits in at most `maxBuckets`.
 */
import type { components } from '@shared/api/schema'
import { chinaParts } from '@shared/format'

type Batch = components['schemas']['Batch']

export interface Series {
  labels: string[]
  accepted: number[]
  rejected: number[]
  failed: number[]
  bucketLabel: string
}

const STEPS: { ms: number; label: string }[] = [
  { ms: 60_000, label: '每分钟' },
  { ms: 10 * 60_000, label: '每 10 分钟' },
  { ms: 3600_000, label: '每小时' },
  { ms: 6 * 3600_000, label: '每 6 小时' },
  { ms: 86400_000, label: '每天' },
]

export function bucketDeliveries(batches: readonly Batch[], maxBuckets = 48): Series {
  const times = batches.map((b) => Date.parse(b.created_at)).filter((t) => Number.isFinite(t))
  if (!times.length) return { labels: [], accepted: [], rejected: [], failed: [], bucketLabel: '' }
  const min = Math.min(...times)
  const max = Math.max(...times)
  const step = STEPS.find((s) => (max - min) / s.ms < maxBuckets) ?? STEPS[STEPS.length - 1]
  // Align buckets to China wall-clock boundaries (UTC+8).
  const offset = 8 * 3600_000
  const floor = (t: number) => Math.floor((t + offset) / step.ms) * step.ms - offset
  const start = floor(min)
  const n = Math.floor((floor(max) - start) / step.ms) + 1
  const accepted = new Array<number>(n).fill(0)
  const rejected = new Array<number>(n).fill(0)
  const failed = new Array<number>(n).fill(0)
  batches.forEach((b) => {
    const t = Date.parse(b.created_at)
    if (!Number.isFinite(t)) return
    const i = Math.floor((floor(t) - start) / step.ms)
    accepted[i] += b.accepted
    rejected[i] += b.rejected
    if (b.outcome === 'failed') failed[i] += 1
  })
  const labels = Array.from({ length: n }, (_, i) => label(start + i * step.ms, step.ms))
  return { labels, accepted, rejected, failed, bucketLabel: step.label }
}

function label(ms: number, step: number): string {
  const p = chinaParts(ms)
  const pad = (x: number) => String(x).padStart(2, '0')
  if (step >= 86400_000) return `${p.mo}-${pad(p.d)}`
  return `${p.mo}-${pad(p.d)} ${pad(p.h)}:${pad(p.mi)}`
}
