/**
 * The JS-SDK: the `jsapi` ticket (`cgi-bin/ticket/getticket`) and the page signature
 * `wx.config` needs.
 *
 * @since 0.1.0
 */
import { Clock, Effect, Redacted, Schema } from "effect"
import { createHash, randomBytes } from "node:crypto"
import { SecretString, Seconds, wire } from "./internal/schemas.js"
import { decoder } from "./WechatDecode.js"
import { redact, type Secret, WechatConfig } from "./WechatConfig.js"
import { InvalidArgument } from "./WechatError.js"
import { execute } from "./WechatHttp.js"

/**
 * A JS-SDK ticket. WeChat always sends `expiresIn` 7200, even for a ticket issued
 * earlier, so cache it with a margin.
 *
 * @since 0.1.0
 * @category models
 */
export class JsSdkTicket extends Schema.Class<JsSdkTicket>("effect-wechat/JsSdkTicket")({
  ticket: SecretString,
  expiresIn: wire("expires_in", Seconds)
}) {}

const decodeTicket = decoder(JsSdkTicket)

/**
 * Fetches a ticket with the app's **basic** access token (a web token gets
 * `AccessTokenInvalid`). `type` is `jsapi` (default) or `wx_card`.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const getTicket = Effect.fn("JsSdk.getTicket")(function*(params: {
  readonly accessToken: Secret
  readonly type?: "jsapi" | "wx_card" | undefined
}) {
  const accessToken = redact(params.accessToken)
  if (Redacted.value(accessToken) === "") {
    return yield* new InvalidArgument({ argument: "accessToken", reason: "must not be empty", action: "stop" })
  }
  return yield* execute({
    endpoint: "cgi-bin/ticket/getticket",
    method: "GET",
    query: { access_token: accessToken, type: params.type ?? "jsapi" }
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

/**
 * Signs a page for `wx.config`: SHA-1 over
 * `jsapi_ticket=…&noncestr=…&timestamp=…&url=…` with raw (unescaped) values and the URL
 * cut at `#`. Pass the page's full URL as the browser has it (WeChat appends query
 * parameters to shared links). `nonceStr` and `timestamp` default to a random string and
 * the current time.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { JsSdk } from "effect-wechat"
 *
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
}) => Effect.Effect<Signature, InvalidArgument, WechatConfig> = Effect.fn("JsSdk.sign")(function*(params) {
  const config = yield* WechatConfig
  const hash = params.url.indexOf("#")
  const url = hash === -1 ? params.url : params.url.slice(0, hash)
  if (!/^https?:\/\/[^/?#\s]+/i.test(url)) {
    return yield* new InvalidArgument({ argument: "url", reason: "must be the page's absolute http(s) URL", action: "stop" })
  }
  const nonceStr = params.nonceStr ?? randomBytes(12).toString("base64").replace(/[^A-Za-z0-9]/g, "x")
  if (!NONCE.test(nonceStr)) {
    return yield* new InvalidArgument({ argument: "nonceStr", reason: "must be 1 to 32 characters of [A-Za-z0-9]", action: "stop" })
  }
  const timestamp = params.timestamp ?? Math.floor((yield* Clock.currentTimeMillis) / 1000)
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    return yield* new InvalidArgument({ argument: "timestamp", reason: "must be whole seconds since the epoch", action: "stop" })
  }
  const ticket = Redacted.value(redact(params.ticket))
  const signature = createHash("sha1")
    .update(`jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`)
    .digest("hex")
  return { appId: config.appId, timestamp, nonceStr, signature }
})
