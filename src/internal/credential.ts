/**
 * A credential (basic token, JS-SDK ticket) cached in process and in the `TokenStore`,
 * refreshed ahead of expiry, one fetch at a time per process (callers share its result,
 * failure included) and, through the store's lock, one between processes.
 *
 * Expiry read from a store that knows its entries' remaining life (Redis `PTTL`) is
 * counted from this process's clock, so processes whose clocks disagree never serve a
 * dead token. With `degradable`, a store outage falls back to the process-local cache and
 * in-process single flight (fetching is harmless for that source), logged once when the
 * store goes and once when it is back.
 *
 * A credential WeChat has issued is never thrown away because the store cannot save it:
 * it is kept in this process until it expires, with a Warning (for the classic token,
 * fetching again would rotate the token and spend the 2000-a-day quota).
 *
 * A background refresh (the credential still valid, inside its margin) that fails is
 * logged at Warning (tag and errcode) and not started again for a while: 5 s after the
 * first failure, doubling up to 60 s, back to none after a success. Callers keep the
 * current credential meanwhile; once it has expired, every call refreshes in the
 * foreground as before.
 * @internal
 */
import * as Compat from "#compat"
import { Clock, Duration, Effect, Option, Schema, type Scope } from "effect"
import type * as TokenStore from "../TokenStore.js"
import type { Keys } from "./keys.js"
import * as Lock from "./lock.js"
import * as Sealed from "./sealed.js"

export interface Cached<A> {
  readonly value: A
  /** Epoch millis (this process's clock) when WeChat stops accepting it. */
  readonly expiresAt: number
}

export interface Options<A, I, E> {
  readonly store: TokenStore.Service
  /** Seals what is stored. */
  readonly keys: Keys
  readonly key: string
  readonly schema: Compat.Codec<A, I>
  /** The raw secret of a value, to tell tokens apart. */
  readonly secretOf: (value: A) => string
  readonly expiresInOf: (value: A) => number
  readonly fetch: Effect.Effect<A, E>
  /** Refresh this long before expiry (at most half the lifetime). */
  readonly refreshMargin: Duration.Duration
  /** The refresh lock's lifetime, renewed while the holder works. */
  readonly lockTtl: Duration.Duration
  /** How long to wait for another process's refresh before failing. */
  readonly lockWait: Duration.Duration
  /** Whether fetching without the store is harmless (the stable token and its tickets). */
  readonly degradable: boolean
}

export interface Credential<A, E> {
  readonly get: Effect.Effect<A, E | TokenStore.TokenStoreError>
  /** `get`, seen through `f` (one step on the hot path instead of two). */
  readonly getWith: <B>(f: (value: A) => B) => Effect.Effect<B, E | TokenStore.TokenStoreError>
  /** Forgets `value` here and in the store, unless it was already replaced. */
  readonly invalidate: (value: A) => Effect.Effect<void, TokenStore.TokenStoreError>
}

const isStoreError = (e: unknown): e is TokenStore.TokenStoreError =>
  typeof e === "object" && e !== null && "_tag" in e && e._tag === "TokenStoreError"

/** The pause after a failed background refresh: 5 s, doubling up to 60 s. */
const backgroundBackoff = { firstMillis: 5_000, maxMillis: 60_000 } as const

/** What a log may say of a failure: its tag and errcode, never its message (it may echo a request). */
const describeFailure = (e: unknown): Record<string, string | number> => {
  const out: Record<string, string | number> = {}
  if (typeof e === "object" && e !== null) {
    if ("_tag" in e && typeof e._tag === "string") out["error"] = e._tag
    if ("errcode" in e && typeof e.errcode === "number") out["errcode"] = e.errcode
  }
  return out
}

export const make = <A, I, E>(options: Options<A, I, E>): Effect.Effect<Credential<A, E>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { key, store } = options
    const lockKey = `${key}:lock`
    const entry = Sealed.codec(Schema.Struct({ value: options.schema, expiresAt: Schema.Number }))
    const marginMs = Duration.toMillis(options.refreshMargin)
    const scope = yield* Effect.scope
    const flights: Lock.Flights = new Map()
    let local: Cached<A> | undefined
    let storeDown = false
    // no background refresh starts before this (epoch millis); the pause after the last failure
    let backgroundAfter = 0
    let backoffMs = 0
    // set before the background fiber is forked (it joins the flight only once it runs), so
    // callers in the same tick start one background refresh, and a failure backs off once
    let backgroundRunning = false

    const refreshAt = (c: Cached<A>) => c.expiresAt - Math.min(marginMs, (options.expiresInOf(c.value) * 1000) / 2)
    const fresh = (c: Cached<A> | undefined, now: number): boolean => c !== undefined && now < refreshAt(c)

    const down = (error: TokenStore.TokenStoreError) =>
      storeDown ? Effect.void : Effect.andThen(
        Effect.sync(() => {
          storeDown = true
        }),
        Effect.logWarning(`effect-wechat: the token store is unavailable; ${key} is cached in this process until it is back`).pipe(
          Effect.annotateLogs({ error: error.message })
        )
      )
    const up = Effect.suspend(() =>
      storeDown
        ? Effect.andThen(
          Effect.sync(() => {
            storeDown = false
          }),
          Effect.logWarning(`effect-wechat: the token store is back; ${key} is shared through it again`)
        )
        : Effect.void
    )

    // With a store that knows the remaining life, expiry is counted from this clock.
    const readStore: Effect.Effect<Option.Option<Cached<A>>, TokenStore.TokenStoreError> = store.getWithTtl === undefined
      ? entry.get(store, options.keys, key)
      : Effect.flatMap(store.getWithTtl(key), (found) =>
        Option.isNone(found)
          ? Effect.succeed(Option.none())
          : Effect.map(Clock.currentTimeMillis, (now) =>
            Option.map(entry.open(options.keys, key, found.value.value), (c) => ({ value: c.value, expiresAt: now + Duration.toMillis(found.value.ttl) }))))

    const fetchOnly = Effect.flatMap(options.fetch, (value) =>
      Effect.map(Clock.currentTimeMillis, (now): Cached<A> => ({ value, expiresAt: now + options.expiresInOf(value) * 1000 })))

    // Once WeChat has issued it, a failed write never loses it: it is answered and kept in
    // this process (classic would otherwise rotate the token and spend quota on every call).
    const unsaved = (error: TokenStore.TokenStoreError) =>
      Effect.logWarning(
        `effect-wechat: the token store could not save ${key}; it is kept in this process until it expires, unseen by other processes`
      ).pipe(Effect.annotateLogs({ error: error.message }))
    const fetchAndStore = Effect.flatMap(fetchOnly, (cached) => {
      const write = entry.set(store, options.keys, key, cached, Duration.seconds(options.expiresInOf(cached.value)))
      return Effect.as(Compat.catchAll(write, options.degradable ? down : unsaved), cached)
    })

    // One try: a fresh stored entry, else the store's lock and a fetch (re-reading first:
    // another process may have just refreshed). None = another process holds the lock.
    const attempt: Effect.Effect<Option.Option<Cached<A>>, E | TokenStore.TokenStoreError> = Effect.gen(function*() {
      const stored = Option.getOrUndefined(yield* readStore)
      yield* up
      if (stored !== undefined && fresh(stored, yield* Clock.currentTimeMillis)) return Option.some(stored)
      return yield* Lock.holding(
        store,
        lockKey,
        options.lockTtl,
        Effect.gen(function*() {
          const again = Option.getOrUndefined(yield* readStore)
          return again !== undefined && fresh(again, yield* Clock.currentTimeMillis) ? again : yield* fetchAndStore
        })
      )
    })

    // Degraded: the store failed, so fetch here (this process's single flight still holds).
    const attemptOrLocal: Effect.Effect<Option.Option<Cached<A>>, E | TokenStore.TokenStoreError> = options.degradable
      ? Effect.catchIf(attempt, isStoreError, (error) => Effect.andThen(down(error), Effect.map(fetchOnly, Option.some)))
      : attempt

    // Every caller in this process shares one refresh, its failure included; across
    // processes, waiters wait for the lock holder's result.
    const refresh = Lock.singleFlight(
      flights,
      key,
      Lock.untilDone(attemptOrLocal, { every: "50 millis", patience: options.lockWait, what: key }).pipe(
        Effect.tap((cached) =>
          Effect.sync(() => {
            local = cached
            backgroundAfter = 0
            backoffMs = 0
          })
        )
      ),
      scope // ends with the provider
    )

    // A failed background refresh: logged, and the next one waits (the current value is
    // still valid, so hammering WeChat on every request would gain nothing).
    const background = Compat.catchAll(refresh, (error) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        backoffMs = backoffMs === 0 ? backgroundBackoff.firstMillis : Math.min(backoffMs * 2, backgroundBackoff.maxMillis)
        backgroundAfter = now + backoffMs
        return Effect.logWarning(
          `effect-wechat: refreshing ${key} ahead of expiry failed; the current one is used, next try in ${backoffMs / 1000} s`
        ).pipe(Effect.annotateLogs(describeFailure(error)))
      }))

    // the hot path (every signature, every token-using call): one step reads the clock
    const getWith = <B>(f: (value: A) => B): Effect.Effect<B, E | TokenStore.TokenStoreError> =>
      Compat.withFiber((fiber) => {
        const now = Compat.clockMillis(Compat.fiberClock(fiber))
        const current = local
        if (current !== undefined && fresh(current, now)) return Effect.succeed(f(current.value))
        if (current !== undefined && now < current.expiresAt) {
          // still valid: answer now, refresh in the background (unless a refresh is under way,
          // or the last background one failed a moment ago)
          if (flights.has(key) || backgroundRunning || now < backgroundAfter) return Effect.succeed(f(current.value))
          backgroundRunning = true
          return background.pipe(
            Effect.ensuring(Effect.sync(() => {
              backgroundRunning = false
            })),
            Effect.forkIn(scope),
            Effect.as(f(current.value))
          )
        }
        return Effect.map(refresh, (c) => f(c.value))
      })
    const get = getWith((value) => value)

    const forgetInStore = (secret: string) =>
      Effect.gen(function*() {
        const raw = yield* store.get(key)
        if (Option.isNone(raw)) return
        const stored = entry.open(options.keys, key, raw.value)
        if (Option.isNone(stored) || options.secretOf(stored.value.value) === secret) {
          yield* store.compareAndDelete(key, raw.value)
        }
      })

    const invalidate = (value: A) =>
      Effect.suspend(() => {
        const secret = options.secretOf(value)
        if (local !== undefined && options.secretOf(local.value) === secret) local = undefined
        return options.degradable ? Compat.catchAll(forgetInStore(secret), down) : forgetInStore(secret)
      })

    return { get, getWith, invalidate }
  })
