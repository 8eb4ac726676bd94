/**
 * WeChat's failures as tagged errors, one class per thing the caller does next.
 *
 * Every error carries an `action` that says what to do about it. WeChat's
 * `errcode`s map onto the classes through {@link errcodeTable}; the mapping
 * depends on the endpoint for a few codes (48001, 40001).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sns } from "effect-wechat"
 *
 * const login = (code: string) =>
 *   Sns.exchangeCode(code).pipe(
 *     Effect.catchTag("CodeAlreadyUsed", () => Effect.succeed(undefined)),
 *     Effect.catchTag("InvalidCode", () => Effect.succeed(undefined))
 *   )
 * ```
 *
 * @since 0.1.0
 */
import { Predicate, Schema } from "effect"
import * as Compat from "#compat"
import { CODE_EXCHANGES } from "./internal/endpoints.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("effect-wechat/WechatError")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * What the caller should do next.
 *
 * - `retry`: try again later (with backoff, or after the rate-limit window).
 * - `refresh-token`: get a new access token, then try once more.
 * - `reauthorize`: send the user through the consent page again.
 * - `fix-config`: an operator must fix the app's settings (secret, whitelist, permissions).
 * - `stop`: retrying will not help.
 *
 * @since 0.1.0
 * @category models
 */
export const Action = Compat.literals("retry", "refresh-token", "reauthorize", "fix-config", "stop")

/**
 * @since 0.1.0
 * @category models
 */
export type Action = typeof Action.Type

const errcodeFields = {
  errcode: Schema.Number,
  /** The raw `errmsg` WeChat sent, with its `rid`/`hints` suffix. */
  errmsg: Schema.String,
  /** The request id WeChat appended to `errmsg`, for support tickets. */
  rid: Schema.optional(Schema.String),
  /** The endpoint path, e.g. `sns/oauth2/access_token`. */
  endpoint: Schema.String,
  action: Action
}

const RID_SUFFIX = /,?\s*(?:rid:\s*([0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8})|hints?:\s*\[\s*(?:req_id:\s*)?([^\]]*?)\s*\])\s*$/

/**
 * Splits WeChat's `errmsg` into its base text and its request id. Handles the
 * ` rid: …`, `, rid: …`, ` hint: [ … ]` and `, hints: [ req_id: … ]` forms, and both at
 * once (`… hint: [ … ] rid: …`, seen on newer answers): the `rid:` wins.
 *
 * @since 0.1.0
 * @category utils
 */
export const splitErrmsg = (errmsg: string): { readonly text: string; readonly rid: string | undefined } => {
  let text = errmsg
  let rid: string | undefined
  // at most two suffixes, each short: matching only the tail keeps a hostile errmsg cheap
  for (let i = 0; i < 2; i++) {
    const offset = Math.max(0, text.length - 160)
    const match = RID_SUFFIX.exec(text.slice(offset))
    if (match === null) break
    const found = match[1] ?? match[2]
    if (rid === undefined && found !== undefined && found !== "") rid = found
    text = text.slice(0, offset + match.index)
  }
  return { text, rid }
}

const describe = (self: { readonly errcode: number; readonly errmsg: string; readonly rid?: string | undefined; readonly endpoint: string; readonly action: Action }) =>
  `WeChat ${self.endpoint} failed with errcode ${self.errcode}: ${splitErrmsg(self.errmsg).text}` +
  (self.rid === undefined ? "" : ` (rid ${self.rid})`) + ` [next: ${self.action}]`

/**
 * errcode -1: WeChat is busy. Retry with backoff.
 *
 * @since 0.1.0
 * @category errors
 */
export class SystemBusy extends Schema.TaggedError<SystemBusy>("effect-wechat/SystemBusy")("SystemBusy", errcodeFields) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string { return describe(this) }
}

/**
 * errcodes 40001, 40014, 42001: the access token is invalid, expired or not the latest.
 * Refresh it and try once more.
 *
 * @since 0.1.0
 * @category errors
 */
export class AccessTokenInvalid extends Schema.TaggedError<AccessTokenInvalid>("effect-wechat/AccessTokenInvalid")("AccessTokenInvalid", errcodeFields) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string { return describe(this) }
}

/**
 * errcodes 40029, 42003, 41008: the authorization code is invalid, expired, missing
 * or from another app. Send the user through consent again.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidCode extends Schema.TaggedError<InvalidCode>("effect-wechat/InvalidCode")("InvalidCode", errcodeFields) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string { return describe(this) }
}

/**
 * errcode 40163: the code was already redeemed. Often a duplicate callback: see the
 * idempotent exchange in the docs. Otherwise re-authorize.
 *
 * @since 0.1.0
 * @category errors
 */
export class CodeAlreadyUsed extends Schema.TaggedError<CodeAlreadyUsed>("effect-wechat/CodeAlreadyUsed")("CodeAlreadyUsed", errcodeFields) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string { return describe(this) }
}

/**
 * errcode 40226: a mini-program login blocked by WeChat's risk control. Not retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export class CodeBlocked extends Schema.TaggedError<CodeBlocked>("effect-wechat/CodeBlocked")("CodeBlocked", errcodeFields) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string { return describe(this) }
}

/**
 * errcodes 40030, 42002, 42007: the refresh token is invalid or expired (30 days from
 * consent, never extended), or the user changed their password. Re-authorize.
 *
 * @since 0.1.0
 * @category errors
 */
export class RefreshTokenInvalid extends Schema.TaggedError<RefreshTokenInvalid>("effect-wechat/RefreshTokenInvalid")("RefreshTokenInvalid", errcodeFields) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string { return describe(this) }
}

/**
 * errcode 40003: the openid does not belong to this app or token. A caller bug.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidOpenid extends Schema.TaggedError<InvalidOpenid>("effect-wechat/InvalidOpenid")("InvalidOpenid", errcodeFields) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string { return describe(this) }
}

/**
 * errcodes 48001, 50001: the API is not authorized. On `sns/userinfo` the token's scope
 * was `snsapi_base` or the user is a snapshot user (re-authorize with `snsapi_userinfo`);
 * elsewhere the account lacks the permission (fix the configuration).
 *
 * @since 0.1.0
 * @category errors
 */
export class ApiUnauthorized extends Schema.TaggedError<ApiUnauthorized>("effect-wechat/ApiUnauthorized")("ApiUnauthorized", errcodeFields) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string { return describe(this) }
}

/**
 * errcodes 40013, 40125, 40243, 41002, 41004 (and 40001 on `cgi-bin/token` and
 * `cgi-bin/stable_token`, which take the secret): wrong, frozen or missing appid/secret.
 *
 * @since 0.1.0
 * @category errors
 */
export class AppMisconfigured extends Schema.TaggedError<AppMisconfigured>("effect-wechat/AppMisconfigured")("AppMisconfigured", errcodeFields) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string { return describe(this) }
}

/**
 * errcodes 40164, 61004, 48017, 89501, 89503, 89506, 89507: the caller's IP is not in the
 * app's API IP whitelist, or awaits an administrator's confirmation. `ip` is the address
 * WeChat saw (often a NAT egress address, not the host's own).
 *
 * @since 0.1.0
 * @category errors
 */
export class IpNotWhitelisted extends Schema.TaggedError<IpNotWhitelisted>("effect-wechat/IpNotWhitelisted")("IpNotWhitelisted", {
  ...errcodeFields,
  ip: Schema.optional(Schema.String)
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string {
    return describe(this) + (this.ip === undefined ? "" : ` (add ${this.ip} to the API IP whitelist)`)
  }
}

/**
 * errcodes 45009 (`window: "day"`, stop for today) and 45011 (`window: "minute"`, retry
 * after the minute rolls over).
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimited extends Schema.TaggedError<RateLimited>("effect-wechat/RateLimited")("RateLimited", {
  ...errcodeFields,
  window: Compat.literals("minute", "day")
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string { return describe(this) }
}

/**
 * errcodes 48004, 50002: the account or user is restricted. Not retryable.
 *
 * @since 0.1.0
 * @category errors
 */
export class AccountRestricted extends Schema.TaggedError<AccountRestricted>("effect-wechat/AccountRestricted")("AccountRestricted", errcodeFields) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string { return describe(this) }
}

/**
 * errcodes 40002, 41001, 41003, 41009, 43001, 43002, 43003, 47001: WeChat rejected the
 * request's shape. A bug in the caller or in this library.
 *
 * @since 0.1.0
 * @category errors
 */
export class RequestRejected extends Schema.TaggedError<RequestRejected>("effect-wechat/RequestRejected")("RequestRejected", errcodeFields) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string { return describe(this) }
}

/**
 * errcodes 87009 (invalid signature) and 87007 (session_key does not exist or expired):
 * the `session_key` a request was signed with is no longer the user's current one (it
 * expired, or a newer `wx.login` replaced it). `MiniProgram.checkSessionKey` answers
 * `false` instead of failing; elsewhere, log the user in again.
 *
 * @since 0.2.0
 * @category errors
 */
export class SessionKeyInvalid extends Schema.TaggedError<SessionKeyInvalid>("effect-wechat/SessionKeyInvalid")("SessionKeyInvalid", errcodeFields) {
  /** @since 0.2.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.2.0 */
  override get message(): string { return describe(this) }
}

/**
 * Any errcode this library does not know. Not retried.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownWechatError extends Schema.TaggedError<UnknownWechatError>("effect-wechat/UnknownWechatError")("UnknownWechatError", errcodeFields) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string { return describe(this) }
}

/**
 * The request did not get a WeChat answer: a network error, a timeout, a non-2xx HTTP
 * status (WeChat reports its own errors with HTTP 200), a redirect (never followed) or an
 * answer larger than `WechatConfig.maxResponseBytes`. `sent` tells whether the
 * request may have reached WeChat; a request that was never sent is safe to repeat.
 *
 * @since 0.1.0
 * @category errors
 */
export class WechatTransportError extends Schema.TaggedError<WechatTransportError>("effect-wechat/WechatTransportError")("WechatTransportError", {
  endpoint: Schema.String,
  /**
   * `network` (no connection, reset), `timeout`, `status` (a non-2xx answer), `redirect`
   * (a 3xx, never followed) or `too-large` (an answer past `maxResponseBytes`).
   */
  reason: Compat.literals("network", "timeout", "status", "redirect", "too-large"),
  /** The HTTP status, for `reason: "status"` and `"redirect"`. */
  status: Schema.optional(Schema.Number),
  /** false when the connection was never made, so WeChat cannot have seen the request. */
  sent: Schema.Boolean,
  /** A description of the underlying failure, with secrets removed. */
  detail: Schema.String,
  action: Action
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string {
    return `WeChat ${this.endpoint} transport failure (${this.reason}${this.status === undefined ? "" : ` ${this.status}`}): ${this.detail} [next: ${this.action}]`
  }
}

/**
 * WeChat answered, but not with what the endpoint promises: an empty or non-JSON body, or
 * a success body missing fields.
 *
 * @since 0.1.0
 * @category errors
 */
export class WechatDecodeError extends Schema.TaggedError<WechatDecodeError>("effect-wechat/WechatDecodeError")("WechatDecodeError", {
  endpoint: Schema.String,
  /** What was wrong, without the body's secrets. */
  detail: Schema.String,
  action: Action
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string {
    return `WeChat ${this.endpoint} returned an unreadable body: ${this.detail} [next: ${this.action}]`
  }
}

/**
 * Local validation failed before anything was sent: a bad `state`, an empty code, a
 * relative redirect URI, a plain-http base URL to a non-loopback host.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidArgument extends Schema.TaggedError<InvalidArgument>("effect-wechat/InvalidArgument")("InvalidArgument", {
  /** The argument's name, e.g. `state`. */
  argument: Schema.String,
  /** Why it was refused. */
  reason: Schema.String,
  action: Action
}) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  override get message(): string { return `Invalid ${this.argument}: ${this.reason}` }
}

/**
 * The `state` of a login callback did not verify (`Sns.verifyState`), so the callback is
 * not the one this browser's login started: never exchange its code.
 *
 * - `malformed`: not a state this library made (wrong characters, length or version);
 * - `tampered`: its signature does not verify under any configured state key;
 * - `expired`: older than its time to live (default 10 minutes);
 * - `other-session`: bound to another session, or presented without one (a login-CSRF or
 *   replay attempt), or an unbound (cookieless) state where a session binding was expected.
 *
 * The action is `reauthorize`: start the login again.
 *
 * @since 0.2.0
 * @category errors
 */
export class InvalidState extends Schema.TaggedError<InvalidState>("effect-wechat/InvalidState")("InvalidState", {
  reason: Compat.literals("malformed", "tampered", "expired", "other-session"),
  action: Action
}) {
  /** @since 0.2.0 */
  override get message(): string {
    return `Invalid login state (${this.reason}): start the login again [next: ${this.action}]`
  }
}

/**
 * @since 0.2.0
 * @category guards
 */
export const isInvalidState = (u: unknown): u is InvalidState => u instanceof InvalidState

/**
 * An error that carries a WeChat `errcode`.
 *
 * @since 0.1.0
 * @category models
 */
export type ErrcodeError =
  | SystemBusy
  | AccessTokenInvalid
  | InvalidCode
  | CodeAlreadyUsed
  | CodeBlocked
  | RefreshTokenInvalid
  | InvalidOpenid
  | ApiUnauthorized
  | AppMisconfigured
  | IpNotWhitelisted
  | RateLimited
  | AccountRestricted
  | RequestRejected
  | SessionKeyInvalid
  | UnknownWechatError

/**
 * Every error an endpoint of this library can fail with.
 *
 * @since 0.1.0
 * @category models
 */
export type WechatError = ErrcodeError | WechatTransportError | WechatDecodeError | InvalidArgument

/**
 * The schema of {@link WechatError}, e.g. to persist or send an error.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WechatError = Compat.union(
  SystemBusy,
  AccessTokenInvalid,
  InvalidCode,
  CodeAlreadyUsed,
  CodeBlocked,
  RefreshTokenInvalid,
  InvalidOpenid,
  ApiUnauthorized,
  AppMisconfigured,
  IpNotWhitelisted,
  RateLimited,
  AccountRestricted,
  RequestRejected,
  SessionKeyInvalid,
  UnknownWechatError,
  WechatTransportError,
  WechatDecodeError,
  InvalidArgument
)

/**
 * @since 0.1.0
 * @category guards
 */
export const isWechatError = (u: unknown): u is WechatError => Predicate.hasProperty(u, TypeId)

/**
 * The tag of an errcode error.
 *
 * @since 0.1.0
 * @category models
 */
export type ErrcodeTag = ErrcodeError["_tag"]

/**
 * One row of the errcode table: which tag and action a code gets, and where the action
 * differs by endpoint.
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrcodeRule {
  readonly errcodes: ReadonlyArray<number>
  readonly tag: ErrcodeTag
  readonly action: Action
  /** Endpoint-specific overrides: endpoint path → tag and action. */
  readonly on?: Readonly<Record<string, { readonly tag: ErrcodeTag; readonly action: Action; readonly why: string }>>
  readonly note: string
}

const SECRET_ENDPOINTS_40001 = {
  tag: "AppMisconfigured",
  action: "fix-config",
  why: "this endpoint takes the AppSecret, not a token, so 40001 means the appid/secret (or the IP whitelist) is wrong"
} as const

/** On a code exchange, a retry would send a single-use code twice: consent again instead. */
const onCodeExchanges = <T extends ErrcodeTag>(tag: T, why: string) =>
  Object.fromEntries([...CODE_EXCHANGES].map((endpoint) => [endpoint, { tag, action: "reauthorize" as const, why }]))

/**
 * The errcode → tag → action table. `docs/errors.md` is generated from it.
 *
 * @since 0.1.0
 * @category mapping
 */
export const errcodeTable: ReadonlyArray<ErrcodeRule> = [
  {
    errcodes: [-1],
    tag: "SystemBusy",
    action: "retry",
    on: onCodeExchanges("SystemBusy", "the code may be spent and is never sent twice: send the user through consent again"),
    note: "System busy; retry with backoff."
  },
  {
    errcodes: [40001],
    tag: "AccessTokenInvalid",
    action: "refresh-token",
    on: {
      "cgi-bin/token": SECRET_ENDPOINTS_40001,
      "cgi-bin/stable_token": SECRET_ENDPOINTS_40001,
      "sns/oauth2/access_token": SECRET_ENDPOINTS_40001,
      "sns/jscode2session": SECRET_ENDPOINTS_40001
    },
    note: "Access token invalid or not the latest (another process may have rotated it); refresh it and try once more."
  },
  {
    errcodes: [40014, 42001],
    tag: "AccessTokenInvalid",
    action: "refresh-token",
    note: "Access token invalid or expired; refresh it and try once more."
  },
  { errcodes: [40029, 42003, 41008], tag: "InvalidCode", action: "reauthorize", note: "Code invalid, expired, missing or issued to another app." },
  { errcodes: [40163], tag: "CodeAlreadyUsed", action: "reauthorize", note: "Code already redeemed; check for a duplicate callback." },
  { errcodes: [40226], tag: "CodeBlocked", action: "stop", note: "Mini-program login blocked by risk control." },
  { errcodes: [40030, 42002, 42007], tag: "RefreshTokenInvalid", action: "reauthorize", note: "Refresh token invalid or expired (30 days, never extended), or the user changed password." },
  { errcodes: [40003], tag: "InvalidOpenid", action: "stop", note: "The openid belongs to another app or user: a caller bug." },
  {
    errcodes: [48001, 50001],
    tag: "ApiUnauthorized",
    action: "fix-config",
    on: {
      "sns/userinfo": {
        tag: "ApiUnauthorized",
        action: "reauthorize",
        why: "the token's scope was snsapi_base, or the user is a snapshot user: authorize again with snsapi_userinfo"
      }
    },
    note: "API not authorized for this account or token."
  },
  { errcodes: [40013, 40125, 40243, 41002, 41004], tag: "AppMisconfigured", action: "fix-config", note: "AppID or AppSecret wrong, frozen or missing." },
  { errcodes: [40164, 61004, 48017, 89501, 89503, 89506, 89507], tag: "IpNotWhitelisted", action: "fix-config", note: "Caller IP not whitelisted or awaiting admin confirmation; the error shows the IP WeChat saw." },
  {
    errcodes: [45011],
    tag: "RateLimited",
    action: "retry",
    on: onCodeExchanges("RateLimited", "the code is never sent twice; after the minute, send the user through consent again"),
    note: "Minute quota reached (`window: \"minute\"`); retry after the minute rolls over."
  },
  { errcodes: [45009], tag: "RateLimited", action: "stop", note: "Daily quota reached (`window: \"day\"`); do not retry today." },
  { errcodes: [48004, 50002], tag: "AccountRestricted", action: "stop", note: "Account or user restricted." },
  { errcodes: [40002, 41001, 41003, 41009, 43001, 43002, 43003, 47001], tag: "RequestRejected", action: "stop", note: "Malformed request: a bug in the caller or the library." },
  // mini program (docs/miniprogram.md §5)
  {
    errcodes: [87009],
    tag: "SessionKeyInvalid",
    action: "reauthorize",
    note: "Invalid signature: the session_key it was made with is not the user's current one (expired, or replaced by a newer `wx.login`), or it was computed wrongly. `MiniProgram.checkSessionKey` answers `false`; elsewhere log the user in again."
  },
  { errcodes: [87007], tag: "SessionKeyInvalid", action: "reauthorize", note: "The session_key does not exist or expired (documented on `wxa/getuserencryptkey`); log the user in again." },
  { errcodes: [87008], tag: "RequestRejected", action: "stop", note: "Invalid `sig_method` (only `hmac_sha256` exists): a bug in the caller or the library." },
  { errcodes: [40234], tag: "AppMisconfigured", action: "fix-config", note: "Invalid request signature in the API-security mode (`Wechatmp-Signature`), which this library does not use: turn the mode off for the endpoint, or sign as configured." }
]

const byErrcode: ReadonlyMap<number, ErrcodeRule> = new Map(
  errcodeTable.flatMap((rule) => rule.errcodes.map((code) => [code, rule] as const))
)

const IP_IN_ERRMSG = /invalid ip ([0-9a-fA-F.:]+)/

/**
 * Builds the typed error for an errcode response of `endpoint`.
 *
 * @since 0.1.0
 * @category mapping
 */
export const fromErrcode = (endpoint: string, errcode: number, errmsg: string): ErrcodeError => {
  const rule = byErrcode.get(errcode)
  const override = rule?.on?.[endpoint]
  const tag: ErrcodeTag = override?.tag ?? rule?.tag ?? "UnknownWechatError"
  const action: Action = override?.action ?? rule?.action ?? "stop"
  const { rid } = splitErrmsg(errmsg)
  const fields = { errcode, errmsg, endpoint, action, ...(rid === undefined ? {} : { rid }) }
  switch (tag) {
    case "SystemBusy": return new SystemBusy(fields)
    case "AccessTokenInvalid": return new AccessTokenInvalid(fields)
    case "InvalidCode": return new InvalidCode(fields)
    case "CodeAlreadyUsed": return new CodeAlreadyUsed(fields)
    case "CodeBlocked": return new CodeBlocked(fields)
    case "RefreshTokenInvalid": return new RefreshTokenInvalid(fields)
    case "InvalidOpenid": return new InvalidOpenid(fields)
    case "ApiUnauthorized": return new ApiUnauthorized(fields)
    case "AppMisconfigured": return new AppMisconfigured(fields)
    case "IpNotWhitelisted": {
      const ip = IP_IN_ERRMSG.exec(errmsg)?.[1]
      return new IpNotWhitelisted({ ...fields, ...(ip === undefined ? {} : { ip }) })
    }
    case "RateLimited": return new RateLimited({ ...fields, window: errcode === 45009 ? "day" : "minute" })
    case "AccountRestricted": return new AccountRestricted(fields)
    case "RequestRejected": return new RequestRejected(fields)
    case "SessionKeyInvalid": return new SessionKeyInvalid(fields)
    case "UnknownWechatError": return new UnknownWechatError(fields)
  }
}
