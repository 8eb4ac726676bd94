/**
 * Web authorization ("SNS"): consent URLs, code → web token, refresh, token check and
 * the user's profile. For people coming from Ruby's `Wechat::SNS`:
 * `AccessToken.create` → {@link exchangeCode}, `AccessToken.load` → {@link checkToken},
 * `AccessToken.update` → {@link refreshToken}, `AuthorizeLink.create` → {@link authorizeUrl},
 * `UserProfile.load` → {@link userInfo}.
 *
 * The web token is not the app's basic token: it only reads this user's profile.
 *
 * @since 0.1.0
 */
import { Effect, Redacted, Schema } from "effect"
import { makeExchangeOnce } from "./internal/exchangeOnce.js"
import { invalid, nonEmpty } from "./internal/validate.js"
import { OptionalId, SecretString, Seconds, wire } from "./internal/schemas.js"
import { decoder } from "./WechatDecode.js"
import { type Lang, redact, type Secret, WechatConfig } from "./WechatConfig.js"
import { InvalidArgument } from "./WechatError.js"
import { execute } from "./WechatHttp.js"

const ScopeList = Schema.transform(Schema.String, Schema.Array(Schema.String), {
  strict: true,
  decode: (s) => s.split(",").map((x) => x.trim()).filter((x) => x !== ""),
  encode: (xs) => xs.join(",")
})

const SnapshotFlag = Schema.transform(Schema.Union(Schema.Number, Schema.String), Schema.Boolean, {
  strict: true,
  decode: (v) => Number(v) === 1,
  encode: (b) => (b ? 1 : 0)
})

/**
 * The web token from `sns/oauth2/access_token` or `sns/oauth2/refresh_token`.
 *
 * `isSnapshotUser` marks a snapshot-page virtual user: its openid and unionid are not the
 * real person's, so never link it to an account.
 *
 * @since 0.1.0
 * @category models
 */
export class SnsToken extends Schema.Class<SnsToken>("effect-wechat/SnsToken")({
  accessToken: wire("access_token", SecretString),
  /** Seconds, as WeChat sent it. */
  expiresIn: wire("expires_in", Seconds),
  refreshToken: wire("refresh_token", SecretString),
  openid: Schema.NonEmptyString,
  scope: Schema.optionalWith(ScopeList, { default: () => [] }),
  unionid: OptionalId,
  isSnapshotUser: Schema.optionalWith(SnapshotFlag, { default: () => false }).pipe(Schema.fromKey("is_snapshotuser"))
}) {}

const Sex = Schema.transform(Schema.Union(Schema.Number, Schema.String), Schema.Literal(0, 1, 2), {
  strict: true,
  decode: (v) => {
    const n = Number(v)
    return n === 1 ? 1 : n === 2 ? 2 : 0
  },
  encode: (s) => s
})

const OptionalText = Schema.optionalWith(Schema.String, { default: () => "" })

/**
 * A profile from `sns/userinfo`. Since late 2021 WeChat sends `sex: 0` and empty
 * region fields; the legacy string form of `sex` (`"1"`) is accepted.
 *
 * @since 0.1.0
 * @category models
 */
export class SnsUserInfo extends Schema.Class<SnsUserInfo>("effect-wechat/SnsUserInfo")({
  openid: Schema.NonEmptyString,
  nickname: Schema.String,
  /** 1 male, 2 female, 0 unknown (always 0 since 2021-10). */
  sex: Schema.optionalWith(Sex, { default: () => 0 as const }),
  province: OptionalText,
  city: OptionalText,
  country: OptionalText,
  /** Empty when the user has no avatar. */
  headImgUrl: Schema.optionalWith(Schema.String, { default: () => "" }).pipe(Schema.fromKey("headimgurl")),
  privilege: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  unionid: OptionalId
}) {}

const decodeToken = decoder(SnsToken)
const decodeUserInfo = decoder(SnsUserInfo)
const decodeOk = decoder(Schema.Struct({ errcode: Schema.Literal(0) }))
const redeemOnce = makeExchangeOnce("code", SnsToken)

const STATE = /^[A-Za-z0-9]*$/

const checkRedirectUri = (redirectUri: string): Effect.Effect<string, InvalidArgument> => {
  let url: URL
  try {
    url = new URL(redirectUri)
  } catch {
    return Effect.fail(invalid("redirectUri", "must be an absolute http(s) URL"))
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return Effect.fail(invalid("redirectUri", `must be http(s), not ${url.protocol}`))
  }
  return Effect.succeed(redirectUri)
}

const checkState = (state: string | undefined): Effect.Effect<string, InvalidArgument> => {
  if (state === undefined) return Effect.succeed("")
  if (!STATE.test(state)) return Effect.fail(invalid("state", "WeChat accepts only [A-Za-z0-9]"))
  if (state.length > 128) return Effect.fail(invalid("state", `WeChat accepts at most 128 bytes, got ${state.length}`))
  return Effect.succeed(state)
}

const consentUrl = (
  path: string,
  params: { readonly redirectUri: string; readonly scope: string; readonly state?: string | undefined },
  extra: string
) =>
  Effect.gen(function*() {
    const config = yield* WechatConfig
    const redirectUri = yield* checkRedirectUri(params.redirectUri)
    const state = yield* checkState(params.state)
    return `${config.openBaseUrl}/connect/${path}?appid=${encodeURIComponent(config.appId)}` +
      `&redirect_uri=${encodeURIComponent(redirectUri)}&response_type=code&scope=${params.scope}` +
      `&state=${state}${extra}#wechat_redirect`
  })

/**
 * Scopes of the official-account web authorization.
 *
 * @since 0.1.0
 * @category models
 */
export type Scope = "snsapi_base" | "snsapi_userinfo"

/**
 * The official-account consent URL (`connect/oauth2/authorize`), for pages opened inside
 * WeChat. `snsapi_base` is silent and yields the openid only; `snsapi_userinfo` asks
 * for consent and allows {@link userInfo}. `state` is at most 128 bytes of
 * `[A-Za-z0-9]`; `forcePopup` goes before the `#wechat_redirect` fragment.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sns } from "effect-wechat"
 *
 * const url = Sns.authorizeUrl({
 *   redirectUri: "https://example.com/callback",
 *   scope: "snsapi_userinfo",
 *   state: "a1b2c3"
 * })
 * ```
 *
 * @since 0.1.0
 * @category urls
 */
export const authorizeUrl: (params: {
  readonly redirectUri: string
  readonly scope: Scope
  readonly state?: string | undefined
  readonly forcePopup?: boolean | undefined
}) => Effect.Effect<string, InvalidArgument, WechatConfig> = Effect.fn("Sns.authorizeUrl")(function*(params) {
  if (params.scope !== "snsapi_base" && params.scope !== "snsapi_userinfo") {
    return yield* invalid("scope", "must be snsapi_base or snsapi_userinfo")
  }
  return yield* consentUrl("oauth2/authorize", params, params.forcePopup === undefined ? "" : `&forcePopup=${params.forcePopup}`)
})

/**
 * The website-app QR login URL (`connect/qrconnect`, scope `snsapi_login`), for PC
 * browsers. `lang` is the page language (`cn` by default at WeChat).
 *
 * @since 0.1.0
 * @category urls
 */
export const qrConnectUrl: (params: {
  readonly redirectUri: string
  readonly state?: string | undefined
  readonly lang?: "cn" | "en" | undefined
}) => Effect.Effect<string, InvalidArgument, WechatConfig> = Effect.fn("Sns.qrConnectUrl")(function*(params) {
  if (params.lang !== undefined && params.lang !== "cn" && params.lang !== "en") {
    return yield* invalid("lang", "must be cn or en")
  }
  return yield* consentUrl("qrconnect", { ...params, scope: "snsapi_login" }, params.lang === undefined ? "" : `&lang=${params.lang}`)
})

/**
 * Exchanges the callback's `code` for a web token (`sns/oauth2/access_token`).
 *
 * A code is single-use and lives 5 minutes (10 for QR login), and WeChat sometimes
 * delivers the callback twice. So this is idempotent: concurrent or repeated calls with
 * the same code make one request and all get the same token, for 5 minutes, in this process
 * and (with a shared `TokenStore`, e.g. Redis) across processes. `CodeAlreadyUsed` and
 * `InvalidCode` are kept 10 seconds; other failures are not kept. Never retried after the
 * request may have reached WeChat.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const exchangeCode = Effect.fn("Sns.exchangeCode")(function*(code: string) {
  yield* nonEmpty("code", code)
  const config = yield* WechatConfig
  const exchange = execute({
    endpoint: "sns/oauth2/access_token",
    method: "GET",
    query: { appid: config.appId, secret: config.appSecret, code: Redacted.make(code), grant_type: "authorization_code" }
  }, decodeToken)
  return yield* redeemOnce(code, exchange)
})

/**
 * Refreshes a web token (`sns/oauth2/refresh_token`). While the access token is valid,
 * WeChat returns the same token with a renewed expiry; the refresh token itself is never
 * extended (30 days from consent), after which this fails with `RefreshTokenInvalid`.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const refreshToken = Effect.fn("Sns.refreshToken")(function*(refreshToken: Secret) {
  yield* nonEmpty("refreshToken", refreshToken)
  const config = yield* WechatConfig
  return yield* execute({
    endpoint: "sns/oauth2/refresh_token",
    method: "GET",
    query: { appid: config.appId, grant_type: "refresh_token", refresh_token: redact(refreshToken) }
  }, decodeToken)
})

/**
 * Checks a web token for an openid (`sns/auth`). Succeeds with nothing when valid;
 * fails with `AccessTokenInvalid` or `InvalidOpenid` otherwise.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const checkToken = Effect.fn("Sns.checkToken")(function*(params: {
  readonly accessToken: Secret
  readonly openid: string
}) {
  yield* nonEmpty("accessToken", params.accessToken)
  yield* nonEmpty("openid", params.openid)
  yield* execute({
    endpoint: "sns/auth",
    method: "GET",
    query: { access_token: redact(params.accessToken), openid: params.openid }
  }, decodeOk)
})

/**
 * Reads the user's profile (`sns/userinfo`). Needs a token from `snsapi_userinfo`
 * consent: a `snsapi_base` token or a snapshot user fails with `ApiUnauthorized`
 * (action `reauthorize`). `lang` defaults to the configured one and is always sent.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const userInfo = Effect.fn("Sns.userInfo")(function*(params: {
  readonly accessToken: Secret
  readonly openid: string
  readonly lang?: Lang | undefined
}) {
  yield* nonEmpty("accessToken", params.accessToken)
  yield* nonEmpty("openid", params.openid)
  const config = yield* WechatConfig
  return yield* execute({
    endpoint: "sns/userinfo",
    method: "GET",
    query: { access_token: redact(params.accessToken), openid: params.openid, lang: params.lang ?? config.lang }
  }, decodeUserInfo)
})
