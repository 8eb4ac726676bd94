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
import * as Compat from "#compat"
import type { HttpClient } from "#compat"
import { Clock, Duration, Effect, Option, Redacted, Schema } from "effect"
import * as Span from "./internal/span.js"
import { makeExchangeOnce } from "./internal/exchangeOnce.js"
import { keysOf } from "./internal/keys.js"
import { OptionalId, SecretString, Seconds } from "./internal/schemas.js"
import * as State from "./internal/state.js"
import * as Validate from "./internal/validate.js"
import { invalid } from "./internal/validate.js"
import { decoder } from "./WechatDecode.js"
import { type Lang, redact, type Secret, WechatConfig } from "./WechatConfig.js"
import { InvalidArgument, InvalidState, type WechatError } from "./WechatError.js"
import { execute } from "./WechatHttp.js"

const splitScope = (s: string): Array<string> => s.split(",").map((x) => x.trim()).filter((x) => x !== "")

const ScopeList = Compat.transform(Schema.String, Schema.Array(Schema.String), splitScope, (xs) => xs.join(","))

const SnapshotFlag = Compat.transform(Compat.union(Schema.Number, Schema.String), Schema.Boolean, (v) => Number(v) === 1, (b) => (b ? 1 : 0))

/**
 * The web token from `sns/oauth2/access_token` or `sns/oauth2/refresh_token`.
 *
 * `isSnapshotUser` marks a snapshot-page virtual user: its openid and unionid are not the
 * real person's, so never link it to an account.
 *
 * @since 0.1.0
 * @category models
 */
export class SnsToken extends Compat.WireClass<SnsToken>("effect-wechat/SnsToken")({
  accessToken: SecretString,
  /** Seconds, as WeChat sent it. */
  expiresIn: Seconds,
  refreshToken: SecretString,
  openid: Schema.NonEmptyString,
  scope: Compat.optionalDefault(ScopeList, () => []),
  unionid: OptionalId,
  isSnapshotUser: Compat.optionalDefault(SnapshotFlag, () => false)
}, { accessToken: "access_token", expiresIn: "expires_in", refreshToken: "refresh_token", isSnapshotUser: "is_snapshotuser" }) {
  /**
   * A plain-JSON form a handler can return: no token, `unionid` as a string or null.
   *
   * @since 0.2.0
   */
  toJSON(): { readonly openid: string; readonly expiresIn: number; readonly scope: ReadonlyArray<string>; readonly unionid: string | null; readonly isSnapshotUser: boolean } {
    return { openid: this.openid, expiresIn: this.expiresIn, scope: this.scope, unionid: Option.getOrNull(this.unionid), isSnapshotUser: this.isSnapshotUser }
  }
}

const Sex = Compat.transform(
  Compat.union(Schema.Number, Schema.String),
  Compat.literals(0, 1, 2),
  (v) => {
    const n = Number(v)
    return n === 1 ? 1 : n === 2 ? 2 : 0
  },
  (s) => s
)

const OptionalText = Compat.optionalDefault(Schema.String, () => "")

/**
 * A profile from `sns/userinfo`. Since late 2021 WeChat sends `sex: 0` and empty
 * region fields; the legacy string form of `sex` (`"1"`) is accepted.
 *
 * @since 0.1.0
 * @category models
 */
export class SnsUserInfo extends Compat.WireClass<SnsUserInfo>("effect-wechat/SnsUserInfo")({
  openid: Schema.NonEmptyString,
  nickname: Schema.String,
  /** 1 male, 2 female, 0 unknown (always 0 since 2021-10). */
  sex: Compat.optionalDefault(Sex, () => 0 as const),
  province: OptionalText,
  city: OptionalText,
  country: OptionalText,
  /** Empty when the user has no avatar. */
  headImgUrl: Compat.optionalDefault(Schema.String, () => ""),
  privilege: Compat.optionalDefault(Schema.Array(Schema.String), () => []),
  unionid: OptionalId
}, { headImgUrl: "headimgurl" }) {
  /**
   * A plain-JSON form a handler can return: `unionid` as a string or null.
   *
   * @since 0.2.0
   */
  toJSON(): {
    readonly openid: string
    readonly nickname: string
    readonly sex: 0 | 1 | 2
    readonly province: string
    readonly city: string
    readonly country: string
    readonly headImgUrl: string
    readonly privilege: ReadonlyArray<string>
    readonly unionid: string | null
  } {
    return {
      openid: this.openid,
      nickname: this.nickname,
      sex: this.sex,
      province: this.province,
      city: this.city,
      country: this.country,
      headImgUrl: this.headImgUrl,
      privilege: this.privilege,
      unionid: Option.getOrNull(this.unionid)
    }
  }
}

// The common shapes of the two login answers, built without the schema (a schema decode
// costs these endpoints more than their JSON parsing). Anything else (a numeric string,
// a legacy `sex: "1"`, a missing field) answers undefined and the schema decodes it.
// test/robust/properties.test.ts checks both ways agree.
const isText = (u: unknown): u is string => typeof u === "string"
const isFilled = (u: unknown): u is string => typeof u === "string" && u !== ""
// an empty unionid is WeChat's "none", as the schema reads it too
const optionalId = (u: unknown): Option.Option<string> | undefined =>
  u === undefined || u === "" ? Option.none() : isFilled(u) ? Option.some(u) : undefined

const tokenFromWire = (body: Record<string, unknown>): SnsToken | undefined => {
  const { access_token, expires_in, refresh_token, openid, scope, is_snapshotuser } = body
  const unionid = optionalId(body["unionid"])
  if (
    !isFilled(access_token) || !isFilled(refresh_token) || !isFilled(openid) || unionid === undefined ||
    typeof expires_in !== "number" || !(expires_in >= 0) ||
    (scope !== undefined && !isText(scope)) || (is_snapshotuser !== undefined && typeof is_snapshotuser !== "number")
  ) return undefined
  return Compat.construct(SnsToken, {
    accessToken: Redacted.make(access_token),
    expiresIn: expires_in,
    refreshToken: Redacted.make(refresh_token),
    openid,
    scope: scope === undefined ? [] : splitScope(scope),
    unionid,
    isSnapshotUser: is_snapshotuser === 1
  })
}

const userInfoFromWire = (body: Record<string, unknown>): SnsUserInfo | undefined => {
  const { openid, nickname, sex, province, city, country, headimgurl, privilege } = body
  const unionid = optionalId(body["unionid"])
  const text = (u: unknown) => u === undefined || isText(u)
  if (
    !isFilled(openid) || !isText(nickname) || unionid === undefined ||
    (sex !== undefined && sex !== 0 && sex !== 1 && sex !== 2) ||
    !text(province) || !text(city) || !text(country) || !text(headimgurl) ||
    (privilege !== undefined && !(Array.isArray(privilege) && privilege.every(isText)))
  ) return undefined
  return Compat.construct(SnsUserInfo, {
    openid,
    nickname,
    sex: (sex ?? 0) as 0 | 1 | 2,
    province: (province ?? "") as string,
    city: (city ?? "") as string,
    country: (country ?? "") as string,
    headImgUrl: (headimgurl ?? "") as string,
    privilege: privilege === undefined ? [] : [...(privilege as ReadonlyArray<string>)],
    unionid
  })
}

const decodeToken = decoder(SnsToken, { fast: tokenFromWire })
const decodeUserInfo = decoder(SnsUserInfo, { fast: userInfoFromWire })
const decodeOk = decoder(Schema.Struct({ errcode: Schema.Literal(0) }))
const redeemOnce = makeExchangeOnce({ kind: "code", endpoint: "sns/oauth2/access_token", param: "code", argument: "code" }, decodeToken)

const STATE = /^[A-Za-z0-9]*$/
const LANGS: ReadonlyArray<Lang> = ["zh_CN", "zh_TW", "en"]

const MAX_REDIRECT_URI = 1024

const checkRedirectUri = (redirectUri: unknown): Effect.Effect<string, InvalidArgument> => {
  if (typeof redirectUri !== "string") return Effect.fail(invalid("redirectUri", "must be a string"))
  if (redirectUri.length > MAX_REDIRECT_URI) return Effect.fail(invalid("redirectUri", `must be at most ${MAX_REDIRECT_URI} characters`))
  if (/[\u0000-\u0020\u007f]/.test(redirectUri)) return Effect.fail(invalid("redirectUri", "must not hold spaces or control characters"))
  let url: URL
  try {
    url = new URL(redirectUri)
  } catch {
    return Effect.fail(invalid("redirectUri", "must be an absolute http(s) URL"))
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return Effect.fail(invalid("redirectUri", `must be http(s), not ${url.protocol}`))
  }
  // WeChat appends ?code=…&state=… and matches the domain: a fragment would swallow them
  if (url.hash !== "" || redirectUri.includes("#")) return Effect.fail(invalid("redirectUri", "must not have a #fragment"))
  if (url.username !== "" || url.password !== "") return Effect.fail(invalid("redirectUri", "must not carry a user name or password"))
  try {
    encodeURIComponent(redirectUri) // a lone surrogate cannot be sent
  } catch {
    return Effect.fail(invalid("redirectUri", "must be well-formed Unicode"))
  }
  return Effect.succeed(redirectUri)
}

const checkState = (state: unknown): Effect.Effect<string, InvalidArgument> => {
  if (state === undefined) return Effect.succeed("")
  if (typeof state !== "string" || !STATE.test(state)) return Effect.fail(invalid("state", "WeChat accepts only [A-Za-z0-9]"))
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
 * `[A-Za-z0-9]` (use {@link makeState}); `forcePopup` and `connect_redirect` follow it, in
 * WeChat's parameter order, before the `#wechat_redirect` fragment.
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
  /**
   * Adds `connect_redirect=1` (undocumented; the community's remedy for WeChat calling the
   * callback twice). The exchange is idempotent for the same session either way.
   */
  readonly connectRedirect?: boolean | undefined
}) => Effect.Effect<string, InvalidArgument, WechatConfig> = Span.fn("Sns.authorizeUrl")(function*(params) {
  yield* Validate.object("params", params, "must be an object with redirectUri and scope")
  if (params.scope !== "snsapi_base" && params.scope !== "snsapi_userinfo") {
    return yield* invalid("scope", "must be snsapi_base or snsapi_userinfo")
  }
  for (const flag of ["forcePopup", "connectRedirect"] as const) {
    if (params[flag] !== undefined && typeof params[flag] !== "boolean") return yield* invalid(flag, "must be true or false")
  }
  const extra = (params.forcePopup === undefined ? "" : `&forcePopup=${params.forcePopup}`) +
    (params.connectRedirect === true ? "&connect_redirect=1" : "")
  return yield* consentUrl("oauth2/authorize", params, extra)
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
}) => Effect.Effect<string, InvalidArgument, WechatConfig> = Span.fn("Sns.qrConnectUrl")(function*(params) {
  yield* Validate.object("params", params, "must be an object with redirectUri")
  if (params.lang !== undefined && params.lang !== "cn" && params.lang !== "en") {
    return yield* invalid("lang", "must be cn or en")
  }
  return yield* consentUrl("qrconnect", { ...params, scope: "snsapi_login" }, params.lang === undefined ? "" : `&lang=${params.lang}`)
})

/**
 * What a verified `state` carried. `binding` is what {@link exchangeCode} takes: the
 * session id for a session-bound state, the nonce for a cookieless one.
 *
 * @since 0.2.0
 * @category models
 */
export class VerifiedState extends Schema.Class<VerifiedState>("effect-wechat/VerifiedState")({
  /** 24 hex characters, unique per state. */
  nonce: Schema.String,
  expiresAt: Compat.DateFromMillis,
  /** Whether the state was bound to a session (false in cookieless mode). */
  sessionBound: Schema.Boolean,
  /** Where to send the user after login: a relative path on this site, if one was given. */
  returnTo: Compat.optionalOption(Schema.String),
  binding: Compat.redactedFromValue(Schema.String)
}) {
  /**
   * A plain-JSON form: no binding (it is the login's session id).
   *
   * @since 0.2.0
   */
  toJSON(): { readonly nonce: string; readonly expiresAt: string; readonly sessionBound: boolean; readonly returnTo: string | null } {
    return { nonce: this.nonce, expiresAt: this.expiresAt.toISOString(), sessionBound: this.sessionBound, returnTo: Option.getOrNull(this.returnTo) }
  }
}

/**
 * Options of {@link makeState}.
 *
 * @since 0.2.0
 * @category models
 */
export interface StateOptions {
  /**
   * The login's session id (e.g. a random value in an HttpOnly cookie set when the login
   * starts). Binding to it is the default and blocks login CSRF and callback replay.
   */
  readonly session?: Secret | undefined
  /**
   * Make a state bound to nothing but itself, for browsers that lose cookies (WeChat's
   * in-app browser sometimes does). Trade-off: anyone holding the callback URL can replay
   * it inside the duplicate window (60 s). Must be said explicitly.
   */
  readonly cookieless?: boolean | undefined
  /** Default 10 minutes; at most 1 day. */
  readonly ttl?: Compat.DurationInput | undefined
  /** A relative path on this site (`/…`) to return to after login; up to 52 bytes. */
  readonly returnTo?: string | undefined
}

const sessionOf = (session: Secret | undefined): Effect.Effect<string | undefined, InvalidArgument> =>
  session === undefined ? Effect.succeed(undefined) : Validate.binding("session", session)

/**
 * A signed `state` for the consent URL: at most 128 characters of `[A-Za-z0-9]` (what
 * WeChat accepts) binding a random nonce, an expiry, the login's session and an optional
 * return path, MACed with HMAC-SHA256 under `WechatConfig.stateKeys`. Needs no storage,
 * so any process of a cluster can verify it. Fails with `InvalidArgument` for a missing
 * binding (pass `session`, or `cookieless: true`), a bad `ttl` or a `returnTo` that is not
 * a short relative path.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sns } from "effect-wechat"
 *
 * // GET /login: `session` is a fresh random id the app also sets as an HttpOnly cookie
 * const login = (session: string) =>
 *   Effect.flatMap(Sns.makeState({ session, returnTo: "/orders" }), (state) =>
 *     Sns.authorizeUrl({ redirectUri: "https://example.com/callback", scope: "snsapi_userinfo", state }))
 * ```
 *
 * @since 0.2.0
 * @category state
 */
export const makeState: (options: StateOptions) => Effect.Effect<string, InvalidArgument, WechatConfig> = Span.fn("Sns.makeState")(function*(options: StateOptions) {
  if (typeof options !== "object" || options === null) return yield* invalid("options", "must be an object")
  const session = yield* sessionOf(options.session)
  const cookieless = yield* Validate.optionalBoolean("cookieless", options.cookieless)
  if (session === undefined && cookieless !== true) {
    return yield* invalid("session", "bind the state to the login's session, or pass cookieless: true to make an unbound one")
  }
  const ttl = yield* Validate.duration("ttl", options.ttl ?? Duration.minutes(10), { min: "1 second", max: "1 day", action: "stop" })
  if (options.returnTo !== undefined) {
    if (typeof options.returnTo !== "string" || !State.isRelativePath(options.returnTo)) return yield* invalid("returnTo", "must be a relative path on this site, starting with a single /")
    if (Buffer.byteLength(options.returnTo) > State.MAX_RETURN_TO_BYTES) {
      return yield* invalid("returnTo", `must be at most ${State.MAX_RETURN_TO_BYTES} bytes (keep longer targets server-side)`)
    }
  }
  const config = yield* WechatConfig
  const now = yield* Clock.currentTimeMillis
  return State.make(keysOf(config).state[0]!, { expiresAt: now + Duration.toMillis(ttl), session, returnTo: options.returnTo }).state
})

/**
 * Verifies the callback's `state` (constant-time) against the configured keys, the clock
 * and the login's session. Fails with `InvalidState` whose `reason` is `malformed`,
 * `tampered`, `expired` or `other-session` (a session-bound state presented with another
 * session or none; or an unbound state where `cookieless: true` was not said).
 *
 * @since 0.2.0
 * @category state
 */
export const verifyState: (
  state: string,
  options?: { readonly session?: Secret | undefined; readonly cookieless?: boolean | undefined }
) => Effect.Effect<VerifiedState, InvalidState, WechatConfig> = Span.fn("Sns.verifyState")(function*(
  state: string,
  options?: { readonly session?: Secret | undefined; readonly cookieless?: boolean | undefined }
) {
  const config = yield* WechatConfig
  const now = yield* Clock.currentTimeMillis
  const session = options?.session === undefined ? undefined : Redacted.value(redact(options.session))
  const result = typeof state === "string"
    ? State.verify(keysOf(config).state, state, now, { session: session === "" ? undefined : session, cookieless: options?.cookieless === true })
    : "malformed"
  if (typeof result === "string") return yield* new InvalidState({ reason: result, action: "reauthorize" })
  return new VerifiedState({
    nonce: result.nonce,
    expiresAt: new Date(result.expiresAt),
    sessionBound: result.sessionBound,
    returnTo: Compat.fromNullable(result.returnTo),
    binding: Redacted.make(result.sessionBound ? session! : result.nonce)
  })
})

/**
 * Options of a code exchange.
 *
 * @since 0.2.0
 * @category models
 */
export interface ExchangeOptions {
  /**
   * Who may receive this exchange's result again: the login's session id (from the cookie
   * the state was bound to), or, in cookieless mode, the verified state's nonce. Pass
   * {@link VerifiedState}'s `binding`.
   */
  readonly binding?: Secret | undefined
}

/**
 * Exchanges the callback's `code` for a web token (`sns/oauth2/access_token`).
 *
 * A code is single-use and lives 5 minutes (10 for QR login), and WeChat sometimes
 * delivers the callback twice. So a redemption's result is kept for
 * `WechatConfig.duplicateWindow` (60 s by default) and handed again only to a caller with
 * the same `binding`: a duplicate callback in the same browser gets the same token, while a
 * replayed callback URL (another browser, no binding) gets `CodeAlreadyUsed` without a call
 * to WeChat. Concurrent duplicates make one request, in this process and (with a shared
 * `TokenStore`, e.g. Redis) across processes. Once WeChat has answered with a token, a
 * failing store never turns the login into an error. Never retried after the request may
 * have reached WeChat.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sns } from "effect-wechat"
 *
 * // GET /callback?code=…&state=…, with the login cookie's session id
 * const callback = (code: string, state: string, session: string) =>
 *   Effect.gen(function*() {
 *     const verified = yield* Sns.verifyState(state, { session })
 *     return yield* Sns.exchangeCode(code, { binding: verified.binding })
 *   })
 * ```
 *
 * @since 0.1.0
 * @category endpoints
 */
export const exchangeCode: (
  code: string,
  options?: ExchangeOptions
) => Effect.Effect<SnsToken, WechatError, WechatConfig | HttpClient.HttpClient> = Span.plain(
  "Sns.exchangeCode",
  (code, options) => redeemOnce(code, options?.binding)
)

/**
 * Refreshes a web token (`sns/oauth2/refresh_token`). While the access token is valid,
 * WeChat returns the same token with a renewed expiry; the refresh token itself is never
 * extended (30 days from consent), after which this fails with `RefreshTokenInvalid`.
 *
 * WeChat sends `is_snapshotuser` only with the code exchange, and `unionid` may be left
 * out here: the refreshed token's `isSnapshotUser` is `false` and its `unionid` may be
 * `None` whatever the exchange said. Keep what the exchange told you about the user.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const refreshToken = Span.fn("Sns.refreshToken")(function*(refreshToken: Secret) {
  const refresh = yield* Validate.token("refreshToken", refreshToken)
  const config = yield* WechatConfig
  return yield* execute({
    endpoint: "sns/oauth2/refresh_token",
    method: "GET",
    query: { appid: config.appId, grant_type: "refresh_token", refresh_token: refresh }
  }, decodeToken)
})

/**
 * Checks a web token for an openid (`sns/auth`). Succeeds with nothing when valid;
 * fails with `AccessTokenInvalid` or `InvalidOpenid` otherwise.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const checkToken = Span.fn("Sns.checkToken")(function*(params: {
  readonly accessToken: Secret
  readonly openid: string
}) {
  yield* Validate.object("params", params, "must be an object with accessToken and openid")
  const accessToken = yield* Validate.token("accessToken", params.accessToken)
  const openid = yield* Validate.openid(params.openid)
  yield* execute({
    endpoint: "sns/auth",
    method: "GET",
    query: { access_token: accessToken, openid }
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
export const userInfo: (params: {
  readonly accessToken: Secret
  readonly openid: string
  readonly lang?: Lang | undefined
}) => Effect.Effect<SnsUserInfo, WechatError, WechatConfig | HttpClient.HttpClient> = Span.plain("Sns.userInfo", (params) => {
  // checked in place: no Effect step for a good input on every login's path
  // `params?.`: a plain-JS caller's missing object is an InvalidArgument too, not a throw
  const problem = Validate.tokenProblem("accessToken", params?.accessToken) ?? Validate.openidProblem(params?.openid) ??
    (params?.lang === undefined ? undefined : Validate.oneOfProblem("lang", params.lang, LANGS))
  if (problem !== undefined) return Effect.fail(problem)
  const accessToken = Validate.redactSecret(params.accessToken)
  return Effect.flatMap(WechatConfig, (config) =>
    execute({
      endpoint: "sns/userinfo",
      method: "GET",
      query: { access_token: accessToken, openid: params.openid, lang: params.lang ?? config.lang }
    }, decodeUserInfo))
})
