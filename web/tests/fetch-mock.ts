/**
 * A fake `fetch` for tests: answers by method and path from a list of
 * handlers and records every Request it saw. The API client is exercised as
 * it is (openapi-fetch, middleware, error mapping); only the network is fake.
 */
import { vi } from 'vitest'

export interface Seen {
  method: string
  path: string
  search: string
  headers: Headers
  body: string
}

type Handler = (req: Request, seen: Seen) => Response | Promise<Response>

export function problem(status: number, code: string, title = '', errors?: unknown[], headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ type: `https://yaojian.cn/problems/${code.toLowerCase()}`, title, status, code, ...(errors ? { errors } : {}) }), {
    status,
    headers: { 'Content-Type': 'application/problem+json', ...headers },
  })
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json; charset=utf-8' } })
}

export function mockFetch(routes: Record<string, Handler | Handler[]>) {
  const seen: Seen[] = []
  const queues = new Map<string, Handler[]>()
  for (const [k, v] of Object.entries(routes)) queues.set(k, Array.isArray(v) ? [...v] : [v])
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(String(input), init)
    const url = new URL(req.url)
    const s: Seen = {
      method: req.method,
      path: url.pathname,
      search: url.search,
      headers: new Headers(req.headers),
      body: req.body ? await req.clone().text() : '',
    }
    seen.push(s)
    const key = `${req.method} ${url.pathname}`
    const q = queues.get(key)
    if (!q || !q.length) throw new Error(`unexpected request ${key}`)
    // The last handler of a route answers every further call.
    const h = q.length > 1 ? q.shift()! : q[0]
    return h(req, s)
  })
  vi.stubGlobal('fetch', fn)
  return { fn, seen }
}
