/**
 * Retry policies for WeChat: ready `Schedule`s and the predicates behind them. They are
 * plain schedules over `WechatError`, so they compose with your own (`Schedule.union`,
 * `Schedule.intersect`, …).
 *
 * What is retried:
 * - `SystemBusy` (-1) and `WechatTransportError` with action `retry` (network, timeout,
 *   5xx): exponential backoff with jitter, bounded in attempts and total time;
 * - `RateLimited` with `window: "minute"` (45011): once, after the next minute starts.
 *
 * Never retried: the daily quota (45009), configuration, authorization and code errors,
 * and a single-use code's redemption (`sns/oauth2/access_token`, `sns/jscode2session`,
 * `wxa/business/getuserphonenumber`) that may have reached WeChat: only a request that
 * was never sent is repeated. That holds under any schedule in `WechatRetry`, your own
 * compositions included: the endpoints guard it themselves.
 *
 * Endpoints retry with the policy in the `WechatRetry` reference: none by default, so
 * nothing sleeps behind your back. Opt in with `WechatRetry.layer(WechatRetry.policy)`.
 *
 * @example
 * ```ts
 * // free: accessToken: Redacted.Redacted<string>; openid: string
 * import { Effect, type Redacted } from "effect"
 * import { Sns, WechatRetry } from "effect-wechat"
 *
 * // every endpoint in this program retries transient failures
 * const program = Sns.userInfo({ accessToken, openid }).pipe(Effect.provide(WechatRetry.layer(WechatRetry.policy)))
 * // or one effect, with a policy of your own
 * const once = Effect.retry(Sns.userInfo({ accessToken, openid }), WechatRetry.make({ maxRetries: 2 }))
 * ```
 *
 * @since 0.1.0
 */
import * as Compat from "#compat"
import { Clock, Duration, Effect, Layer, Random, Schedule } from "effect"
import { CODE_EXCHANGES } from "./internal/endpoints.js"
import * as Validate from "./internal/validate.js"
import type { InvalidArgument, WechatError } from "./WechatError.js"

const NOT_IDEMPOTENT = CODE_EXCHANGES

/**
 * Whether WeChat may have seen the request (so a single-use code may be spent).
 *
 * @since 0.1.0
 * @category predicates
 */
export const mayHaveReachedWechat = (error: WechatError): boolean =>
  error._tag !== "InvalidArgument" && !(error._tag === "WechatTransportError" && !error.sent)

/**
 * `SystemBusy`, or a transport failure worth repeating; never a code exchange that may
 * have reached WeChat.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isTransient = (error: WechatError): boolean => {
  if (error._tag !== "SystemBusy" && !(error._tag === "WechatTransportError" && error.action === "retry")) return false
  return !(NOT_IDEMPOTENT.has(error.endpoint) && mayHaveReachedWechat(error))
}

/**
 * A minute-quota error (45011), which clears when the next minute starts.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isMinuteRateLimit = (error: WechatError): boolean =>
  error._tag === "RateLimited" && error.window === "minute" && !NOT_IDEMPOTENT.has(error.endpoint)

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** First backoff delay; default 200 ms, doubling each time, ±20% jitter. */
  readonly base?: Compat.DurationInput | undefined
  /** Retries of transient failures; default 4. */
  readonly maxRetries?: number | undefined
  /** No transient retry starts after this long from the first failure; default 10 s. */
  readonly maxElapsed?: Compat.DurationInput | undefined
  /** Retries after a minute-quota error; default 1 (0 turns it off). */
  readonly minuteRetries?: number | undefined
}

/**
 * The delay until the next minute starts, plus up to 500 ms of jitter so that many
 * callers do not all retry on the boundary.
 *
 * @since 0.1.0
 * @category schedules
 */
export const untilNextMinute: Effect.Effect<Duration.Duration> = Effect.gen(function*() {
  const now = yield* Clock.currentTimeMillis
  const jitter = yield* Random.nextIntBetween(0, 500)
  return Duration.millis(60_000 - (now % 60_000) + jitter)
})

interface Checked {
  readonly base: Duration.Duration
  readonly maxRetries: number
  readonly maxElapsed: Duration.Duration
  readonly minuteRetries: number
}

/**
 * Checks retry options: `InvalidArgument` naming the option for a bad one.
 *
 * @since 0.2.0
 * @category validation
 */
export const validate = (options: Options = {}): Effect.Effect<Checked, InvalidArgument> =>
  Effect.gen(function*() {
    if (typeof options !== "object" || options === null) return yield* Validate.invalid("options", "must be an object", "fix-config")
    return {
      base: yield* Validate.duration("base", options.base ?? "200 millis", { min: "1 millis", max: "1 minute" }),
      maxRetries: yield* Validate.integer("maxRetries", options.maxRetries ?? 4, 0, 100),
      maxElapsed: yield* Validate.duration("maxElapsed", options.maxElapsed ?? "10 seconds", { min: 0, max: "1 hour" }),
      minuteRetries: yield* Validate.integer("minuteRetries", options.minuteRetries ?? 1, 0, 10)
    }
  })

/** The options, or the `InvalidArgument` thrown (for the schedule constructors, which cannot fail). */
const checkedOrThrow = (options: Options): Checked =>
  Compat.Result.getOrThrowWith(Effect.runSync(Compat.result(validate(options))), (e) => e)

const transientOf = (c: Checked): Schedule.Schedule<unknown, WechatError> =>
  Compat.whileInput(
    Compat.upTo(Compat.both(Schedule.jittered(Schedule.exponential(c.base, 2)), Schedule.recurs(c.maxRetries)), c.maxElapsed),
    isTransient
  )

const nextMinuteOf = (retries: number): Schedule.Schedule<unknown, WechatError> =>
  Compat.whileInput(Compat.delayWith(Schedule.recurs(retries), untilNextMinute), isMinuteRateLimit)

const policyOf = (c: Checked): Schedule.Schedule<unknown, WechatError> => Compat.either(transientOf(c), nextMinuteOf(c.minuteRetries))

/**
 * Backoff for transient failures only. Throws `InvalidArgument` for a bad option (use
 * {@link layerWith} to get it as a typed failure instead).
 *
 * @since 0.1.0
 * @category schedules
 */
export const makeTransient = (options: Options = {}): Schedule.Schedule<unknown, WechatError> => transientOf(checkedOrThrow(options))

/**
 * Waits for the next minute after a minute-quota error. Throws `InvalidArgument` unless
 * `retries` is a whole number from 0 to 10.
 *
 * @since 0.1.0
 * @category schedules
 */
export const makeNextMinute = (retries = 1): Schedule.Schedule<unknown, WechatError> =>
  nextMinuteOf(checkedOrThrow({ minuteRetries: retries }).minuteRetries)

/**
 * Transient backoff and the minute-quota wait, each for its own errors. Throws
 * `InvalidArgument` for a bad option (use {@link layerWith} to get it as a typed failure).
 *
 * @since 0.1.0
 * @category schedules
 */
export const make = (options: Options = {}): Schedule.Schedule<unknown, WechatError> => policyOf(checkedOrThrow(options))

/**
 * `makeTransient()` with the defaults: 200 ms doubling, ±20% jitter, 4 retries, 10 s.
 *
 * @since 0.1.0
 * @category schedules
 */
export const transient: Schedule.Schedule<unknown, WechatError> = makeTransient()

/**
 * `make()` with the defaults: {@link transient} plus one retry after a minute-quota error.
 *
 * @since 0.1.0
 * @category schedules
 */
export const policy: Schedule.Schedule<unknown, WechatError> = make()

/**
 * No retries (the default).
 *
 * @since 0.1.0
 * @category schedules
 */
export const none: Schedule.Schedule<unknown, WechatError> = Compat.stop

/**
 * The policy every endpoint retries with; {@link none} unless provided.
 *
 * @since 0.1.0
 * @category tags
 */
export class WechatRetry extends Compat.Reference<WechatRetry, Schedule.Schedule<unknown, WechatError>>()("effect-wechat/WechatRetry", {
  defaultValue: (): Schedule.Schedule<unknown, WechatError> => none
}) {}

/**
 * Makes every endpoint retry with `schedule`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (schedule: Schedule.Schedule<unknown, WechatError>): Layer.Layer<Compat.RefId<WechatRetry>> =>
  Layer.succeed(WechatRetry, schedule)

/**
 * Makes every endpoint retry with {@link make}`(options)`, the options checked when the
 * layer is built (a bad one fails the layer with `InvalidArgument`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerWith = (options: Options): Layer.Layer<Compat.RefId<WechatRetry>, InvalidArgument> =>
  Layer.effect(WechatRetry, Effect.map(validate(options), policyOf))
