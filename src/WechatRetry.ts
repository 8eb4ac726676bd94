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
 * and a code exchange (`sns/oauth2/access_token`, `sns/jscode2session`) that may have
 * reached WeChat: a code is single-use, so only a request that was never sent is repeated.
 *
 * Endpoints retry with the policy in the `WechatRetry` reference: none by default, so
 * nothing sleeps behind your back. Opt in with `WechatRetry.layer(WechatRetry.policy)`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
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
import { Clock, Context, Duration, Effect, Layer, Random, Schedule } from "effect"
import { CODE_EXCHANGES } from "./internal/endpoints.js"
import type { WechatError } from "./WechatError.js"

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
  readonly base?: Duration.DurationInput | undefined
  /** Retries of transient failures; default 4. */
  readonly maxRetries?: number | undefined
  /** No transient retry starts after this long from the first failure; default 10 s. */
  readonly maxElapsed?: Duration.DurationInput | undefined
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

/**
 * Backoff for transient failures only.
 *
 * @since 0.1.0
 * @category schedules
 */
export const makeTransient = (options: Options = {}): Schedule.Schedule<unknown, WechatError> =>
  Schedule.exponential(options.base ?? "200 millis", 2).pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(options.maxRetries ?? 4)),
    Schedule.upTo(options.maxElapsed ?? "10 seconds"),
    Schedule.whileInput(isTransient)
  )

/**
 * Waits for the next minute after a minute-quota error.
 *
 * @since 0.1.0
 * @category schedules
 */
export const makeNextMinute = (retries = 1): Schedule.Schedule<unknown, WechatError> =>
  Schedule.recurs(retries).pipe(
    Schedule.modifyDelayEffect(() => untilNextMinute),
    Schedule.whileInput(isMinuteRateLimit)
  )

/**
 * Transient backoff and the minute-quota wait, each for its own errors.
 *
 * @since 0.1.0
 * @category schedules
 */
export const make = (options: Options = {}): Schedule.Schedule<unknown, WechatError> =>
  Schedule.union(makeTransient(options), makeNextMinute(options.minuteRetries ?? 1))

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
export const none: Schedule.Schedule<unknown, WechatError> = Schedule.stop

/**
 * The policy every endpoint retries with; {@link none} unless provided.
 *
 * @since 0.1.0
 * @category tags
 */
export class WechatRetry extends Context.Reference<WechatRetry>()("effect-wechat/WechatRetry", {
  defaultValue: (): Schedule.Schedule<unknown, WechatError> => none
}) {}

/**
 * Makes every endpoint retry with `schedule`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (schedule: Schedule.Schedule<unknown, WechatError>): Layer.Layer<WechatRetry> =>
  Layer.succeed(WechatRetry, schedule)
