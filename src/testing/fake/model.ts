/**
 * The fake WeChat's data: apps, users, faults and options.
 * @internal
 */
import { Data } from "effect"

/** What kind of WeChat account an appid belongs to. */
export type AppKind = "official-account" | "website" | "mini-program"

/** The web-authorization scopes. */
export type Scope = "snsapi_base" | "snsapi_userinfo" | "snsapi_login"

/** An app registered with the fake. */
export interface AppInput {
  readonly appId: string
  readonly appSecret: string
  /**
   * `official-account` (服务号: `connect/oauth2/authorize`, JS-SDK), `website` (网站应用:
   * `connect/qrconnect`) or `mini-program` (`jscode2session`). Omitted: the appid answers as
   * all three, which WeChat never does; give a kind to be refused as WeChat would.
   */
  readonly kind?: AppKind | ReadonlyArray<AppKind> | undefined
  /** A verified (认证) account; default `true`. Unverified accounts hold no web-authorization scope. */
  readonly verified?: boolean | undefined
  /**
   * The web-authorization scopes the account holds. Default: `snsapi_base` and
   * `snsapi_userinfo` for an official account, `snsapi_login` for a website app, none for a
   * mini-program; none at all when unverified.
   */
  readonly permissions?: ReadonlyArray<Scope> | undefined
  /**
   * Web-authorization domains, `host` or `host:port` (test accounts use `IP:port`). A domain
   * without a port matches only the scheme's default port; one with a path never matches.
   */
  readonly authorizedDomains?: ReadonlyArray<string> | undefined
  /**
   * API IP whitelist: single IPv4 addresses, CIDR blocks (`10.0.0.0/8`) and, for
   * mini-programs, `x.x.x.*`; absent = whitelist off. An official account's covers calls
   * made with its AppSecret or `access_token`; a mini-program's only AppSecret-bearing ones.
   */
  readonly ipWhitelist?: ReadonlyArray<string> | undefined
  /** Bound to an open-platform account, so `unionid` is returned. */
  readonly openPlatform?: boolean | undefined
  /** Display name on the consent page. */
  readonly name?: string | undefined
  /** Deliver every consent's callback twice, as WeChat's in-app browser sometimes does. */
  readonly duplicateCallbacks?: boolean | undefined
}

/** A user: one WeChat account, with an openid per app. */
export interface UserInput {
  readonly id?: string | undefined
  readonly nickname: string
  readonly headImgUrl?: string | undefined
  /**
   * A user who lands on the snapshot page (快照页) when a page asks for `snsapi_userinfo`:
   * that consent yields `is_snapshotuser: 1`, a virtual openid and unionid, and userinfo
   * is refused. `snsapi_base` is unaffected.
   */
  readonly snapshot?: boolean | undefined
  /** Fixed openids per appId (otherwise derived from the user and app). */
  readonly openids?: Readonly<Record<string, string>> | undefined
  readonly unionid?: string | undefined
  /** The bound phone number without country code; default one derived from the id (`139…`). */
  readonly phoneNumber?: string | undefined
  /** Default `"86"`. */
  readonly countryCode?: string | undefined
}

/** A registered user, as the control API returns it. */
export interface FakeUser {
  readonly id: string
  readonly nickname: string
  readonly headImgUrl: string
  readonly snapshot: boolean
  readonly unionid: string
  readonly openids: Readonly<Record<string, string>>
  /** As the phone-number API answers it: with `+countryCode` outside mainland China. */
  readonly phoneNumber: string
  readonly purePhoneNumber: string
  readonly countryCode: string
}

/** A registered app. */
export interface FakeApp {
  readonly appId: string
  readonly appSecret: string
  readonly kinds: ReadonlyArray<AppKind>
  readonly verified: boolean
  /** The scopes the account holds now (none when unverified). */
  readonly permissions: ReadonlyArray<Scope>
  readonly authorizedDomains: ReadonlyArray<string>
  readonly ipWhitelist: ReadonlyArray<string> | undefined
  readonly openPlatform: boolean
  readonly name: string
  readonly duplicateCallbacks: boolean
}

/** What can go wrong on the way to an endpoint. */
export type Fault =
  | { readonly fault: "latency"; readonly millis: number }
  | { readonly fault: "reset" }
  | { readonly fault: "status"; readonly status?: number | undefined }
  | { readonly fault: "empty" }
  | { readonly fault: "truncated" }
  | { readonly fault: "errcode"; readonly errcode?: number | undefined; readonly errmsg?: string | undefined }
  | { readonly fault: "busy" }
  | { readonly fault: "rateLimit" }
  | { readonly fault: "controlChars" }

/** How often a fault fires: the next `times` calls, or a fraction of calls. */
export type FaultSchedule = { readonly times?: number | undefined; readonly probability?: number | undefined }

/** Durations in seconds. */
export interface Lifetimes {
  readonly oauthCode: number
  readonly qrCode: number
  readonly jsCode: number
  readonly webToken: number
  readonly refreshToken: number
  readonly basicToken: number
  readonly ticket: number
  /** How long a replaced basic token keeps working. */
  readonly overlap: number
  /** How long a QR code on the PC login page can be scanned (the fake's choice). */
  readonly qrLogin: number
  /** A phone code from the `getPhoneNumber` button (5 minutes). */
  readonly phoneCode: number
  /** A mini-program user's session_key (WeChat publishes none; the fake's choice: 3 days). */
  readonly sessionKey: number
}

/** Call limits per window; keys are endpoint paths (`cgi-bin/stable_token#force` for force refreshes). */
export interface Quotas {
  /** Calls per day per app. */
  readonly daily: Readonly<Record<string, number>>
  /** Calls per minute per app. */
  readonly minute: Readonly<Record<string, number>>
  /** Calls per minute per app and user (`sns/jscode2session`: 100). */
  readonly userMinute: Readonly<Record<string, number>>
}

/** Options of the fake. Everything has a WeChat-like default. */
export interface Options {
  readonly apps?: ReadonlyArray<AppInput> | undefined
  readonly users?: ReadonlyArray<UserInput> | undefined
  readonly lifetimes?: Partial<Lifetimes> | undefined
  /** Calls per day per app (cgi-bin/token 2000, stable_token 500000, force refresh 20). */
  readonly dailyQuota?: Readonly<Record<string, number>> | undefined
  /** Calls per minute per app and endpoint. */
  readonly minuteQuota?: Readonly<Record<string, number>> | undefined
  /** Calls per minute per app, user and endpoint (`sns/jscode2session`: 100). */
  readonly userMinuteQuota?: Readonly<Record<string, number>> | undefined
  /** The caller IP the in-memory client reports (the server uses the socket's). */
  readonly callerIp?: string | undefined
  /**
   * When `wx.login` (a new `js_code`) replaces a mini-program user's session_key:
   * `every-login` (default) or `when-expired`. WeChat says a login *may* replace it, with a
   * minimum period: the two settings are the two ends.
   */
  readonly sessionKeyRotation?: "every-login" | "when-expired" | undefined
}

export const defaultLifetimes: Lifetimes = {
  oauthCode: 300,
  qrCode: 600,
  jsCode: 300,
  webToken: 7200,
  refreshToken: 30 * 24 * 3600,
  basicToken: 7200,
  ticket: 7200,
  overlap: 300,
  qrLogin: 300,
  phoneCode: 300,
  sessionKey: 3 * 24 * 3600
}

export const defaultDailyQuota: Readonly<Record<string, number>> = {
  "cgi-bin/token": 2000,
  "cgi-bin/stable_token": 500_000,
  "cgi-bin/stable_token#force": 20
}

export const defaultMinuteQuota: Readonly<Record<string, number>> = {
  "sns/oauth2/access_token": 50_000,
  "sns/oauth2/refresh_token": 50_000,
  "sns/userinfo": 50_000,
  "cgi-bin/stable_token": 10_000
}

export const defaultUserMinuteQuota: Readonly<Record<string, number>> = {
  "sns/jscode2session": 100
}

/** A control-API call the fake cannot honour (unknown app or user, bad argument). */
export class FakeWechatError extends Data.TaggedError("FakeWechatError")<{ readonly reason: string }> {
  override get message(): string {
    return `FakeWechat: ${this.reason}`
  }
}

/** A request as the emulator sees it. */
export interface FakeRequest {
  readonly method: string
  readonly path: string
  /** The query, in the order the URL gives it. */
  readonly query: Readonly<Record<string, string>>
  readonly body: string
  readonly ip: string
  /** `http://host:port` the request was sent to, for links back to the fake. */
  readonly origin: string
}

/** An answer, or a connection reset. */
export type FakeResponse =
  | { readonly _tag: "Response"; readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string }
  | { readonly _tag: "Reset" }
