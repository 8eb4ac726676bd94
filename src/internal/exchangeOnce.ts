/**
 * Replay-proof, idempotent redemption of single-use codes.
 *
 * WeChat sometimes delivers a callback twice, and a second redemption gets 40163. So the
 * result of a redemption is kept for a short duplicate window (`WechatConfig.duplicateWindow`)
 * and handed again only to a caller that presents the same binding (the login's session,
 * or its verified state's nonce): anyone else, or a caller without a binding, gets
 * `CodeAlreadyUsed` without a call to WeChat, so a replayed callback URL logs no one in.
 * Concurrent duplicates share one request: in process through a single flight, across
 * processes through the `TokenStore` (its lock, then the stored result).
 *
 * The store never costs a login: once WeChat has answered with a token, a failing store
 * only means the result is not cached (logged at Warning). While the store cannot be read
 * or locked, redemption goes ahead without the cross-process dedupe.
 * @internal
 */
import { Cause, type Deferred, Duration, Effect, Exit, Option, Redacted, Schema } from "effect"
import { randomBytes, timingSafeEqual } from "node:crypto"
import * as TokenStore from "../TokenStore.js"
import { redact, type Secret, WechatConfig } from "../WechatConfig.js"
import { CodeAlreadyUsed, WechatError } from "../WechatError.js"
import * as Deployment from "./deployment.js"
import { keysOf } from "./keys.js"
import * as Lock from "./lock.js"
import * as Sealed from "./sealed.js"

/** How long `CodeAlreadyUsed` / `InvalidCode` are kept, so a burst of duplicates costs one call. */
export const failureTtl = Duration.seconds(10)

/** What a redemption left behind. */
type Outcome<A> =
  | { readonly _tag: "Redeemed"; readonly binding: string; readonly value: A }
  /** Redeemed by a caller without a binding: nobody gets the result again. */
  | { readonly _tag: "Spent" }
  | { readonly _tag: "Failed"; readonly error: WechatError }

/** The stored form of an outcome. */
type Stored<A> =
  | { readonly b: string; readonly ok: A }
  | { readonly spent: true }
  | { readonly error: WechatError }

const inflight = new WeakMap<TokenStore.Service, Map<string, Deferred.Deferred<unknown, unknown>>>()

const flightsOf = (store: TokenStore.Service) => {
  let map = inflight.get(store)
  if (map === undefined) {
    map = new Map()
    inflight.set(store, map)
  }
  return map
}

const cacheable = (e: WechatError): boolean => e._tag === "CodeAlreadyUsed" || e._tag === "InvalidCode"

const sameBinding = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

const warn = (what: string, error: TokenStore.TokenStoreError) =>
  Effect.logWarning(`effect-wechat: ${what}; the code exchange goes on without it`).pipe(
    Effect.annotateLogs({ error: error.message })
  )

/**
 * The redemption of one kind of code (`code`, `jscode`) whose result has `schema`;
 * codecs are compiled once here, not per call.
 */
export const makeExchangeOnce = <A, I>(kind: string, endpoint: string, schema: Schema.Schema<A, I>) => {
  const stored: Sealed.Codec<Stored<A>> = Sealed.codec(Schema.Union(
    Schema.Struct({ b: Schema.String, ok: schema }),
    Schema.Struct({ spent: Schema.Literal(true) }),
    Schema.Struct({ error: WechatError })
  ))
  const toOutcome = (s: Stored<A>): Outcome<A> =>
    "ok" in s ? { _tag: "Redeemed", binding: s.b, value: s.ok } : "spent" in s ? { _tag: "Spent" } : { _tag: "Failed", error: s.error }

  return <R>(
    code: string,
    binding: Secret | undefined,
    exchange: Effect.Effect<A, WechatError, R>
  ): Effect.Effect<A, WechatError, WechatConfig | R> =>
    Effect.gen(function*() {
      const config = yield* WechatConfig
      const store = yield* TokenStore.TokenStore
      yield* Deployment.warnIfLocal(endpoint === "sns/jscode2session" ? "MiniProgram.code2Session" : "Sns.exchangeCode", store, TokenStore.isProcessDefault(store))
      const keys = keysOf(config)
      const k = TokenStore.key(config.appId, kind, keys.digest(kind, code))
      // a caller without a binding gets one nobody else has: it alone sees its result
      const mine = binding === undefined ? randomBytes(16).toString("hex") : keys.digest("binding", Redacted.value(redact(binding)))
      // long enough for one request to every host; renewed while the exchange runs
      const lockTtl = Duration.sum(Duration.times(config.timeout, 1 + config.fallbackApiBaseUrls.length), Duration.seconds(2))

      const read: Effect.Effect<Option.Option<Outcome<A>>> = stored.get(store, keys, k).pipe(
        Effect.map(Option.map(toOutcome)),
        Effect.catchAll((e) => Effect.as(warn("the token store could not be read", e), Option.none()))
      )
      const keep = (value: Stored<A>, ttl: Duration.Duration) =>
        stored.set(store, keys, k, value, ttl).pipe(
          Effect.catchAll((e) => warn("the exchange result could not be cached", e))
        )

      const redeem: Effect.Effect<Outcome<A>, never, R> = Effect.flatMap(Effect.exit(exchange), (exit): Effect.Effect<Outcome<A>> => {
        if (Exit.isSuccess(exit)) {
          return Effect.as(
            keep(binding === undefined ? { spent: true } : { b: mine, ok: exit.value }, config.duplicateWindow),
            { _tag: "Redeemed", binding: mine, value: exit.value }
          )
        }
        const failed = Cause.failureOption(exit.cause)
        // a defect or an interruption is not an outcome: it propagates as is
        if (Option.isNone(failed)) return Effect.failCause(exit.cause as Cause.Cause<never>)
        const outcome = { _tag: "Failed", error: failed.value } as const
        return cacheable(failed.value) ? Effect.as(keep({ error: failed.value }, failureTtl), outcome) : Effect.succeed(outcome)
      })

      // In process, the single flight already serialises duplicates; a shared store adds its
      // lock (and a second read under it) for the other processes. None = another process
      // holds the lock.
      const attempt: Effect.Effect<Option.Option<Outcome<A>>, TokenStore.TokenStoreError, R> = Effect.flatMap(read, (found) => {
        if (Option.isSome(found)) return Effect.succeed(found)
        if (!store.shared) return Effect.map(redeem, Option.some)
        return Lock.holding(store, `${k}:lock`, lockTtl, Effect.flatMap(read, (again) => (Option.isSome(again) ? Effect.succeed(again.value) : redeem))).pipe(
          Effect.catchAll((e) => Effect.andThen(warn("the token store's lock could not be taken", e), Effect.map(redeem, Option.some)))
        )
      })

      const outcome = yield* Lock.singleFlight(
        flightsOf(store),
        k,
        Lock.untilDone(attempt, { every: "25 millis", patience: Duration.times(lockTtl, 3), what: "a code exchange" }).pipe(
          Effect.catchAll((e) => Effect.andThen(warn("another process held the exchange lock too long", e), redeem))
        )
      )
      switch (outcome._tag) {
        case "Failed":
          return yield* Effect.fail(outcome.error)
        case "Redeemed":
          if (sameBinding(outcome.binding, mine)) return outcome.value
      }
      return yield* new CodeAlreadyUsed({
        errcode: 40163,
        errmsg: "code been used (already redeemed here for another session; not sent to WeChat)",
        endpoint,
        action: "reauthorize"
      })
    })
}
