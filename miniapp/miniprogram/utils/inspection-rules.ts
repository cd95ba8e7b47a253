/**
 * The inspection form's rules (what the server checks, SPEC §5 / NewInspection),
 * explained before submit so the inspector is not refused in the shop:
 * a result is chosen; findings are required when issues were found; a
 * compliant result allows only the disposition “无需处置”.
 */
import type { Disposition, InspectionResult } from '../api/contract'

export const RESULTS: { value: InspectionResult; label: string }[] = [
  { value: 'compliant', label: '合格' },
  { value: 'issues_found', label: '发现问题' },
]

export const DISPOSITIONS: { value: Disposition; label: string }[] = [
  { value: 'none', label: '无需处置' },
  { value: 'rectify', label: '责令整改' },
  { value: 'warning', label: '警告' },
  { value: 'case_opened', label: '立案调查' },
]

export const MAX_PHOTOS = 20
export const MAX_FINDINGS = 5000

export function resultLabel(v: string): string {
  return RESULTS.find((r) => r.value === v)?.label || v
}

export function dispositionLabel(v: string): string {
  return DISPOSITIONS.find((d) => d.value === v)?.label || v
}

export interface InspectionForm {
  result: InspectionResult | ''
  findings: string
  disposition: Disposition | ''
  photos: number
}

export interface InspectionCheck {
  /** Blocking problems (submit is disabled while there are any). */
  problems: string[]
  /** Always-shown explanations of the rules. */
  notes: string[]
  /** Dispositions with whether the chosen result allows them. */
  dispositions: { value: Disposition; label: string; disabled: boolean }[]
}

/** The dispositions a result allows. */
export function allowedDispositions(result: InspectionResult | ''): Disposition[] {
  return result === 'compliant' ? ['none'] : DISPOSITIONS.map((d) => d.value)
}

export function checkInspection(f: InspectionForm): InspectionCheck {
  const allowed = allowedDispositions(f.result)
  const problems: string[] = []
  if (!f.result) problems.push('请选择检查结论')
  if (f.result === 'issues_found' && !f.findings.trim()) problems.push('发现问题时须填写检查发现')
  if (f.findings.trim().length > MAX_FINDINGS) problems.push(`检查发现最多 ${MAX_FINDINGS} 字`)
  if (!f.disposition) problems.push('请选择处置方式')
  else if (!allowed.includes(f.disposition)) problems.push('检查合格时处置只能为“无需处置”')
  if (f.photos > MAX_PHOTOS) problems.push(`照片最多 ${MAX_PHOTOS} 张`)

  const notes = [
    f.result === 'compliant'
      ? '结论为合格：处置只能为“无需处置”'
      : f.result === 'issues_found'
        ? '发现问题：须写明检查发现，并选择处置方式'
        : '合格时处置只能为“无需处置”；发现问题时须填写检查发现',
  ]
  return {
    problems,
    notes,
    dispositions: DISPOSITIONS.map((d) => ({ ...d, disabled: !allowed.includes(d.value) })),
  }
}
