/**
 * Puts the server's field errors (`errors[].field`, SPEC §3) beside their form
 * items: each item's `name` is the API field name, or `aliases` maps the
 * field to the item (e.g. `from`/`to` → the date range item `dates`). What
 * matches no item is returned, for a message above the form.
 */
import type { FormInstanceFunctions, FormItemValidateMessage } from 'tdesign-vue-next'
import { ApiError } from '@shared/api/api-error'
import { ERROR_MESSAGES } from '@shared/errors'

export function showFieldErrors(
  form: FormInstanceFunctions | undefined | null,
  err: unknown,
  items: readonly string[],
  aliases: Record<string, string> = {},
): string[] {
  if (!(err instanceof ApiError) || !err.fields.length) return []
  const byItem: Record<string, FormItemValidateMessage[]> = {}
  const rest: string[] = []
  for (const f of err.fields) {
    const message = f.message || ERROR_MESSAGES[f.code] || '填写有误'
    const item = aliases[f.field] ?? (items.includes(f.field) ? f.field : undefined)
    if (item && form) (byItem[item] ||= []).push({ type: 'error', message })
    else rest.push(f.field ? `${f.field}：${message}` : message)
  }
  if (form && Object.keys(byItem).length) form.setValidateMessage(byItem)
  return rest
}

/**
 * Some refusals name no field but concern one (a wrong old password, a weak
 * new one): `codeFields` maps such codes to the item that shows them.
 */
export function showCodeError(
  form: FormInstanceFunctions | undefined | null,
  err: unknown,
  codeFields: Record<string, string>,
): boolean {
  if (!(err instanceof ApiError) || err.fields.length || !form) return false
  const item = codeFields[err.code]
  if (!item) return false
  form.setValidateMessage({ [item]: [{ type: 'error', message: ERROR_MESSAGES[err.code] || err.title }] })
  return true
}
