/**
 * The fake WeChat's data: apps, users, faults and options.
 * @internal
 */
import { Data } from "effect"

/** An app registered with the fake. */
export interface AppInput {
  readonly appId: string
  readonly appSecret: string
  /** Web-authorization domains (hostnames) that `redirect_uri` must match exactly. */
  readonly authorizedDomains?: ReadonlyArray<string> | undefined
  /** API IP whitelist (single IPs or IPv4 CIDR); absent = whitelist off. */
  readonly ipWhitelist?: ReadonlyArray<string> | undefined
  /** Bound to an open-platform account, so `unionid` is returned. */
  readonly openPlatform?: boolean | undefined
  /** Display name on the consent page. */
  readonly name?: string | undefined
}

/** A user: one WeChat account, with an openid per app. */
export interface UserInput {
  readonly id?: string | undefined
  readonly nickname: string
  readonly headImgUrl?: string | undefined
  /** A snapshot-page virtual user: `is_snapshotuser: 1`, virtual ids, userinfo refused. */
  readonly snapshot?: boolean | undefined
  /** Fixed openids per appId (otherwise derived from the user and app). */
  readonly openids?: Readonly<Record<string, string>> | undefined
  readonly unionid?: string | undefined
}

/** A registered user, as the control API returns it. */
export interface FakeUser {
  readonly id: string
  readonly nickname: string
  readonly headImgUrl: string
  readonly snapshot: boolean
  readonly unionid: string
  readonly openids: Readonly<Record<string, string>>
}

/** A registered app. */
export interface FakeApp {
  readonly appId: string
  readonly appSecret: string
  readonly authorizedDomains: ReadonlyArray<string>
  readonly ipWhitelist: ReadonlyArray<string> | undefined
  readonly openPlatform: boolean
  readonly name: string
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
  /** The caller IP the in-memory client reports (the server uses the socket's). */
  readonly callerIp?: string | undefined
}

export const defaultLifetimes: Lifetimes = {
  oauthCode: 300,
  qrCode: 600,
  jsCode: 300,
  webToken: 7200,
  refreshToken: 30 * 24 * 3600,
  basicToken: 7200,
  ticket: 7200,
  overlap: 300
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
  readonly query: Readonly<Record<string, string>>
  readonly body: string
  readonly ip: string
}

/** An answer, or a connection reset. */
export type FakeResponse =
  | { readonly _tag: "Response"; readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string }
  | { readonly _tag: "Reset" }
