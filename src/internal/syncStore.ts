/**
 * The synchronous side of the in-process memory store. A code exchange on a process-local
 * store reads and writes it without an Effect step per operation (every login takes that
 * path); any other store, or a memory store wrapped in another object, goes through the
 * `TokenStore.Service` interface as before. Same entries, same expiry, same bound.
 * @internal
 */

export interface SyncStore {
  /** The live value at `now` (epoch millis), or `undefined`. */
  readonly get: (key: string, now: number) => string | undefined
  /** Writes `value` to expire `ttlMillis` after `now`. */
  readonly set: (key: string, value: string, ttlMillis: number, now: number) => void
}

const registry = new WeakMap<object, SyncStore>()

/** `store`, with `sync` as its synchronous side. */
export const register = <S extends object>(store: S, sync: SyncStore): S => {
  registry.set(store, sync)
  return store
}

/** The synchronous side of `store`, when it has one. */
export const of = (store: object): SyncStore | undefined => registry.get(store)
