/**
 * The app's basic access token, cached with its expiry, refreshed ahead of expiry, one
 * fetch at a time per process and (with a shared `TokenStore`) one between processes.
 *
 * Two sources:
 * - `stable` (default): `cgi-bin/stable_token` normal mode. Every caller gets the same
 *   token, so processes cannot rotate each other out.
 * - `classic`: `cgi-bin/token`. Each fetch rotates the token (the old one dies 5 minutes
 *   later) and 2000 fetches a day are allowed, so it needs a shared store (Redis) between
 *   processes; it refuses to start on a process-local store unless `singleProcess: true`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AccessTokenProvider, JsSdk } from "effect-wechat"
 *
 * // refreshes once and retries once if WeChat says the token is invalid
 * const ticket = AccessTokenProvider.use((accessToken) => JsSdk.getTicket({ accessToken }))
 * ```
 *
 * @since 0.1.0
 */
import * as Compat from "#compat"
import type { HttpClient } from "#compat"
import { Context, Effect, Layer, Redacted, type Scope } from "effect"
import * as BasicToken from "./BasicToken.js"
import * as Credential from "./internal/credential.js"
import * as Deployment from "./internal/deployment.js"
import * as Validate from "./internal/validate.js"
import { keysOf } from "./internal/keys.js"
import * as TokenStore from "./TokenStore.js"
import { WechatConfig } from "./WechatConfig.js"
import { type AccessTokenInvalid, InvalidArgument, type WechatError } from "./WechatError.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** `stable` (default) or `classic`. */
  readonly source?: "stable" | "classic" | undefined
  /** Refresh this long before expiry; default 5 minutes (at most half the token's life). */
  readonly refreshMargin?: Compat.DurationInput | undefined
  /** With `classic` on a process-local store: promise that no other process fetches tokens. */
  readonly singleProcess?: boolean | undefined
  /** Lifetime of the refresh lock, renewed while its holder fetches; default 10 seconds. */
  readonly lockTtl?: Compat.DurationInput | undefined
  /**
   * How long to wait for another process's refresh before failing with `TokenStoreError`;
   * default 90 seconds (a fetch retried through a minute-quota wait can take over 60 s).
   */
  readonly lockWait?: Compat.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Whether a store outage falls back to this process's cache (the `stable` source) rather
   * than failing with `TokenStoreError` (`classic`, which would rotate other processes' tokens).
   */
  readonly degradable: boolean
  /** The current token (fetching one if needed). */
  readonly get: Effect.Effect<Redacted.Redacted<string>, WechatError | TokenStore.TokenStoreError>
  /** Forgets `token` (here and in the store) unless another caller already replaced it. */
  readonly invalidate: (token: Redacted.Redacted<string>) => Effect.Effect<void, TokenStore.TokenStoreError>
  /**
   * Runs `f` with the token; if `f` fails with `AccessTokenInvalid`, invalidates that token,
   * gets a new one and runs `f` once more. A second failure reaches the caller.
   */
  readonly use: <A, E, R>(
    f: (token: Redacted.Redacted<string>) => Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | WechatError | TokenStore.TokenStoreError, R>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class AccessTokenProvider extends Compat.Tag<AccessTokenProvider, Service>()("effect-wechat/AccessTokenProvider") {}

const isAccessTokenInvalid = (e: unknown): e is AccessTokenInvalid =>
  typeof e === "object" && e !== null && "_tag" in e && e._tag === "AccessTokenInvalid"

/**
 * Builds a provider for the configured app, with the `TokenStore` in context (in memory
 * unless a store layer is provided).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Service, InvalidArgument, HttpClient.HttpClient | WechatConfig | Scope.Scope> =>
  Effect.gen(function*() {
    const config = yield* WechatConfig
    const store = yield* TokenStore.TokenStore
    yield* Deployment.warnIfLocal("AccessTokenProvider", store, TokenStore.isProcessDefault(store))
    if (typeof options !== "object" || options === null) return yield* Validate.invalid("options", "must be an object", "fix-config")
    const source = yield* Validate.oneOf("source", options.source ?? "stable", ["stable", "classic"], "fix-config")
    const singleProcess = yield* Validate.optionalBoolean("singleProcess", options.singleProcess, "fix-config")
    const refreshMargin = yield* Validate.duration("refreshMargin", options.refreshMargin ?? "5 minutes", { min: 0, max: "1 hour" })
    const lockTtl = yield* Validate.duration("lockTtl", options.lockTtl ?? "10 seconds", { min: "100 millis", max: "10 minutes" })
    const lockWait = yield* Validate.duration("lockWait", options.lockWait ?? "90 seconds", { min: 0, max: "1 hour" })
    if (source === "classic" && !store.shared && singleProcess !== true) {
      return yield* new InvalidArgument({
        argument: "source",
        reason: "classic (cgi-bin/token) rotates the token on every fetch: use a shared TokenStore (Redis) " +
          "so processes fetch once between them, or pass singleProcess: true if this is the only process",
        action: "fix-config"
      })
    }
    const context = yield* Effect.context<HttpClient.HttpClient | WechatConfig>()
    const fetch = (source === "classic" ? BasicToken.fetch() : BasicToken.fetchStable()).pipe(Effect.provide(context))
    const credential = yield* Credential.make({
      store,
      keys: keysOf(config),
      key: TokenStore.key(config.appId, "access_token", source),
      schema: BasicToken.BasicAccessToken,
      secretOf: (t) => Redacted.value(t.accessToken),
      expiresInOf: (t) => t.expiresIn,
      fetch,
      refreshMargin,
      lockTtl,
      lockWait,
      // stable_token's normal mode gives every caller the same token: fetching without the
      // store is harmless; classic rotates other processes' tokens, so it needs the store
      degradable: source === "stable"
    })
    const get = credential.getWith((t) => t.accessToken)
    const invalidate = (token: Redacted.Redacted<string>) =>
      credential.invalidate(new BasicToken.BasicAccessToken({ accessToken: token, expiresIn: 0 }))
    const use = <A, E, R>(f: (token: Redacted.Redacted<string>) => Effect.Effect<A, E, R>) =>
      Effect.flatMap(get, (token) =>
        f(token).pipe(
          Effect.catchIf(isAccessTokenInvalid, () =>
            invalidate(token).pipe(
              Effect.andThen(get),
              Effect.flatMap((fresh) => f(fresh))
            ))
        ))
    return { get, invalidate, use, degradable: source === "stable" } satisfies Service
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<AccessTokenProvider, InvalidArgument, HttpClient.HttpClient | WechatConfig> =>
  Compat.layerScoped(AccessTokenProvider, make(options))

/**
 * The current token from the provider in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const get: Effect.Effect<Redacted.Redacted<string>, WechatError | TokenStore.TokenStoreError, AccessTokenProvider> =
  Compat.withFiber((fiber) => Context.get(Compat.fiberContext(fiber) as Context.Context<AccessTokenProvider>, AccessTokenProvider).get)

/**
 * Runs `f` with the token, refreshing once and retrying once on `AccessTokenInvalid`.
 *
 * @since 0.1.0
 * @category accessors
 */
export const use = <A, E, R>(
  f: (token: Redacted.Redacted<string>) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | WechatError | TokenStore.TokenStoreError, R | AccessTokenProvider> =>
  Effect.flatMap(AccessTokenProvider, (p) => p.use(f))

/**
 * Forgets a token that WeChat refused.
 *
 * @since 0.1.0
 * @category accessors
 */
export const invalidate = (token: Redacted.Redacted<string>): Effect.Effect<void, TokenStore.TokenStoreError, AccessTokenProvider> =>
  Effect.flatMap(AccessTokenProvider, (p) => p.invalidate(token))
