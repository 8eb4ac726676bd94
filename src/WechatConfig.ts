/**
 * The app's identity and where WeChat lives: a service every endpoint reads.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { WechatConfig } from "effect-wechat"
 *
 * const WechatLive = WechatConfig.layer({
 *   appId: "wx520c15f417810387",
 *   appSecret: Redacted.make(process.env.WECHAT_APP_SECRET ?? "")
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Compat from "#compat"
import { Config, Duration, Effect, Layer, Option, Redacted } from "effect"
import type { ConfigError } from "#compat"
import * as Validate from "./internal/validate.js"
import { InvalidArgument } from "./WechatError.js"
import { isLoopbackHost } from "./internal/loopback.js"

/**
 * A secret given either as a `Redacted` (what this library returns) or a plain string.
 *
 * @since 0.1.0
 * @category models
 */
export type Secret = string | Redacted.Redacted<string>

/**
 * Wraps a secret input in `Redacted` (a `Redacted` is kept as is).
 *
 * @since 0.1.0
 * @category constructors
 */
export const redact = (secret: Secret): Redacted.Redacted<string> =>
  Redacted.isRedacted(secret) ? secret : Redacted.make(secret)

/**
 * The resolved configuration.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly appId: string
  readonly appSecret: Redacted.Redacted<string>
  /** Base URL of the API host, without a trailing slash. */
  readonly apiBaseUrl: string
  /**
   * Hosts tried in order when the previous one cannot be reached (never on an errcode).
   * A request that timed out or lost its connection after sending is never sent again;
   * two such failures in a row make the next request probe the next host, and requests
   * go there once it answered (docs/robustness.md, "When a host stops answering").
   */
  readonly fallbackApiBaseUrls: ReadonlyArray<string>
  /** Base URL of the consent-page host. */
  readonly openBaseUrl: string
  /**
   * Per-request timeout: it aborts the request through the `HttpClient`'s `AbortSignal`,
   * which every Effect client honours (see docs/robustness.md for clients of your own).
   */
  readonly timeout: Duration.Duration
  /** Default `lang` for `sns/userinfo`. */
  readonly lang: Lang
  /**
   * Keys that sign and verify `Sns.makeState` states: the first signs, every one verifies,
   * so keys rotate without breaking logins under way. Default: one key derived from the
   * app secret.
   */
  readonly stateKeys: ReadonlyArray<Redacted.Redacted<string>>
  /** The secret that seals what the library stores (tokens, tickets, exchange results). */
  readonly storeKey: Redacted.Redacted<string>
  /**
   * Store keys used before `storeKey`: mini-program sessions kept under them are still
   * found (and moved to `storeKey` by the user's next login), so the key rotates without
   * logging users out. Nothing new is sealed with them; tokens, tickets and exchange
   * results are fetched again. Absent: none.
   */
  readonly previousStoreKeys?: ReadonlyArray<Redacted.Redacted<string>> | undefined
  /**
   * How long a code exchange's result is handed again to a duplicate callback with the
   * same binding (WeChat sometimes calls back twice within seconds).
   */
  readonly duplicateWindow: Duration.Duration
  /** Answers larger than this (after decompression) fail with `too-large`, unread. */
  readonly maxResponseBytes: number
}

/**
 * Languages `sns/userinfo` accepts.
 *
 * @since 0.1.0
 * @category models
 */
export type Lang = "zh_CN" | "zh_TW" | "en"

/**
 * What {@link make} and {@link layer} take; only `appId` and `appSecret` are required.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly appId: string
  readonly appSecret: Secret
  readonly apiBaseUrl?: string | undefined
  readonly fallbackApiBaseUrls?: ReadonlyArray<string> | undefined
  readonly openBaseUrl?: string | undefined
  readonly timeout?: Compat.DurationInput | undefined
  readonly lang?: Lang | undefined
  /** State-signing keys (each at least 32 characters); default: derived from the app secret. */
  readonly stateKeys?: ReadonlyArray<Secret> | undefined
  /** Store-sealing secret (at least 32 characters); default: the app secret. */
  readonly storeKey?: Secret | undefined
  /**
   * Store keys (or the app secret) that sealed before `storeKey`, listed while the sessions
   * they sealed live (`keepFor`, 3 days by default); at most 4, none repeated. Not after a
   * leak of the old key together with the store (docs/security.md, "Keys").
   */
  readonly previousStoreKeys?: ReadonlyArray<Secret> | undefined
  /** Default 60 seconds; at most 5 minutes (a code's life). */
  readonly duplicateWindow?: Compat.DurationInput | undefined
  /** Default 1 MiB; WeChat's answers are a few hundred bytes. */
  readonly maxResponseBytes?: number | undefined
}

/**
 * The configuration service.
 *
 * @since 0.1.0
 * @category tags
 */
export class WechatConfig extends Compat.Tag<WechatConfig, Service>()("effect-wechat/WechatConfig") {}

/**
 * @since 0.1.0
 * @category defaults
 */
export const defaults = {
  apiBaseUrl: "https://api.weixin.qq.com",
  fallbackApiBaseUrls: ["https://api2.weixin.qq.com"] as ReadonlyArray<string>,
  openBaseUrl: "https://open.weixin.qq.com",
  timeout: Duration.seconds(5),
  lang: "zh_CN" as Lang,
  duplicateWindow: Duration.seconds(60),
  maxResponseBytes: 1024 * 1024
}

const MIN_KEY_LENGTH = 32

/** One of WeChat's API hosts (`api`, `api2`, `sh.api`, `sz.api`, `hk.api` …), over https. */
const WECHAT_API_HOST = /^https:\/\/(?:[a-z0-9-]+\.)*api2?\.weixin\.qq\.com$/i

/** `wx` and 16 hex digits: every app id WeChat issues (official accounts, mini programs, website apps). */
const APP_ID = /^wx[0-9a-f]{16}$/

const LANGS: ReadonlyArray<Lang> = ["zh_CN", "zh_TW", "en"]

const fixConfig = (argument: string, reason: string) => Effect.fail(new InvalidArgument({ argument, reason, action: "fix-config" }))

/**
 * Checks a base URL: absolute, `https:` (or `http:` to a loopback host, for test
 * servers), no query or fragment. Returns it without a trailing slash.
 *
 * @since 0.1.0
 * @category validation
 */
export const validateBaseUrl = (argument: string, value: unknown): Effect.Effect<string, InvalidArgument> => {
  const fail = (reason: string) => fixConfig(argument, reason)
  if (typeof value !== "string" || value.length > 512 || /[\u0000-\u0020\u007f]/.test(value)) {
    return fail("must be an absolute URL of at most 512 characters, without spaces or control characters")
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return fail(`${JSON.stringify(value)} is not an absolute URL`)
  }
  if (url.username !== "" || url.password !== "") return fail("must not carry a user name or password")
  if (url.protocol !== "https:" && url.protocol !== "http:") return fail(`${url.protocol} is not http(s)`)
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    return fail(`plain http:// is only allowed to a loopback host, not ${url.hostname}; WeChat requires https`)
  }
  if (url.search !== "" || url.hash !== "" || value.includes("?") || value.includes("#")) return fail("a base URL takes no query or fragment")
  return Effect.succeed(value.replace(/\/+$/, ""))
}

/**
 * Validates options into the service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Service, InvalidArgument> =>
  Effect.gen(function*() {
    if (typeof options !== "object" || options === null) return yield* fixConfig("options", "must be an object")
    if (typeof options.appId !== "string" || !APP_ID.test(options.appId)) {
      return yield* fixConfig("appId", "must be an app id as WeChat issues them: wx followed by 16 hex digits")
    }
    const appSecret = yield* Validate.secret("appSecret", options.appSecret, { max: 128 })
    const apiBaseUrl = yield* validateBaseUrl("apiBaseUrl", options.apiBaseUrl ?? defaults.apiBaseUrl)
    // WeChat's own hosts (a regional access point, say) keep the disaster-recovery host; any
    // other host (a test server, a proxy) gets no fallback unless it names one
    const fallbacks = options.fallbackApiBaseUrls ??
      (options.apiBaseUrl === undefined || WECHAT_API_HOST.test(apiBaseUrl) ? defaults.fallbackApiBaseUrls.filter((url) => url !== apiBaseUrl) : [])
    if (!Array.isArray(fallbacks) || fallbacks.length > 8) return yield* fixConfig("fallbackApiBaseUrls", "must be a list of at most 8 base URLs")
    const fallbackApiBaseUrls = yield* Effect.forEach(fallbacks, (url) => validateBaseUrl("fallbackApiBaseUrls", url))
    const openBaseUrl = yield* validateBaseUrl("openBaseUrl", options.openBaseUrl ?? defaults.openBaseUrl)
    const timeout = yield* Validate.duration("timeout", options.timeout ?? defaults.timeout, { min: "1 millis", max: "5 minutes" })
    const lang = yield* Validate.oneOf("lang", options.lang ?? defaults.lang, LANGS, "fix-config")
    if (options.stateKeys !== undefined && (!Array.isArray(options.stateKeys) || options.stateKeys.length === 0)) {
      return yield* fixConfig("stateKeys", "must hold at least one key (or be left out)")
    }
    const stateKeys = options.stateKeys === undefined
      ? [appSecret]
      : yield* Effect.forEach(options.stateKeys, (k) => Validate.secret("stateKeys", k, { min: MIN_KEY_LENGTH, max: 1024 }))
    const storeKey = options.storeKey === undefined ? appSecret : yield* Validate.secret("storeKey", options.storeKey, { min: MIN_KEY_LENGTH, max: 1024 })
    if (options.previousStoreKeys !== undefined && (!Array.isArray(options.previousStoreKeys) || options.previousStoreKeys.length > 4)) {
      return yield* fixConfig("previousStoreKeys", "must be a list of at most 4 keys")
    }
    // the app secret was the store key by default, so it may be listed whatever its length
    const previousStoreKeys = yield* Effect.forEach(options.previousStoreKeys ?? [], (k, i) =>
      Validate.reveal(k) === Redacted.value(appSecret)
        ? Effect.succeed(appSecret)
        : Validate.secret(`previousStoreKeys[${i}]`, k, { min: MIN_KEY_LENGTH, max: 1024 }))
    const listed = previousStoreKeys.map(Redacted.value)
    if (listed.includes(Redacted.value(storeKey)) || new Set(listed).size !== listed.length) {
      return yield* fixConfig("previousStoreKeys", "must not repeat a key, nor hold the storeKey itself")
    }
    const duplicateWindow = yield* Validate.duration("duplicateWindow", options.duplicateWindow ?? defaults.duplicateWindow, {
      min: "1 second",
      max: "5 minutes"
    })
    const maxResponseBytes = yield* Validate.integer("maxResponseBytes", options.maxResponseBytes ?? defaults.maxResponseBytes, 1, 1024 * 1024 * 1024)
    return {
      appId: options.appId,
      appSecret,
      apiBaseUrl,
      fallbackApiBaseUrls,
      openBaseUrl,
      timeout,
      lang,
      stateKeys,
      storeKey,
      previousStoreKeys,
      duplicateWindow,
      maxResponseBytes
    }
  })

/** A comma-separated list of secrets from the environment, each kept `Redacted`. */
const splitKeys = (keys: Redacted.Redacted<string>): ReadonlyArray<Redacted.Redacted<string>> =>
  Redacted.value(keys).split(",").map((k) => k.trim()).filter((k) => k !== "").map((k) => Redacted.make(k))

/**
 * A layer from literal options. Fails with `InvalidArgument` on a bad base URL.
 *
 * When `apiBaseUrl` is one of WeChat's hosts (a regional access point such as
 * `https://sh.api.weixin.qq.com`) and `fallbackApiBaseUrls` is not set, the fallback is
 * still `https://api2.weixin.qq.com`; any other host (a test server, a proxy) gets none, so
 * it never fails over to WeChat.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<WechatConfig, InvalidArgument> =>
  Layer.effect(WechatConfig, make(options))

/**
 * Reads `WECHAT_APP_ID`, `WECHAT_APP_SECRET` and, when set, `WECHAT_API_BASE_URL`,
 * `WECHAT_FALLBACK_API_BASE_URLS` (comma-separated, or `none`),
 * `WECHAT_OPEN_BASE_URL`, `WECHAT_TIMEOUT` (a duration such as `5 seconds`),
 * `WECHAT_STATE_KEYS` (comma-separated, newest first), `WECHAT_STORE_KEY` and
 * `WECHAT_PREVIOUS_STORE_KEYS` (comma-separated) through Effect's `Config`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<WechatConfig, ConfigError | InvalidArgument> = Layer.effect(
  WechatConfig,
  Effect.gen(function*() {
    const appId = yield* Compat.Config.string("WECHAT_APP_ID")
    const appSecret = yield* Compat.Config.redacted("WECHAT_APP_SECRET")
    const apiBaseUrl = yield* Config.option(Compat.Config.string("WECHAT_API_BASE_URL"))
    const fallbacks = yield* Config.option(Compat.Config.string("WECHAT_FALLBACK_API_BASE_URLS"))
    const openBaseUrl = yield* Config.option(Compat.Config.string("WECHAT_OPEN_BASE_URL"))
    const timeout = yield* Config.option(Compat.Config.duration("WECHAT_TIMEOUT"))
    const stateKeys = yield* Config.option(Compat.Config.redacted("WECHAT_STATE_KEYS"))
    const storeKey = yield* Config.option(Compat.Config.redacted("WECHAT_STORE_KEY"))
    const previousStoreKeys = yield* Config.option(Compat.Config.redacted("WECHAT_PREVIOUS_STORE_KEYS"))
    return yield* make({
      appId,
      appSecret,
      apiBaseUrl: Option.getOrUndefined(apiBaseUrl),
      fallbackApiBaseUrls: Option.getOrUndefined(Option.map(fallbacks, (urls) =>
        urls.trim().toLowerCase() === "none" ? [] : urls.split(",").map((u) => u.trim()).filter((u) => u !== ""))),
      openBaseUrl: Option.getOrUndefined(openBaseUrl),
      timeout: Option.getOrUndefined(timeout),
      stateKeys: Option.getOrUndefined(Option.map(stateKeys, splitKeys)),
      storeKey: Option.getOrUndefined(storeKey),
      previousStoreKeys: Option.getOrUndefined(Option.map(previousStoreKeys, splitKeys))
    })
  })
)
