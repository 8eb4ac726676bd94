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
import * as Compat from "#compat"
import type { HttpClient } from "#compat"
import { type Cause, type Clock, Context, Duration, Effect, Option, Redacted, Schema } from "effect"
import { randomBytes, timingSafeEqual } from "node:crypto"
import * as TokenStore from "../TokenStore.js"
import type { Decoder } from "../WechatDecode.js"
import { type Secret, type Service as WechatConfigService, WechatConfig } from "../WechatConfig.js"
import { CodeAlreadyUsed, WechatError } from "../WechatError.js"
import { execute, type Request } from "../WechatHttp.js"
import * as Deployment from "./deployment.js"
import { type Keys, keysOf } from "./keys.js"
import * as Lock from "./lock.js"
import * as SyncStore from "./syncStore.js"
import * as Validate from "./validate.js"

/** How long `CodeAlreadyUsed` / `InvalidCode` are kept, so a burst of duplicates costs one call. */
export const failureTtl = Duration.seconds(10)

/** What a redemption left behind. */
type Outcome<A> =
  | { readonly _tag: "Redeemed"; readonly binding: string; readonly value: A }
  /** Redeemed by a caller without a binding: nobody gets the result again. */
  | { readonly _tag: "Spent" }
  | { readonly _tag: "Failed"; readonly error: WechatError }

/**
 * The stored form of an outcome, sealed: WeChat's own answer (`t`, decoded again when a
 * duplicate reads it, so a redemption pays for no encoding) with the binding it belongs
 * to (`b`); `s` for a spent code; `e` for a kept failure.
 */
type Stored =
  | { readonly b: string; readonly t: string }
  | { readonly s: 1 }
  | { readonly e: unknown }

const encodeError = Schema.encodeSync(WechatError)
const decodeError = Schema.decodeUnknownOption(WechatError)

const inflight = new WeakMap<TokenStore.Service, Lock.Flights>()

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

/** Where a kind of code is redeemed, and what its code is called. */
interface Redemption {
  /** The store key's kind: `code`, `jscode`. */
  readonly kind: string
  readonly endpoint: string
  /** The query parameter that carries the code (`code`, `js_code`). */
  readonly param: string
  /** The argument a bad code's `InvalidArgument` names. */
  readonly argument: string
}

/**
 * The redemption of one kind of code: `GET endpoint?appid&secret&<param>=code&grant_type`,
 * whose answer `decode` reads.
 */
export const makeExchangeOnce = <A>({ argument, endpoint, kind, param }: Redemption, decode: Decoder<A>) => {
  // the exchange keeps WeChat's text beside the value, to store it as it came
  const withText: Decoder<{ readonly value: A; readonly text: string }> = (e, text, secrets) =>
    Compat.Result.map(decode(e, text, secrets), (value) => ({ value, text }))

  const open = (keys: Keys, k: string, raw: string): Option.Option<Outcome<A>> => {
    const text = keys.open(k, raw)
    if (text === undefined) return Option.none()
    let stored: Stored
    try {
      stored = JSON.parse(text) as Stored
    } catch {
      return Option.none()
    }
    if (typeof stored !== "object" || stored === null) return Option.none()
    if ("s" in stored) return Option.some({ _tag: "Spent" })
    if ("e" in stored) return Option.map(decodeError(stored.e), (error) => ({ _tag: "Failed", error }))
    if (typeof stored.b !== "string" || typeof stored.t !== "string") return Option.none()
    const binding = stored.b
    return Option.map(Compat.Result.getSuccess(decode(endpoint, stored.t)), (value) => ({ _tag: "Redeemed", binding, value }))
  }

  const redeemFor = (
    config: WechatConfigService,
    store: TokenStore.Service,
    clock: Clock.Clock,
    code: string,
    binding: Secret | undefined,
    request: Request
  ): Effect.Effect<A, WechatError, WechatConfig | HttpClient.HttpClient> => {
    const keys = keysOf(config)
    const k = TokenStore.key(config.appId, kind, keys.digest(kind, code))
    // a caller without a binding gets one nobody else has: it alone sees its result
    const mine = binding === undefined ? randomBytes(16).toString("hex") : keys.digest("binding", Validate.reveal(binding))
    // a process-local memory store is read and written in place, without an Effect step each
    const local = SyncStore.of(store)

    const read: Effect.Effect<Option.Option<Outcome<A>>> = local !== undefined
      ? Effect.sync(() => {
        const raw = local.get(k, Compat.clockMillis(clock))
        return raw === undefined ? Option.none() : open(keys, k, raw)
      })
      : store.get(k).pipe(
        Effect.map(Option.flatMap((raw) => open(keys, k, raw))),
        Compat.catchAll((e) => Effect.as(warn("the token store could not be read", e), Option.none()))
      )
    // keeps `value`, then answers `outcome` (in place when the store allows)
    const keep = <O>(value: Stored, ttl: Duration.Duration, outcome: O): Effect.Effect<O> => {
      const sealed = keys.seal(k, JSON.stringify(value))
      if (local === undefined) {
        return Effect.as(store.set(k, sealed, ttl).pipe(Compat.catchAll((e) => warn("the exchange result could not be cached", e))), outcome)
      }
      local.set(k, sealed, Duration.toMillis(ttl), Compat.clockMillis(clock))
      return Effect.succeed(outcome)
    }

    const redeem: Effect.Effect<Outcome<A>, never, HttpClient.HttpClient | WechatConfig> = Effect.matchCauseEffect(execute(request, withText), {
      onSuccess: ({ text, value }): Effect.Effect<Outcome<A>> =>
        keep(binding === undefined ? { s: 1 } : { b: mine, t: text }, config.duplicateWindow, { _tag: "Redeemed", binding: mine, value }),
      onFailure: (cause): Effect.Effect<Outcome<A>> => {
        const failed = Compat.failureOption(cause)
        // a defect or an interruption is not an outcome: it propagates as is
        if (Option.isNone(failed)) return Effect.failCause(cause as Cause.Cause<never>)
        const outcome = { _tag: "Failed", error: failed.value } as const
        return cacheable(failed.value) ? keep({ e: encodeError(failed.value) }, failureTtl, outcome) : Effect.succeed(outcome)
      }
    })

    // In process, the single flight already serialises duplicates: a process-local store
    // needs one read and, when nothing is kept, the redemption. A shared store adds its
    // lock (and a second read under it) for the other processes; None = another process
    // holds the lock.
    const work: Effect.Effect<Outcome<A>, never, HttpClient.HttpClient | WechatConfig> = store.shared
      ? shared(store, k, config, read, redeem)
      : Effect.flatMap(read, (found) => (Option.isSome(found) ? Effect.succeed(found.value) : redeem))

    return Effect.flatMap(Lock.singleFlight(flightsOf(store), k, work), (outcome): Effect.Effect<A, WechatError> => {
      if (outcome._tag === "Failed") return Effect.fail(outcome.error)
      if (outcome._tag === "Redeemed" && sameBinding(outcome.binding, mine)) return Effect.succeed(outcome.value)
      return Effect.fail(
        new CodeAlreadyUsed({
          errcode: 40163,
          errmsg: "code been used (already redeemed here for another session; not sent to WeChat)",
          endpoint,
          action: "reauthorize"
        })
      )
    })
  }

  const shared = (
    store: TokenStore.Service,
    k: string,
    config: WechatConfigService,
    read: Effect.Effect<Option.Option<Outcome<A>>>,
    redeem: Effect.Effect<Outcome<A>, never, HttpClient.HttpClient | WechatConfig>
  ): Effect.Effect<Outcome<A>, never, HttpClient.HttpClient | WechatConfig> => {
    // long enough for one request to every host; renewed while the exchange runs
    const lockTtl = Duration.sum(Duration.times(config.timeout, 1 + config.fallbackApiBaseUrls.length), Duration.seconds(2))
    const attempt: Effect.Effect<Option.Option<Outcome<A>>, TokenStore.TokenStoreError, HttpClient.HttpClient | WechatConfig> = Effect.flatMap(read, (found) => {
      if (Option.isSome(found)) return Effect.succeed(found)
      return Lock.holding(store, `${k}:lock`, lockTtl, Effect.flatMap(read, (again) => (Option.isSome(again) ? Effect.succeed(again.value) : redeem))).pipe(
        Compat.catchAll((e) => Effect.andThen(warn("the token store's lock could not be taken", e), Effect.map(redeem, Option.some)))
      )
    })
    return Lock.untilDone(attempt, { every: "25 millis", patience: Duration.times(lockTtl, 3), what: "a code exchange" }).pipe(
      Compat.catchAll((e) => Effect.andThen(warn("another process held the exchange lock too long", e), redeem))
    )
  }

  const requestFor = (config: WechatConfigService, code: string): Request => ({
    endpoint,
    method: "GET",
    query: { appid: config.appId, secret: config.appSecret, [param]: Redacted.make(code), grant_type: "authorization_code" }
  })

  return (code: string, binding: Secret | undefined): Effect.Effect<A, WechatError, WechatConfig | HttpClient.HttpClient> => {
    // checked in place: no Effect step for a good input on every login's path
    const problem = Validate.codeProblem(argument, code) ??
      (binding === undefined ? undefined : Validate.bindingProblem("binding", binding))
    if (problem !== undefined) return Effect.fail(problem)
    // one step reads the config, the store and the clock
    return Compat.withFiber((fiber) => {
      const context = Compat.fiberContext(fiber) as Context.Context<WechatConfig>
      const config = Context.get(context, WechatConfig)
      const store = Context.get(context as Context.Context<never>, TokenStore.TokenStore)
      const feature = endpoint === "sns/jscode2session" ? "MiniProgram.code2Session" : "Sns.exchangeCode"
      const warning = Deployment.localWarning(feature, store, TokenStore.isProcessDefault(store))
      const run = redeemFor(config, store, Compat.fiberClock(fiber), code, binding, requestFor(config, code))
      return warning === undefined ? run : Effect.andThen(warning, run)
    })
  }
}
