/**
 * A real Yaojian server for the live tests: the built `yaojian` binary
 * (YAOJIAN_BIN) serving a database of each test's own — cloned from a
 * template migrated and seeded once per file with `yaojian seed-demo` — with
 * Redis keys under a prefix of its own and the binary's fake WeChat on
 * loopback. Nothing of the server is replaced: the mini-program's API layer
 * meets the real handlers, rules, idempotency and PostgreSQL.
 */
import { spawn, type ChildProcess } from 'child_process'
import { randomBytes } from 'crypto'
import * as fs from 'fs'
import * as net from 'net'
import * as os from 'os'
import * as path from 'path'
import { afterAll, afterEach, beforeAll, beforeEach } from '@jest/globals'
import { Client } from 'pg'

const ADMIN_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379'
const DEMO_PASSWORD = 'Demo-Live-2026'

function binary(): string {
  const bin = process.env.YAOJIAN_BIN
  if (!bin || !fs.existsSync(bin)) {
    throw new Error('the live tests need the server: set YAOJIAN_BIN to a built `yaojian` (scripts/test does)')
  }
  return bin
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url)
  u.pathname = `/${db}`
  return u.toString()
}

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: ADMIN_URL })
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.end()
  }
}

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

/** Runs the binary to completion; its stdout, or an error carrying its output. */
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

/** A long-running child whose output is kept (shown when it fails to start). */
class Child {
  output = ''
  readonly process: ChildProcess
  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.process = spawn(binary(), args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    this.process.stdout!.on('data', (d) => (this.output = (this.output + d).slice(-20000)))
    this.process.stderr!.on('data', (d) => (this.output = (this.output + d).slice(-20000)))
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

async function waitUntil(url: string, child: Child, what: string, ready = (status: number) => status < 500): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.process.exitCode !== null) throw new Error(`${what} exited ${child.process.exitCode}:\n${child.output}`)
    try {
      const r = await fetch(url)
      if (ready(r.status)) return
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`${what} did not answer ${url} within 10 s:\n${child.output}`)
}

/** What every server of a file shares: the seeded template and the fake WeChat. */
export interface World {
  template: string
  /** The invite code seed-demo issued for the unbound clerk 民生新店员. */
  inviteCode: string
  /** The objects seed-demo stored (the demo inspection's photo), shared by the file's servers. */
  storage: string
  wechatBase: string
  wechat: Child
}

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    // The public development key: a test database, never a real one.
    YAOJIAN_ENV: 'development',
    YAOJIAN_LOG_FORMAT: 'json',
    RUST_LOG: 'warn',
    WECHAT_APPID: 'wx00000000000fa4e0',
    WECHAT_SECRET: 'fake-wechat-secret',
    WECHAT_TIMEOUT_SECS: '2',
    REDIS_URL,
    DATABASE_MAX_CONNECTIONS: '5',
    ...extra,
  }
}

/** Migrates and seeds a template database and starts the fake WeChat (once per test file). */
export async function startWorld(): Promise<World> {
  binary() // before anything is created
  const template = `yj_mp_tpl_${randomBytes(6).toString('hex')}`
  await admin((c) => c.query(`CREATE DATABASE "${template}"`))
  try {
    const wechatPort = await freePort()
    const wechatBase = `http://127.0.0.1:${wechatPort}`
    const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'yaojian-live-template-'))
    const env = baseEnv({
      DATABASE_URL: withDatabase(ADMIN_URL, template),
      WECHAT_API_BASE: wechatBase,
      YAOJIAN_DEMO_PASSWORD: DEMO_PASSWORD,
      YAOJIAN_STORAGE_URL: storage,
      REDIS_KEY_PREFIX: `yjmp:${template}:`,
    })
    await run(['migrate'], env)
    const seeded = await run(['seed-demo'], env)
    const invite = /invite code (\S+)/.exec(seeded)
    if (!invite) throw new Error(`seed-demo printed no invite code:\n${seeded}`)
    const wechat = new Child(['dev', 'fake-wechat', '--bind', `127.0.0.1:${wechatPort}`], baseEnv({}))
    try {
      await waitUntil(`${wechatBase}/sns/jscode2session?appid=x&secret=x&js_code=x&grant_type=authorization_code`, wechat, 'fake-wechat')
    } catch (e) {
      await wechat.stop()
      throw e
    }
    return { template, inviteCode: invite[1], storage, wechatBase, wechat }
  } catch (e) {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`))
    throw e
  }
}

export async function stopWorld(w: World | undefined): Promise<void> {
  if (!w) return
  await w.wechat.stop()
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${w.template}" WITH (FORCE)`))
  fs.rmSync(w.storage, { recursive: true, force: true })
}

export interface LiveServer {
  /** `http://127.0.0.1:PORT` */
  origin: string
  database: string
  child: Child
  /** A query on the test's database (to look at what the server wrote). */
  sql<T = any>(text: string, params?: unknown[]): Promise<T[]>
}

/** `yaojian serve` on a database of its own, cloned from the world's template. */
export async function startServer(w: World): Promise<LiveServer> {
  const database = `yj_mp_${randomBytes(6).toString('hex')}`
  await admin((c) => c.query(`CREATE DATABASE "${database}" TEMPLATE "${w.template}"`))
  const port = await freePort()
  const storage = w.storage
  const databaseUrl = withDatabase(ADMIN_URL, database)
  const child = new Child(
    ['serve', '--bind', `127.0.0.1:${port}`],
    baseEnv({
      DATABASE_URL: databaseUrl,
      REDIS_KEY_PREFIX: `yjmp:${database}:`,
      WECHAT_API_BASE: w.wechatBase,
      YAOJIAN_STORAGE_URL: storage,
    }),
  )
  const origin = `http://127.0.0.1:${port}`
  try {
    await waitUntil(`${origin}/readyz`, child, 'yaojian serve', (status) => status === 200)
  } catch (e) {
    await child.stop()
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`))
    throw e
  }
  return {
    origin,
    database,
    child,
    async sql(text, params = []) {
      const c = new Client({ connectionString: databaseUrl })
      await c.connect()
      try {
        return (await c.query(text, params as any[])).rows
      } finally {
        await c.end()
      }
    },
  }
}

export async function stopServer(s: LiveServer | undefined): Promise<void> {
  if (!s) return
  await s.child.stop()
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${s.database}" WITH (FORCE)`))
}

/**
 * For a test file: the world once for the file, a server of its own for each
 * test (started before the file's own `beforeEach` hooks, which see it).
 */
export function useLiveServer(): { readonly world: World; readonly server: LiveServer } {
  const live = {} as { world: World; server: LiveServer }
  beforeAll(async () => {
    live.world = await startWorld()
  })
  afterAll(async () => {
    await stopWorld(live.world)
  })
  beforeEach(async () => {
    live.server = await startServer(live.world)
  })
  afterEach(async () => {
    await stopServer(live.server)
  })
  return live
}
