/**
 * The one setting that differs between a developer's machine and production:
 * where the Yaojian server answers. A local `scripts/run` server listens on
 * http://127.0.0.1:8080 (tick "不校验合法域名" in DevTools, see README.md);
 * production uses the HTTPS domain registered in the mini-program console.
 */
export const API_BASE = 'http://127.0.0.1:8080/api/v1'

/** A request that has not answered in this time counts as a network failure. */
export const REQUEST_TIMEOUT_MS = 15000

/** How often the pending-registration queue retries while the app is open. */
export const QUEUE_RETRY_MS = 60000
