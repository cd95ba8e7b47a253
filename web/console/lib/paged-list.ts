/**
 * The state of one paged list (SPEC §3 `page`/`page_size` → `{items,total}`):
 * rows, paging, loading, the error to show, and sorting. The server fixes
 * each list's order (newest first, or by name), so a column sort orders the
 * rows of the page at hand; paging goes back to the server.
 */
import { computed, ref, shallowRef, type Ref } from 'vue'
import type { SortInfo, TableSort } from 'tdesign-vue-next'
import { messageFor } from '@shared/errors'

export interface PageOf<T> {
  items: T[]
  total: number
}

export interface PagedListOptions {
  pageSize?: number
  /** Called with the raw error (e.g. to put INVALID_PARAMETER beside a filter). */
  onError?: (err: unknown) => void
}

export function usePagedList<T extends object>(
  fetchPage: (page: number, pageSize: number) => Promise<PageOf<T>>,
  options: PagedListOptions = {},
) {
  const rows = shallowRef<T[]>([]) as Ref<T[]>
  const total = ref(0)
  const page = ref(1)
  const pageSize = ref(options.pageSize ?? 20)
  const loading = ref(false)
  const loaded = ref(false)
  const error = ref<string | null>(null)
  const sort = ref<SortInfo | undefined>()
  let seq = 0

  async function load(): Promise<void> {
    const mine = ++seq
    loading.value = true
    error.value = null
    try {
      const r = await fetchPage(page.value, pageSize.value)
      if (mine !== seq) return
      rows.value = r.items
      total.value = r.total
      loaded.value = true
    } catch (e) {
      if (mine !== seq) return
      error.value = messageFor(e)
      options.onError?.(e)
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  /** New filters: back to the first page. */
  function search(): Promise<void> {
    page.value = 1
    return load()
  }

  function onPageChange(info: { current: number; pageSize: number }): void {
    if (info.pageSize !== pageSize.value) {
      pageSize.value = info.pageSize
      page.value = 1
    } else {
      page.value = info.current
    }
    void load()
  }

  function onSortChange(s: TableSort | undefined): void {
    sort.value = Array.isArray(s) ? s[0] : s
  }

  const sortedRows = computed(() => sortRows(rows.value, sort.value))

  const pagination = computed(() => ({
    current: page.value,
    pageSize: pageSize.value,
    total: total.value,
    pageSizeOptions: [20, 50, 100],
    showJumper: true,
    size: 'small' as const,
  }))

  return { rows, sortedRows, total, page, pageSize, loading, loaded, error, sort, pagination, load, search, onPageChange, onSortChange }
}

/** What usePagedList returns: the list a PagedTable shows. */
export type PagedList<T extends object> = ReturnType<typeof usePagedList<T>>

/** Orders rows by one column: numbers and booleans by value, text in Chinese collation, empty last. */
export function sortRows<T extends object>(rows: T[], sort: SortInfo | undefined): T[] {
  if (!sort || !sort.sortBy) return rows
  const key = sort.sortBy
  const dir = sort.descending ? -1 : 1
  const collator = new Intl.Collator('zh-CN', { numeric: true })
  return [...rows].sort((a, b) => {
    const x = (a as Record<string, unknown>)[key]
    const y = (b as Record<string, unknown>)[key]
    const xe = x === undefined || x === null || x === ''
    const ye = y === undefined || y === null || y === ''
    if (xe || ye) return xe === ye ? 0 : xe ? 1 : -1
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * dir
    if (typeof x === 'boolean' && typeof y === 'boolean') return (Number(x) - Number(y)) * dir
    return collator.compare(String(x), String(y)) * dir
  })
}

/** Drops empty filter values so the query carries only what the user set. */
export function compact<Q extends Record<string, unknown>>(q: Q): Partial<Q> {
  const out: Partial<Q> = {}
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue
    if (typeof v === 'string') {
      const t = v.trim()
      if (t) (out as Record<string, unknown>)[k] = t
    } else (out as Record<string, unknown>)[k] = v
  }
  return out
}
