/**
 * The two ways a call can fail, kept apart because they call for different
 * reactions: a NetworkError means we do not know whether the server acted, an
 * ApiError is the server's answer (problem+json, SPEC §3).
 */
import type { components } from './schema'

export type FieldError = components['schemas']['FieldError']
export type Problem = components['schemas']['Problem']

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly title: string
  readonly detail?: string
  readonly fields: FieldError[]
  /** Seconds from `Retry-After`, when the server sent one (429 LOGIN_LOCKED, 503). */
  readonly retryAfter?: number

  constructor(
    status: number,
    code: string,
    title: string,
    fields: FieldError[] = [],
    retryAfter?: number,
    detail?: string,
  ) {
    super(`${status} ${code}: ${title}`)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.title = title
    this.fields = fields
    this.retryAfter = retryAfter
    this.detail = detail
  }

  /** Builds the error from any non-2xx answer, problem+json or not (a proxy's 502 page). */
  static fromResponse(response: Response, body: unknown): ApiError {
    const p = parseProblem(body)
    const retry = Number(response.headers.get('retry-after'))
    return new ApiError(
      response.status,
      p?.code || `HTTP_${response.status}`,
      p?.title || '',
      Array.isArray(p?.errors) ? p.errors : [],
      Number.isFinite(retry) && retry > 0 ? retry : undefined,
      p?.detail,
    )
  }
}

export class NetworkError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NetworkError'
  }
}

/** The user closed the sign-in-again dialog, or pressed cancel on a download. */
export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError'
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
