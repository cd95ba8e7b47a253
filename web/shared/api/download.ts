/**
 * Streamed downloads (the registrations export, SPEC §5): the answer is read
 * chunk by chunk from `response.body` so the page can show the bytes received
 * while a large file arrives, then handed to the browser as a Blob URL on an
 * `<a download>` — no new window, nothing fetched twice.
 */
import { ApiError } from './api-error'

export interface Download {
  blob: Blob
  filename: string
  bytes: number
}

export interface Progress {
  bytes: number
  /** From Content-Length, when the server sent one (a streamed export usually does not). */
  total?: number
}

/** Reads an openapi-fetch `parseAs: 'stream'` answer to the end, reporting progress. */
export async function readDownload(
  answer: { data?: ReadableStream<Uint8Array> | null; error?: unknown; response: Response },
  fallbackName: string,
  onProgress: (p: Progress) => void,
): Promise<Download> {
  const { response } = answer
  if (!response.ok) throw ApiError.fromResponse(response, answer.error)
  const lengthHeader = Number(response.headers.get('content-length'))
  const total = Number.isFinite(lengthHeader) && lengthHeader > 0 ? lengthHeader : undefined
  const type = response.headers.get('content-type') || 'application/octet-stream'
  const filename = filenameFrom(response.headers.get('content-disposition'), fallbackName)
  const chunks: BlobPart[] = []
  let bytes = 0
  onProgress({ bytes, total })
  const body = answer.data ?? response.body
  if (body) {
    const reader = body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (value) {
        chunks.push(value as Uint8Array<ArrayBuffer>)
        bytes += value.byteLength
        onProgress({ bytes, total })
      }
    }
  }
  return { blob: new Blob(chunks, { type }), filename, bytes }
}

/** `attachment; filename="a.csv"; filename*=UTF-8''%E7%99%BB%E8%AE%B0.csv` → `登记.csv`. */
export function filenameFrom(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition)
  if (star) {
    try {
      return sanitize(decodeURIComponent(star[1].trim().replace(/^"|"$/g, ''))) || fallback
    } catch {
      // fall through to the plain parameter
    }
  }
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/.exec(disposition)
  if (plain) return sanitize((plain[2] ?? plain[1]).trim()) || fallback
  return fallback
}

function sanitize(name: string): string {
  return name.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_')
}

/** Hands the file to the browser's download manager. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  a.rel = 'noopener'
  a.hidden = true
  document.body.appendChild(a)
  a.click()
  a.remove()
  // Revoke after the click has been handled (Firefox needs it to outlive the event).
  setTimeout(() => URL.revokeObjectURL(url), 30_000)
}
