/**
 * Idempotent redemption of single-use codes. WeChat sometimes delivers a callback twice,
 * and a second redemption gets 40163; so a code's result is kept for the code's lifetime
 * and concurrent redemptions share one request: in process through a single-flight map,
 * across processes through the `TokenStore` (its lock, then its stored result).
 * @internal
 */
import { Cause, type Deferred, Duration, Effect, Exit, Option, Schema } from "effect"
import { globalValue } from "effect/GlobalValue"
import { createHash } from "node:crypto"
import * as TokenStore from "../TokenStore.js"
import { WechatConfig } from "../WechatConfig.js"
import { WechatError } from "../WechatError.js"
import * as Lock from "./lock.js"

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
  return <R>(code: string, exchange: Effect.Effect<A, WechatError, R>) => exchangeOnce(kind, stored, code, exchange)
}

type StoredView<A> = ReturnType<typeof TokenStore.typed<{ readonly ok: A } | { readonly error: WechatError }, unknown>>

const exchangeOnce = <A, R>(
  kind: string,
  stored: StoredView<A>,
  code: string,
  exchange: Effect.Effect<A, WechatError, R>
): Effect.Effect<A, WechatError | TokenStore.TokenStoreError, WechatConfig | R> =>
  Effect.gen(function*() {
    const config = yield* WechatConfig
    const store = yield* TokenStore.TokenStore
    const k = TokenStore.key(config.appId, kind, createHash("sha256").update(code).digest("hex").slice(0, 32))
    const read = Effect.map(stored.get(store, k), Option.map((s) => ("ok" in s ? Exit.succeed(s.ok) : Exit.fail(s.error))))
    // long enough for one request to every host; renewed while the exchange runs
    const lockTtl = Duration.sum(Duration.times(config.timeout, 1 + config.fallbackApiBaseUrls.length), Duration.seconds(2))

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
      return exit
    })

    // In process, the single flight already serialises duplicates; a shared store adds its
    // lock (and a second read under it) for the other processes.
    const attempt: Effect.Effect<Option.Option<Exit.Exit<A, WechatError>>, TokenStore.TokenStoreError, R> = Effect.gen(function*() {
      const found = yield* read
      if (Option.isSome(found)) return found
      if (!store.shared) return Option.some(yield* redeem)
      return yield* Lock.holding(
        store,
        `${k}:lock`,
        lockTtl,
        Effect.flatMap(read, (again) => (Option.isSome(again) ? Effect.succeed(again.value) : redeem))
      )
    })

    return yield* Lock.singleFlight(
      flightsOf(store),
      k,
      Effect.flatten(Lock.untilDone(attempt, { every: "25 millis", patience: Duration.times(lockTtl, 3), what: "a code exchange" }))
    )
  })
