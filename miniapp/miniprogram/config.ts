import { SERVERS } from './env'

/** The mini-program's versions: DevTools and previews, 体验版, 正式版. */
export type EnvVersion = keyof typeof SERVERS

/** Which version is running (`develop` outside WeChat, e.g. in tests). */
export function envVersion(): EnvVersion {
  try {
    const v = wx.getAccountInfoSync().miniProgram.envVersion
    return v in SERVERS ? (v as EnvVersion) : 'develop'
  } catch {
    return 'develop'
  }
}

/**
 * Where the Yaojian server answers, for the running version: set per version
 * by the build (`npm run configure`, see README.md), never by editing code.
 * A local `scripts/run` server listens on http://127.0.0.1:8080 (tick
 * "不校验合法域名" in DevTools); trial and release use the HTTPS domain
 * registered in the mini-program console.
 */
export const API_BASE: string = SERVERS[envVersion()]

/** A request that has not answered in this time counts as a network failure. */
export const REQUEST_TIMEOUT_MS = 15000

/** How often the pending-registration queue retries while the app is open. */
export const QUEUE_RETRY_MS = 60000
