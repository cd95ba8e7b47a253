/**
 * Two small patterns the queues and pages share.
 */

/** `run` at most once at a time: a call while it runs gets the running promise. */
export function singleFlight<T>(run: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null
  return () => {
    if (!running) {
      running = run().finally(() => {
        running = null
      })
    }
    return running
  }
}

/**
 * Component lifetimes that subscribe when the page is attached and
 * unsubscribe when it is detached (a page can be open twice in the stack:
 * each rendered instance has its own subscription).
 */
export function whileAttached<P extends object>(subscribe: (page: P) => () => void): {
  attached(this: P): void
  detached(this: P): void
} {
  const subscriptions = new WeakMap<P, () => void>()
  return {
    attached() {
      subscriptions.set(this, subscribe(this))
    },
    detached() {
      subscriptions.get(this)?.()
      subscriptions.delete(this)
    },
  }
}
