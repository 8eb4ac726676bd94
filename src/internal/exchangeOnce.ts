/**
 * Idempotent redemption of single-use codes. WeChat sometimes delivers a callback twice,
 * and a second redemption gets 40163; so a code's result is kept for the code's lifetime
 * and concurrent redemptions share one request: in process through a single-flight map,
 * across processes through the `TokenStore` (its lock, then its stored result).
 * @internal
 */
import { Cause, Clock, Deferred, Duration, Effect, Exit, Option, Schema } from "effect"
import { globalValue } from "effect/GlobalValue"
import { createHash } from "node:crypto"
import * as TokenStore from "../TokenStore.js"
import { WechatConfig } from "../WechatConfig.js"
import { WechatError } from "../WechatError.js"

/** How long a successful result is kept: no longer than a code lives (5 minutes). */
export const resultTtl = Duration.minutes(5)
/** How long `CodeAlreadyUsed` / `InvalidCode` are kept, so a burst of duplicates costs one call. */
export const failureTtl = Duration.seconds(10)

const inflight = globalValue(
  "effect-wechat/exchangeOnce/inflight",
  () => new WeakMap<TokenStore.Service, Map<string, Deferred.Deferred<unknown, unknown>>>()
)

const flightsOf = (store: TokenStore.Service) => {
  let map = inflight.get(store)
  if (map === undefined) {
    map = new Map()
    inflight.set(store, map)
  }
  return map
}

const cacheable = (e: WechatError): boolean => e._tag === "CodeAlreadyUsed" || e._tag === "InvalidCode"

/**
 * The idempotent redemption of one kind of code (`code`, `jscode`) whose result has
 * `schema`; codecs are compiled once here, not per call.
 */
export const makeExchangeOnce = <A, I>(kind: string, schema: Schema.Schema<A, I>) => {
  const stored = TokenStore.typed(Schema.Union(Schema.Struct({ ok: schema }), Schema.Struct({ error: WechatError })))
  return (code: string, exchange: Effect.Effect<A, WechatError>) => exchangeOnce(kind, stored, code, exchange)
}

type StoredView<A> = ReturnType<typeof TokenStore.typed<{ readonly ok: A } | { readonly error: WechatError }, unknown>>

const exchangeOnce = <A>(
  kind: string,
  stored: StoredView<A>,
  code: string,
  exchange: Effect.Effect<A, WechatError>
): Effect.Effect<A, WechatError | TokenStore.TokenStoreError, WechatConfig> =>
  Effect.gen(function*() {
    const config = yield* WechatConfig
    const store = yield* TokenStore.TokenStore
    const k = TokenStore.key(config.appId, kind, createHash("sha256").update(code).digest("hex").slice(0, 32))
    const flights = flightsOf(store)
    const running = flights.get(k) as Deferred.Deferred<A, WechatError | TokenStore.TokenStoreError> | undefined
    if (running !== undefined) return yield* Deferred.await(running)

    const deferred = yield* Deferred.make<A, WechatError | TokenStore.TokenStoreError>()
    flights.set(k, deferred as Deferred.Deferred<unknown, unknown>)
    const read = Effect.map(stored.get(store, k), Option.map((s) => ("ok" in s ? Exit.succeed(s.ok) : Exit.fail(s.error))))
    const lockTtl = Duration.sum(Duration.times(config.timeout, 1 + config.fallbackApiBaseUrls.length), Duration.seconds(2))

    // Redeem under the store's lock, keeping the result; without the lock, wait for the
    // holder's result (a holder that died releases by the lock's expiry, and we redeem).
    const redeem = Effect.gen(function*() {
      const exit = yield* Effect.exit(exchange)
      if (Exit.isSuccess(exit)) {
        yield* stored.set(store, k, { ok: exit.value }, resultTtl)
      } else {
        const failure = Cause.failureOption(exit.cause)
        if (Option.isSome(failure) && cacheable(failure.value)) {
          yield* stored.set(store, k, { error: failure.value }, failureTtl)
        }
      }
      return Option.some(exit)
    })

    // In process, the single-flight map already serialises duplicates; a shared store
    // adds its lock (and a second read under it) for the other processes.
    const attempt: Effect.Effect<Option.Option<Exit.Exit<A, WechatError>>, TokenStore.TokenStoreError> = Effect.gen(function*() {
      const found = yield* read
      if (Option.isSome(found)) return found
      if (!store.shared) return yield* redeem
      const token = yield* store.acquireLock(`${k}:lock`, lockTtl)
      if (Option.isNone(token)) return Option.none()
      return yield* Effect.gen(function*() {
        const again = yield* read
        return Option.isSome(again) ? again : yield* redeem
      }).pipe(Effect.ensuring(Effect.ignore(store.releaseLock(`${k}:lock`, token.value))))
    })

    const loop = (deadline: number): Effect.Effect<A, WechatError | TokenStore.TokenStoreError> =>
      Effect.flatMap(attempt, (found) =>
        Option.isSome(found)
          ? found.value
          : Effect.flatMap(Clock.currentTimeMillis, (now) =>
            now >= deadline
              ? exchange
              : Effect.zipRight(Effect.sleep("25 millis"), Effect.suspend(() => loop(deadline)))))

    const now = yield* Clock.currentTimeMillis
    return yield* loop(now + Duration.toMillis(lockTtl) * 2).pipe(
      Effect.onExit((exit) =>
        Effect.zipRight(
          Effect.sync(() => flights.delete(k)),
          Deferred.done(deferred, exit)
        )
      )
    )
  })
