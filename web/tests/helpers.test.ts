/** Small pieces: the streamed download, the chart's buckets, page sorting, formats. */
import { describe, expect, it } from 'vitest'
import { filenameFrom, readDownload } from '@shared/api/download'
import { formatTime, uuid, UUID_RE } from '@shared/format'
import { bucketDeliveries } from '../console/lib/deliveries'
import { compact, sortRows } from '../console/lib/paged-list'

describe('streamed download', () => {
  it('reads the body chunk by chunk, reporting the bytes received', async () => {
    const chunks = [new Uint8Array(1000), new Uint8Array(2000), new Uint8Array(500)]
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        chunks.forEach((x) => c.enqueue(x))
        c.close()
      },
    })
    const response = new Response(null, {
      status: 200,
      headers: { 'Content-Type': 'text/csv', 'Content-Disposition': "attachment; filename=\"x.csv\"; filename*=UTF-8''%E7%99%BB%E8%AE%B0.csv" },
    })
    const seen: number[] = []
    const d = await readDownload({ data: body, response }, 'fallback.csv', (p) => seen.push(p.bytes))
    expect(seen).toEqual([0, 1000, 3000, 3500])
    expect(d).toMatchObject({ filename: '登记.csv', bytes: 3500 })
    expect(d.blob.size).toBe(3500)
  })

  it('raises the server refusal instead of saving it', async () => {
    const response = new Response(JSON.stringify({ code: 'EXPORT_TOO_LARGE', title: '太多', status: 422, type: 't' }), { status: 422 })
    await expect(readDownload({ error: { code: 'EXPORT_TOO_LARGE', title: '太多' }, response }, 'a.xlsx', () => {})).rejects.toMatchObject({
      code: 'EXPORT_TOO_LARGE',
    })
  })

  it('reads file names from Content-Disposition', () => {
    expect(filenameFrom('attachment; filename="registrations-2025.xlsx"', 'x')).toBe('registrations-2025.xlsx')
    expect(filenameFrom(null, 'x.csv')).toBe('x.csv')
    expect(filenameFrom('attachment; filename="../../etc/passwd"', 'x')).toBe('.._.._etc_passwd')
  })
})

describe('deliveries chart', () => {
  it('buckets batches by China wall-clock time', () => {
    const b = (t: string, accepted: number, rejected = 0, outcome = 'delivered') => ({
      id: t,
      target: 'city',
      records: accepted + rejected,
      bytes: 1,
      duration_ms: 1,
      outcome,
      accepted,
      rejected,
      created_at: t,
    })
    const s = bucketDeliveries([
      b('2025-03-01T10:59:00+08:00', 5),
      b('2025-03-01T10:01:00+08:00', 3, 1, 'partial'),
      b('2025-03-01T08:30:00+08:00', 0, 0, 'failed'),
    ])
    expect(s.bucketLabel).toBe('每 10 分钟')
    expect(s.labels[0]).toBe('3-01 08:30')
    expect(s.labels.at(-1)).toBe('3-01 10:50')
    expect(s.accepted.reduce((a, x) => a + x, 0)).toBe(8)
    expect(s.failed[0]).toBe(1)
    expect(bucketDeliveries([]).labels).toEqual([])
  })
})

describe('lists and formats', () => {
  it('sorts the rows of a page, empty values last', () => {
    const rows = [{ n: '张三', v: 2 }, { n: '李四', v: undefined }, { n: '王五', v: 10 }]
    expect(sortRows(rows, { sortBy: 'v', descending: false }).map((r) => r.n)).toEqual(['张三', '王五', '李四'])
    expect(sortRows(rows, { sortBy: 'v', descending: true }).map((r) => r.n)).toEqual(['王五', '张三', '李四'])
    expect(sortRows(rows, undefined)).toBe(rows)
  })

  it('drops empty filters', () => {
    expect(compact({ a: ' x ', b: '', c: undefined, d: 0, e: false })).toEqual({ a: 'x', d: 0, e: false })
  })

  it('shows server times as China wall-clock time', () => {
    expect(formatTime('2025-03-01T10:02:03.123+08:00')).toBe('2025-03-01 10:02:03')
    expect(formatTime('2025-03-01T02:02:03Z')).toBe('2025-03-01 10:02:03')
    expect(formatTime(undefined)).toBe('')
  })

  it('makes v4 UUIDs without crypto.randomUUID', () => {
    const a = uuid()
    expect(a).toMatch(UUID_RE)
    expect(a[14]).toBe('4')
    expect(uuid()).not.toBe(a)
  })
})
