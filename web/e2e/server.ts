/**
 * A real Yaojian for the browser tests: the built `yaojian` binary
 * (YAOJIAN_BIN) serving the built apps (web/dist) and a database of each
 * test's own, cloned from a template that `yaojian seed-demo` filled once per
 * file (the demo week: sales, refusals, alerts, an inspection); Redis keys
 * under a prefix of its own; the binary's fake WeChat on loopback. Nothing of
 * the server is replaced.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'

const ADMIN_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379'
export const DEMO_PASSWORD = 'Demo-Web-2026'
const WEB_DIST = fileURLToPath(new URL('../dist', import.meta.url))

function binary(): string {
  const bin = process.env.YAOJIAN_BIN
  if (!bin || !fs.existsSync(bin)) {
    throw new Error('the browser tests need the server: set YAOJIAN_BIN to a built `yaojian` (scripts/test does)')
  }
  if (!fs.existsSync(path.join(WEB_DIST, 'console', 'index.html'))) {
    throw new Error('the browser tests need the built apps: run `npm run build` first')
  }
  return bin
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url)
  u.pathname = `/${db}`
  return u.toString()
}

async function sqlOn<T = any>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    return (await c.query(text, params as any[])).rows
  } finally {
    await c.end()
  }
}

const admin = (text: string) => sqlOn(ADMIN_URL, text)

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(binary(), args, { env })
    let out = ''
    p.stdout.on('data', (d) => (out += d))
    p.stderr.on('data', (d) => (out += d))
    p.on('error', reject)
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`yaojian ${args.join(' ')} exited ${code}:\n${out}`))))
  })
}

/** A long-running child whose last output is kept (shown when it fails to start). */
class Child {
  output = ''
  readonly process: ChildProcess
  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.process = spawn(binary(), args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    const keep = (d: Buffer) => (this.output = (this.output + d).slice(-20000))
    this.process.stdout!.on('data', keep)
    this.process.stderr!.on('data', keep)
  }
  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return
    await new Promise<void>((resolve) => {
      this.process.once('exit', () => resolve())
      this.process.kill('SIGTERM')
      setTimeout(() => this.process.kill('SIGKILL'), 5000).unref()
    })
  }
}

async function waitUntil(url: string, child: Child, what: string, ready: (s: number) => boolean): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.process.exitCode !== null) throw new Error(`${what} exited ${child.process.exitCode}:\n${child.output}`)
    try {
      if (ready((await fetch(url)).status)) return
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`${what} did not answer ${url} within 15 s:\n${child.output}`)
}

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    YAOJIAN_ENV: 'development', // the public development key: a test database only
    YAOJIAN_LOG_FORMAT: 'json',
    RUST_LOG: 'warn',
    WECHAT_APPID: 'wx00000000000fa4e0',
    WECHAT_SECRET: 'fake-wechat-secret',
    WECHAT_TIMEOUT_SECS: '2',
    REDIS_URL,
    DATABASE_MAX_CONNECTIONS: '5',
    YAOJIAN_WEB_DIR: WEB_DIST,
    ...extra,
  }
}

export interface World {
  template: string
  /** The objects seed-demo stored (the inspection photo), shared by the file's servers. */
  storage: string
  wechatBase: string
  wechat: Child
}

export async function startWorld(): Promise<World> {
  binary()
  const template = `yj_web_tpl_${randomBytes(6).toString('hex')}`
  await admin(`CREATE DATABASE "${template}"`)
  try {
    const port = await freePort()
    const wechatBase = `http://127.0.0.1:${port}`
    const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'yaojian-web-template-'))
    const env = baseEnv({
      DATABASE_URL: withDatabase(ADMIN_URL, template),
      WECHAT_API_BASE: wechatBase,
      YAOJIAN_DEMO_PASSWORD: DEMO_PASSWORD,
      YAOJIAN_STORAGE_URL: storage,
      REDIS_KEY_PREFIX: `yjweb:${template}:`,
    })
    await run(['migrate'], env)
    await run(['seed-demo'], env)
    const wechat = new Child(['dev', 'fake-wechat', '--bind', `127.0.0.1:${port}`], baseEnv({}))
    await waitUntil(`${wechatBase}/sns/jscode2session?js_code=x`, wechat, 'fake-wechat', (s) => s < 500).catch(async (e) => {
      await wechat.stop()
      throw e
    })
    return { template, storage, wechatBase, wechat }
  } catch (e) {
    await admin(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`)
    throw e
  }
}

export async function stopWorld(w: World | undefined): Promise<void> {
  if (!w) return
  await w.wechat.stop()
  await admin(`DROP DATABASE IF EXISTS "${w.template}" WITH (FORCE)`)
  fs.rmSync(w.storage, { recursive: true, force: true })
}

export interface LiveServer {
  /** `http://127.0.0.1:PORT` */
  origin: string
  database: string
  child: Child
  /** A query on the test's database, to compare what a page shows with what is stored. */
  sql<T = any>(text: string, params?: unknown[]): Promise<T[]>
  /** A call to the API as a signed-in user (what the page should agree with). */
  api(path: string, token: string): Promise<Response>
  /** Signs `username` in through the API; the token. */
  token(username: string, password?: string): Promise<string>
}

export async function startServer(w: World): Promise<LiveServer> {
  const database = `yj_web_${randomBytes(6).toString('hex')}`
  await admin(`CREATE DATABASE "${database}" TEMPLATE "${w.template}"`)
  const port = await freePort()
  const storage = w.storage
  const databaseUrl = withDatabase(ADMIN_URL, database)
  const child = new Child(
    ['serve', '--bind', `127.0.0.1:${port}`],
    baseEnv({
      DATABASE_URL: databaseUrl,
      REDIS_KEY_PREFIX: `yjweb:${database}:`,
      WECHAT_API_BASE: w.wechatBase,
      YAOJIAN_STORAGE_URL: storage,
    }),
  )
  const origin = `http://127.0.0.1:${port}`
  try {
    await waitUntil(`${origin}/readyz`, child, 'yaojian serve', (s) => s === 200)
  } catch (e) {
    await child.stop()
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)
    throw e
  }
  const api = (p: string, token: string) => fetch(`${origin}/api/v1${p}`, { headers: { Authorization: `Bearer ${token}` } })
  return {
    origin,
    database,
    child,
    sql: (text, params) => sqlOn(databaseUrl, text, params),
    api,
    async token(username, password = DEMO_PASSWORD) {
      const r = await fetch(`${origin}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username, password }),
      })
      if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${await r.text()}`)
      return (await r.json()).token
    },
  }
}

export async function stopServer(s: LiveServer | undefined): Promise<void> {
  if (!s) return
  await s.child.stop()
  await admin(`DROP DATABASE IF EXISTS "${s.database}" WITH (FORCE)`)
}

/** For a test file: the world once, a server of its own for each test. */
export function useLiveServer(): { readonly world: World; readonly server: LiveServer } {
  const live = {} as { world: World; server: LiveServer }
  beforeAll(async () => {
    live.world = await startWorld()
  }, 120_000)
  afterAll(async () => {
    await stopWorld(live.world)
  })
  beforeEach(async () => {
    live.server = await startServer(live.world)
  }, 60_000)
  afterEach(async () => {
    await stopServer(live.server)
  })
  return live
}
