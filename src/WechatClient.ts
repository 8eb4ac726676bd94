/**
 * Everything the library needs, wired in one `Layer`: the app's config, the HTTP client,
 * the `TokenStore`, the basic-token provider, the JS-SDK ticket cache and the retry
 * policy. The store you pick serves every feature: code exchanges, tokens and tickets.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AccessTokenProvider, JsSdk, Sns, WechatClient } from "effect-wechat"
 *
 * // from WECHAT_APP_ID / WECHAT_APP_SECRET; the memory store; stable tokens; retries on
 * const WechatLive = WechatClient.layerConfig()
 *
 * const program = Effect.gen(function*() {
 *   const page = yield* JsSdk.signPage("https://example.com/page")
 *   const token = yield* AccessTokenProvider.get
 *   return { page, token }
 * }).pipe(Effect.provide(WechatLive))
 * ```
 *
 * With Redis (from `effect-wechat/redis`), one store for everything:
 *
 * ```ts
 * import { WechatClient } from "effect-wechat"
 * import { RedisTokenStore } from "effect-wechat/redis"
 *
 * const WechatLive = WechatClient.layerConfig({
 *   store: RedisTokenStore.layer({ url: "redis://127.0.0.1:6379" }),
 *   processes: "many"
 * })
 * ```
 *
 * @since 0.2.0
 */
import * as Compat from "#compat"
import { type ConfigError, FetchHttpClient, type HttpClient } from "#compat"
import { Effect, Layer } from "effect"
import * as AccessTokenProvider from "./AccessTokenProvider.js"
import * as JsSdk from "./JsSdk.js"
import * as TokenStore from "./TokenStore.js"
import * as WechatConfig from "./WechatConfig.js"
import { InvalidArgument } from "./WechatError.js"
import * as WechatHttp from "./WechatHttp.js"
import * as WechatRetry from "./WechatRetry.js"

/**
 * What {@link layer} provides.
 *
 * @since 0.2.0
 * @category models
 */
export type Services =
  | WechatConfig.WechatConfig
  | HttpClient.HttpClient
  | Compat.RefId<TokenStore.TokenStore>
  | AccessTokenProvider.AccessTokenProvider
  | JsSdk.TicketProvider
  | Compat.RefId<WechatRetry.WechatRetry>

/**
 * @since 0.2.0
 * @category models
 */
export interface Options<E = never, R = never> {
  /** Where tokens, tickets and exchange results live; default a fresh in-memory store. */
  readonly store?: Layer.Layer<Compat.RefId<TokenStore.TokenStore>, E, R> | undefined
  /** The basic-token provider's options (`stable` source by default). */
  readonly tokens?: AccessTokenProvider.Options | undefined
  /** The JS-SDK ticket cache's options. */
  readonly tickets?: JsSdk.TicketProviderOptions | undefined
  /** Retry options (`WechatRetry.make`), or `false` for no retries; default the standard policy. */
  readonly retry?: WechatRetry.Options | false | undefined
  /** The HTTP client; default `FetchHttpClient.layer`. */
  readonly httpClient?: Layer.Layer<HttpClient.HttpClient> | undefined
  /**
   * `many` when this process is one of several (a cluster, replicas): a feature that would
   * run on a process-local store then logs a Warning naming the fix.
   */
  readonly processes?: "one" | "many" | undefined
}

const wire = <E1, E, R>(
  config: Layer.Layer<WechatConfig.WechatConfig, E1>,
  options: Options<E, R>
): Layer.Layer<Services, E1 | InvalidArgument | E, R> => {
  // from plain JavaScript or a config file: a typed failure, never a throw while wiring
  const refuse = (argument: string, reason: string) =>
    Compat.unwrapScoped(Effect.fail(new InvalidArgument({ argument, reason, action: "fix-config" }))) as Layer.Layer<Services, InvalidArgument>
  if (typeof options !== "object" || options === null) return refuse("options", "must be an object")
  if (options.processes !== undefined && options.processes !== "one" && options.processes !== "many") {
    return refuse("processes", "must be \"one\" or \"many\"")
  }
  const store = options.store ?? TokenStore.layerMemory
  const retry = options.retry === false
    ? WechatRetry.layer(WechatRetry.none)
    : WechatRetry.layerWith(options.retry ?? {})
  // fetch's no-redirect option once for the program, not once per request
  const base = Layer.mergeAll(config, options.httpClient ?? FetchHttpClient.layer, WechatHttp.layerNoRedirects, store, retry)
  const declared = options.processes === "many" ? TokenStore.layerManyProcesses : Layer.empty
  return JsSdk.layerTicketProvider(options.tickets ?? {}).pipe(
    Layer.provideMerge(AccessTokenProvider.layer(options.tokens ?? {})),
    Layer.provideMerge(base),
    Layer.provideMerge(declared)
  )
}

/**
 * Every service the library uses, from literal app options: one store for every feature.
 * Fails with `InvalidArgument` for a bad option, of the app or of any part.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = <E = never, R = never>(
  app: WechatConfig.Options,
  options: Options<E, R> = {}
): Layer.Layer<Services, InvalidArgument | E, R> => wire(WechatConfig.layer(app), options)

/**
 * {@link layer} with the app read from the environment (`WechatConfig.layerConfig`:
 * `WECHAT_APP_ID`, `WECHAT_APP_SECRET`, …).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = <E = never, R = never>(
  options: Options<E, R> = {}
): Layer.Layer<Services, InvalidArgument | ConfigError | E, R> => wire(WechatConfig.layerConfig, options)
