/**
 * The JS-SDK: the `jsapi` ticket (`cgi-bin/ticket/getticket`) and the page signature
 * `wx.config` needs.
 *
 * @since 0.1.0
 */
import * as Compat from "#compat"
import type { HttpClient } from "#compat"
import { Clock, Context, Duration, Effect, Layer, Redacted, type Scope } from "effect"
import * as Span from "./internal/span.js"
import * as Crypto from "node:crypto"
import { createHash, randomBytes } from "node:crypto"
import * as AccessTokenProvider from "./AccessTokenProvider.js"
import * as Credential from "./internal/credential.js"
import { keysOf } from "./internal/keys.js"
import { SecretString, Seconds } from "./internal/schemas.js"
import * as Validate from "./internal/validate.js"
import * as TokenStore from "./TokenStore.js"
import { decoder } from "./WechatDecode.js"
import { type Secret, WechatConfig } from "./WechatConfig.js"
import { InvalidArgument, type WechatError } from "./WechatError.js"
import { execute } from "./WechatHttp.js"

/**
 * A JS-SDK ticket. WeChat always sends `expiresIn` 7200, even for a ticket issued
 * earlier, so cache it with a margin.
 *
 * @since 0.1.0
 * @category models
 */
export class JsSdkTicket extends Compat.WireClass<JsSdkTicket>("effect-wechat/JsSdkTicket")({
  ticket: SecretString,
  expiresIn: Seconds
}, { expiresIn: "expires_in" }) {
  /**
   * A plain-JSON form: the remaining life only, never the ticket.
   *
   * @since 0.2.0
   */
  toJSON(): { readonly expiresIn: number } {
    return { expiresIn: this.expiresIn }
  }
}

const decodeTicket = decoder(JsSdkTicket)
const TICKET_TYPES = ["jsapi", "wx_card"] as const
const MAX_PAGE_URL = 4096

/**
 * Fetches a ticket with the app's **basic** access token (a web token gets
 * `AccessTokenInvalid`). `type` is `jsapi` (default) or `wx_card`.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const getTicket = Span.fn("JsSdk.getTicket")(function*(params: {
  readonly accessToken: Secret
  readonly type?: "jsapi" | "wx_card" | undefined
}) {
  yield* Validate.object("params", params, "must be an object with accessToken")
  const accessToken = yield* Validate.token("accessToken", params.accessToken)
  const type = yield* Validate.oneOf("type", params.type ?? "jsapi", TICKET_TYPES)
  return yield* execute({
    endpoint: "cgi-bin/ticket/getticket",
    method: "GET",
    query: { access_token: accessToken, type }
  }, decodeTicket)
})

/**
 * What `wx.config` needs besides `jsApiList`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Signature {
  readonly appId: string
  /** Seconds since the epoch. */
  readonly timestamp: number
  readonly nonceStr: string
  /** Lowercase hex SHA-1. */
  readonly signature: string
}

const NONCE = /^[A-Za-z0-9]{1,32}$/
const NONCE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// random bytes come from a pool refilled 4 KiB at a time: a nonce per page view should not
// cost a call into the system's random source
let pool = new Uint8Array(0)
let poolOffset = 0

/** 16 characters of `[A-Za-z0-9]` (about 95 bits), without modulo bias. */
const newNonce = (): string => {
  let nonce = ""
  while (nonce.length < 16) {
    if (poolOffset >= pool.length) {
      pool = randomBytes(4096)
      poolOffset = 0
    }
    const byte = pool[poolOffset++]!
    if (byte < 248) nonce += NONCE_ALPHABET[byte % 62]
  }
  return nonce
}

/**
 * Signs a page for `wx.config`: SHA-1 over
 * `jsapi_ticket=…&noncestr=…&timestamp=…&url=…` with raw (unescaped) values and the URL
 * cut at `#`. Pass the page's full URL as the browser has it (WeChat appends query
 * parameters to shared links): `location.href`, percent-encoded; a URL with raw non-ASCII
 * characters fails with `InvalidArgument` (url), since it could never match the page's.
 * `nonceStr` and `timestamp` default to a random string and the current time.
 *
 * @example
 * ```ts
 * // free: ticket: Redacted.Redacted<string>
 * import type { Redacted } from "effect"
 * import { JsSdk } from "effect-wechat"
 *
 * // the fragment is dropped for you; nonceStr and timestamp default to random and now
 * const config = JsSdk.sign({ ticket, url: "https://example.com/page?x=1#top" })
 * ```
 *
 * @since 0.1.0
 * @category signing
 */
export const sign: (params: {
  readonly ticket: Secret
  readonly url: string
  readonly nonceStr?: string | undefined
  readonly timestamp?: number | undefined
}) => Effect.Effect<Signature, InvalidArgument, WechatConfig> = Span.fn("JsSdk.sign")(function*(params) {
  yield* Validate.object("params", params, "must be an object with ticket and url")
  const config = yield* WechatConfig
  const ticket = yield* Validate.token("ticket", params.ticket)
  const url = yield* Compat.Result.toEffect(pageUrl(params.url))
  const nonceStr = params.nonceStr ?? newNonce()
  if (typeof nonceStr !== "string" || !NONCE.test(nonceStr)) {
    return yield* new InvalidArgument({ argument: "nonceStr", reason: "must be 1 to 32 characters of [A-Za-z0-9]", action: "stop" })
  }
  const timestamp = params.timestamp ?? Math.floor((yield* Clock.currentTimeMillis) / 1000)
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    return yield* new InvalidArgument({ argument: "timestamp", reason: "must be whole seconds since the epoch", action: "stop" })
  }
  return signed(config.appId, Redacted.value(ticket), url, nonceStr, timestamp)
})

/** The URL that is signed: the page's absolute http(s) URL, cut at `#` (the fragment is not signed, whatever it holds). */
const pageUrl = (input: unknown): Compat.Result<string, InvalidArgument> => {
  if (typeof input !== "string") return Compat.Result.fail(new InvalidArgument({ argument: "url", reason: "must be a string", action: "stop" }))
  const hash = input.indexOf("#")
  const url = hash === -1 ? input : input.slice(0, hash)
  if (url.length > MAX_PAGE_URL || /[\u0000-\u0020\u007f]/.test(url)) {
    return Compat.Result.fail(new InvalidArgument({ argument: "url", reason: `must be the page's URL: at most ${MAX_PAGE_URL} characters, no spaces or control characters`, action: "stop" }))
  }
  if (!/^https?:\/\/[^/?#\s]+/i.test(url)) {
    return Compat.Result.fail(new InvalidArgument({ argument: "url", reason: "must be the page's absolute http(s) URL", action: "stop" }))
  }
  // the page signs `location.href`, which is always ASCII: a URL with raw 中文 could never
  // match it, and WeChat would only say "invalid signature"
  if (/[^\x00-\x7f]/.test(url)) {
    return Compat.Result.fail(
      new InvalidArgument({ argument: "url", reason: "must be the URL as the page's location.href gives it: percent-encoded, no raw non-ASCII characters", action: "stop" })
    )
  }
  return Compat.Result.succeed(url)
}

// Node's one-shot crypto.hash (20.12+) skips the Hash object createHash allocates
const oneShot = (Crypto as { readonly hash?: (algorithm: string, data: string) => string }).hash
const sha1Hex = oneShot === undefined
  ? (data: string) => createHash("sha1").update(data).digest("hex")
  : (data: string) => oneShot("sha1", data)

/** WeChat's signature: SHA-1 over the four fields in name order, raw values. */
const signed = (appId: string, ticket: string, url: string, nonceStr: string, timestamp: number): Signature => ({
  appId,
  timestamp,
  nonceStr,
  signature: sha1Hex(`jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`)
})

/**
 * A cached JS-SDK ticket.
 *
 * @since 0.1.0
 * @category models
 */
export interface TicketService {
  /** The current ticket (fetched with the provider's basic token if needed). */
  readonly get: Effect.Effect<Redacted.Redacted<string>, WechatError | TokenStore.TokenStoreError>
  /**
   * Forgets a ticket, unless another caller already replaced it: call it when pages report
   * `wx.config` "invalid signature" with a URL you signed correctly.
   */
  readonly invalidate: (ticket: Redacted.Redacted<string>) => Effect.Effect<void, TokenStore.TokenStoreError>
}

/**
 * The JS-SDK ticket cache: like `AccessTokenProvider`, cached with its expiry in the
 * `TokenStore`, refreshed ahead of time, one fetch at a time. WeChat limits `getticket`
 * calls severely, so never fetch a ticket per page view.
 *
 * @since 0.1.0
 * @category tags
 */
export class TicketProvider extends Compat.Tag<TicketProvider, TicketService>()("effect-wechat/JsSdk/TicketProvider") {}

/**
 * Builds the ticket cache; tickets are fetched through the `AccessTokenProvider` (so a
 * stale token is refreshed once and the fetch retried once).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeTicketProvider = (options: TicketProviderOptions = {}): Effect.Effect<
  TicketService,
  InvalidArgument,
  AccessTokenProvider.AccessTokenProvider | HttpClient.HttpClient | WechatConfig | Scope.Scope
> =>
  Effect.gen(function*() {
    const config = yield* WechatConfig
    const store = yield* TokenStore.TokenStore
    const provider = yield* AccessTokenProvider.AccessTokenProvider
    const context = yield* Effect.context<HttpClient.HttpClient | WechatConfig>()
    if (typeof options !== "object" || options === null) return yield* Validate.invalid("options", "must be an object", "fix-config")
    const type = yield* Validate.oneOf("type", options.type ?? "jsapi", TICKET_TYPES, "fix-config")
    const maxAge = yield* Validate.duration("maxAge", options.maxAge ?? "1 hour", { min: "1 minute", max: "2 hours" })
    const refreshMargin = yield* Validate.duration("refreshMargin", options.refreshMargin ?? "10 minutes", { min: 0, max: "1 hour" })
    const maxAgeSeconds = Duration.toSeconds(maxAge)
    const credential = yield* Credential.make({
      store,
      keys: keysOf(config),
      key: TokenStore.key(config.appId, "ticket", type),
      schema: JsSdkTicket,
      secretOf: (t) => Redacted.value(t.ticket),
      expiresInOf: (t) => Math.min(t.expiresIn, maxAgeSeconds),
      fetch: provider.use((accessToken) => getTicket({ accessToken, type })).pipe(Effect.provide(context)),
      refreshMargin,
      lockTtl: Duration.seconds(10),
      lockWait: Duration.seconds(90),
      // tickets follow their token's rule
      degradable: provider.degradable
    })
    return {
      get: credential.getWith((t) => t.ticket),
      invalidate: (ticket) => credential.invalidate(new JsSdkTicket({ ticket, expiresIn: 0 }))
    }
  })

/**
 * Options of the ticket cache.
 *
 * @since 0.2.0
 * @category models
 */
export interface TicketProviderOptions {
  readonly type?: "jsapi" | "wx_card" | undefined
  /** Refresh this long before expiry; default 10 minutes. */
  readonly refreshMargin?: Compat.DurationInput | undefined
  /**
   * Keep a ticket at most this long; default 1 hour. WeChat answers `expires_in: 7200` even
   * for a ticket it issued earlier (to another process or system), so the true remaining
   * life is unknown; a cap bounds how long an expired ticket could be served.
   */
  readonly maxAge?: Compat.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category layers
 */
export const layerTicketProvider = (options: TicketProviderOptions = {}): Layer.Layer<
  TicketProvider,
  InvalidArgument,
  AccessTokenProvider.AccessTokenProvider | HttpClient.HttpClient | WechatConfig
> => Compat.layerScoped(TicketProvider, makeTicketProvider(options))

/**
 * Signs a page for `wx.config` with the cached ticket: what a `/jssdk-config?url=…`
 * endpoint returns.
 *
 * @since 0.1.0
 * @category signing
 */
export const signPage: (url: string) => Effect.Effect<
  Signature,
  InvalidArgument | WechatError | TokenStore.TokenStoreError,
  TicketProvider | WechatConfig
> = (url: string) =>
  // the hot path of a /jssdk-config endpoint: one step reads the services and the clock,
  // and the cached ticket is WeChat's, already checked when it was fetched
  Compat.withFiber((fiber) => {
    const page = pageUrl(url)
    if (Compat.Result.isFailure(page)) return Effect.fail(Compat.Result.failure(page))
    const provider = Context.get(Compat.fiberContext(fiber) as Context.Context<TicketProvider>, TicketProvider)
    const appId = Context.get(Compat.fiberContext(fiber) as Context.Context<WechatConfig>, WechatConfig).appId
    const clock = Compat.fiberClock(fiber)
    const signing = Effect.map(provider.get, (ticket) =>
      signed(appId, Redacted.value(ticket), Compat.Result.success(page), newNonce(), Math.floor(Compat.clockMillis(clock) / 1000)))
    return Span.isTraced(Compat.fiberTracer(fiber)) ? Span.withSpan(signing, "JsSdk.signPage") : signing
  })
