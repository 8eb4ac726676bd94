/**
 * A credential (basic token, JS-SDK ticket) cached in process and in the `TokenStore`,
 * refreshed ahead of expiry, one fetch at a time per process and, through the store's
 * lock, one between processes.
 * @internal
 */
import { Clock, Duration, Effect, Option, Schema, type Scope } from "effect"
import * as TokenStore from "../TokenStore.js"

export interface Cached<A> {
  readonly value: A
  /** Epoch millis when WeChat stops accepting it. */
  readonly expiresAt: number
}

export interface Options<A, I, E> {
  readonly store: TokenStore.Service
  readonly key: string
  readonly schema: Schema.Schema<A, I>
  /** The raw secret of a value, to tell tokens apart. */
  readonly secretOf: (value: A) => string
  readonly expiresInOf: (value: A) => number
  readonly fetch: Effect.Effect<A, E>
  /** Refresh this long before expiry (at most half the lifetime). */
  readonly refreshMargin: Duration.Duration
  /** How long one process may hold the refresh lock. */
  readonly lockTtl: Duration.Duration
}

export interface Credential<A, E> {
  readonly get: Effect.Effect<A, E | TokenStore.TokenStoreError>
  /** Forgets `value` here and in the store, unless it was already replaced. */
  readonly invalidate: (value: A) => Effect.Effect<void, TokenStore.TokenStoreError>
}

export const make = <A, I, E>(options: Options<A, I, E>): Effect.Effect<Credential<A, E>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { key, store } = options
    const lockKey = `${key}:lock`
    const entrySchema = Schema.Struct({ value: options.schema, expiresAt: Schema.Number })
    const decodeEntry = Schema.decodeUnknownOption(Schema.parseJson(entrySchema))
    const encodeEntry = Schema.encode(Schema.parseJson(entrySchema))
    const marginMs = Duration.toMillis(options.refreshMargin)
    const semaphore = yield* Effect.makeSemaphore(1)
    const scope = yield* Effect.scope
    let local: Cached<A> | undefined
    let refreshing = false

    const refreshAt = (c: Cached<A>) => c.expiresAt - Math.min(marginMs, (options.expiresInOf(c.value) * 1000) / 2)
    const fresh = (c: Cached<A> | undefined, now: number): boolean => c !== undefined && now < refreshAt(c)

    const readStore = store.get(key).pipe(Effect.map(Option.flatMap(decodeEntry)))

    const fetchAndStore = Effect.gen(function*() {
      const value = yield* options.fetch
      const now = yield* Clock.currentTimeMillis
      const ttlMs = options.expiresInOf(value) * 1000
      const entry: Cached<A> = { value, expiresAt: now + ttlMs }
      const text = yield* encodeEntry(entry).pipe(
        Effect.mapError((e) => new TokenStore.TokenStoreError({ operation: "encode", detail: e.message }))
      )
      yield* store.set(key, text, Duration.millis(ttlMs))
      return entry
    })

    // One try: a fresh stored entry, else the store's lock and a fetch (re-reading first:
    // another process may have just refreshed). None = another process holds the lock.
    const attempt: Effect.Effect<Option.Option<Cached<A>>, E | TokenStore.TokenStoreError> = Effect.gen(function*() {
      const stored = Option.getOrUndefined(yield* readStore)
      if (stored !== undefined && fresh(stored, yield* Clock.currentTimeMillis)) return Option.some(stored)
      const token = yield* store.acquireLock(lockKey, options.lockTtl)
      if (Option.isNone(token)) return Option.none()
      return yield* Effect.gen(function*() {
        const again = Option.getOrUndefined(yield* readStore)
        return Option.some(again !== undefined && fresh(again, yield* Clock.currentTimeMillis) ? again : yield* fetchAndStore)
      }).pipe(Effect.ensuring(Effect.ignore(store.releaseLock(lockKey, token.value))))
    })

    // Waits for the lock holder's result; a holder that died releases by its lock's expiry.
    const untilDone = (deadline: number): Effect.Effect<Cached<A>, E | TokenStore.TokenStoreError> =>
      Effect.flatMap(attempt, (found) =>
        Option.isSome(found)
          ? Effect.succeed(found.value)
          : Effect.flatMap(Clock.currentTimeMillis, (now) =>
            now >= deadline
              ? fetchAndStore
              : Effect.zipRight(Effect.sleep("50 millis"), Effect.suspend(() => untilDone(deadline)))))

    const refresh = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      untilDone(now + Duration.toMillis(options.lockTtl) * 2)).pipe(
        Effect.tap((entry) =>
          Effect.sync(() => {
            local = entry
          })
        )
      )

    const refreshLocked = semaphore.withPermits(1)(
      Effect.flatMap(Clock.currentTimeMillis, (now) => (local !== undefined && fresh(local, now) ? Effect.succeed(local) : refresh))
    )

    const get: Effect.Effect<A, E | TokenStore.TokenStoreError> = Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const current = local
      if (current !== undefined && fresh(current, now)) return Effect.succeed(current.value)
      if (current !== undefined && now < current.expiresAt) {
        // still valid: answer now, refresh in the background
        if (!refreshing) {
          refreshing = true
          return refreshLocked.pipe(
            Effect.ensuring(Effect.sync(() => {
              refreshing = false
            })),
            Effect.forkIn(scope),
            Effect.as(current.value)
          )
        }
        return Effect.succeed(current.value)
      }
      return Effect.map(refreshLocked, (c) => c.value)
    })

    const invalidate = (value: A) =>
      Effect.gen(function*() {
        const secret = options.secretOf(value)
        if (local !== undefined && options.secretOf(local.value) === secret) local = undefined
        const raw = yield* store.get(key)
        if (Option.isNone(raw)) return
        const entry = decodeEntry(raw.value)
        if (Option.isNone(entry) || options.secretOf(entry.value.value) === secret) {
          yield* store.compareAndDelete(key, raw.value)
        }
      })

    return { get, invalidate }
  })
