/**
 * The two ways a call can fail, kept apart because they call for opposite
 * reactions: a NetworkError means we do not know whether the server acted
 * (retry with the same Idempotency-Key), an ApiError is the server's answer.
 */
import type { FieldError, Problem } from './contract'

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly title: string
  readonly fields: FieldError[]
  /** Seconds from `Retry-After`, when the server sent one. */
  readonly retryAfter?: number

  constructor(status: number, code: string, title: string, fields: FieldError[] = [], retryAfter?: number) {
    super(`${status} ${code}: ${title}`)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.title = title
    this.fields = fields
    this.retryAfter = retryAfter
  }

  /** Builds the error from any non-2xx answer, problem+json or not (a proxy's 502 page). */
  static fromResponse(status: number, data: unknown, headers: Record<string, string> = {}): ApiError {
    const p = parseProblem(data)
    const retry = Number(headerValue(headers, 'retry-after'))
    return new ApiError(
      status,
      p?.code || `HTTP_${status}`,
      p?.title || '',
      Array.isArray(p?.errors) ? p!.errors : [],
      Number.isFinite(retry) && retry > 0 ? retry : undefined,
    )
  }
}

export class NetworkError extends Error {
  /** The request timed out: the server may have acted on it. */
  readonly timeout: boolean

  constructor(errMsg: string) {
    super(errMsg)
    this.name = 'NetworkError'
    this.timeout = /time ?out/i.test(errMsg)
  }
}

/**
 * The file to upload is no longer on the phone (a temporary photo path does
 * not survive every restart of WeChat): sending again cannot help, the user
 * has to take the photo again.
 */
export class LocalFileError extends Error {
  constructor(errMsg: string) {
    super(errMsg)
    this.name = 'LocalFileError'
  }

  /** `wx.uploadFile`'s fail messages that mean the local file, not the network. */
  static matches(errMsg: string): boolean {
    return /file not (found|exist)|no such file|not a file|invalid file ?path|filePath.*(invalid|not)/i.test(errMsg)
  }
}

/**
 * Whether sending the same request again later may succeed: network trouble,
 * 408/429/5xx, a duplicate still in progress, or an expired sign-in (the
 * queue retries after the clerk signs in again). Other 4xx are refusals.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof NetworkError) return true
  if (!(err instanceof ApiError)) return false
  return (
    err.status === 401 ||
    err.status === 408 ||
    err.status === 429 ||
    err.status >= 500 ||
    err.code === 'IDEMPOTENCY_IN_PROGRESS'
  )
}

function parseProblem(data: unknown): Partial<Problem> | undefined {
  let v = data
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v)
    } catch {
      return undefined
    }
  }
  return v && typeof v === 'object' ? (v as Partial<Problem>) : undefined
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  for (const k of Object.keys(headers || {})) if (k.toLowerCase() === name) return headers[k]
  return undefined
}
