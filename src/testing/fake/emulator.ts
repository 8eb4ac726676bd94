/**
 * The fake WeChat's state: apps, users, codes, grants, tokens, QR logins, faults, quotas
 * and its clock, and the request entry point that routes to the endpoints (sns.ts,
 * basic.ts). Time is Effect's `Clock` plus an offset the control API can advance.
 * @internal
 */
import { Clock, Effect, Random } from "effect"
import { randomBytes } from "node:crypto"
import { ipAllowed, toApp } from "./apps.js"
import { basicEndpoints } from "./basic.js"
import {
  type AppInput,
  defaultDailyQuota,
  defaultLifetimes,
  defaultMinuteQuota,
  defaultUserMinuteQuota,
  type FakeApp,
  type FakeRequest,
  type FakeResponse,
  type FakeUser,
  FakeWechatError,
  type Fault,
  type FaultSchedule,
  type Lifetimes,
  type Options,
  type Scope,
  type UserInput
} from "./model.js"
import { miniProgramEndpoints, phoneOf } from "./miniprogram.js"
import { snsEndpoints } from "./sns.js"
import { derive, errorWriter, json, token } from "./wire.js"

/**
 * Where a code came from: a consent page (`oauth2`, `qrconnect`), `wx.login` (`jscode`) or
 * the mini program's `getPhoneNumber` button (`phone`).
 */
export type CodeKind = "oauth2" | "qrconnect" | "jscode" | "phone"

export interface Code {
  readonly appId: string
  readonly userId: string
  readonly scope: Scope
  readonly kind: CodeKind
  /** Issued on the snapshot page: virtual ids, `is_snapshotuser: 1`. */
  readonly snapshot: boolean
  readonly expiresAt: number
  used: boolean
}

export interface Grant {
  readonly appId: string
  readonly userId: string
  readonly scope: Scope
  readonly snapshot: boolean
  readonly refreshToken: string
  readonly expiresAt: number
  accessToken: string
}

export interface WebToken {
  readonly grant: Grant
  expiresAt: number
}

export interface BasicToken {
  readonly appId: string
  expiresAt: number
  /** Replaced by a newer token: after its overlap it is "not latest" (40001). */
  retired: boolean
}

export interface Stable {
  token: string
  lastForceAt: number
  /** The token it replaced, still in its overlap. */
  previous: string | undefined
}

/** A QR code shown on a PC login page, and what the phone did with it. */
export interface QrLogin {
  readonly uuid: string
  readonly appId: string
  readonly redirectUri: string
  readonly state: string
  readonly expiresAt: number
  status: "waiting" | "scanned" | "confirmed" | "cancelled"
  userId: string | undefined
  /** Where the PC page goes once confirmed, and how many times. */
  location: string | undefined
  deliveries: 1 | 2
}

interface ArmedFault {
  readonly endpoint: string
  readonly fault: Fault
  remaining: number | undefined
  readonly probability: number | undefined
}

const FAULTS: ReadonlySet<string> = new Set([
  "latency",
  "reset",
  "status",
  "empty",
  "truncated",
  "errcode",
  "busy",
  "rateLimit",
  "controlChars"
])

const normalize = (endpoint: string) => endpoint.replace(/^\/+/, "")

/** The emulator: one per fake WeChat. */
export class Emulator {
  readonly apps = new Map<string, FakeApp>()
  readonly users = new Map<string, FakeUser>()
  readonly lifetimes: { -readonly [K in keyof Lifetimes]: Lifetimes[K] }
  readonly quotas: {
    readonly daily: Record<string, number>
    readonly minute: Record<string, number>
    readonly userMinute: Record<string, number>
  }
  callerIp: string
  /** Added to Effect's clock: what `advanceClock` moves. */
  clockOffset = 0

  readonly codes = new Map<string, Code>()
  readonly grants = new Map<string, Grant>()
  readonly webTokens = new Map<string, WebToken>()
  readonly basicTokens = new Map<string, BasicToken>()
  readonly classic = new Map<string, string>()
  readonly stable = new Map<string, Stable>()
  readonly tickets = new Map<string, { readonly appId: string; readonly type: string; ticket: string; expiresAt: number }>()
  readonly qrLogins = new Map<string, QrLogin>()
  /** `appId userId` pairs whose consent the user withdrew. */
  readonly revoked = new Set<string>()
  /** Each mini-program user's current session_key, by `appId userId`. */
  readonly sessionKeys = new Map<string, { readonly key: string; readonly expiresAt: number }>()
  readonly sessionKeyRotation: "every-login" | "when-expired"
  readonly calls = new Map<string, number>()
  readonly faults: Array<ArmedFault> = []
  private readonly counters = new Map<string, number>()
  private userSeq = 0

  /** An error as WeChat sends it: HTTP 200, text/plain, a rid suffix in either form. */
  readonly error = errorWriter()

  /** The fake's time: Effect's clock (so `TestClock` drives it) plus the control API's offset. */
  readonly now: Effect.Effect<number> = Effect.map(Clock.currentTimeMillis, (t) => t + this.clockOffset)

  constructor(options: Options = {}) {
    this.lifetimes = { ...defaultLifetimes, ...options.lifetimes }
    this.quotas = {
      daily: { ...defaultDailyQuota, ...options.dailyQuota },
      minute: { ...defaultMinuteQuota, ...options.minuteQuota },
      userMinute: { ...defaultUserMinuteQuota, ...options.userMinuteQuota }
    }
    this.callerIp = options.callerIp ?? "127.0.0.1"
    this.sessionKeyRotation = options.sessionKeyRotation ?? "every-login"
  }

  // ---- control -------------------------------------------------------------

  addApp(input: AppInput): Effect.Effect<FakeApp, FakeWechatError> {
    return Effect.suspend(() => {
      const app = toApp(input)
      if (typeof app === "string") return Effect.fail(new FakeWechatError({ reason: app }))
      this.apps.set(app.appId, app)
      return Effect.succeed(app)
    })
  }

  addUser(input: UserInput): FakeUser {
    const id = input.id ?? `user${++this.userSeq}`
    const user: FakeUser = {
      id,
      nickname: input.nickname,
      headImgUrl: input.headImgUrl ?? "",
      snapshot: input.snapshot ?? false,
      unionid: input.unionid ?? `o${derive("unionid", id)}`,
      openids: input.openids ?? {},
      ...phoneOf(id, input)
    }
    this.users.set(id, user)
    return user
  }

  app(appId: string): Effect.Effect<FakeApp, FakeWechatError> {
    const app = this.apps.get(appId)
    return app === undefined ? Effect.fail(new FakeWechatError({ reason: `unknown app ${appId}` })) : Effect.succeed(app)
  }

  user(userId: string): Effect.Effect<FakeUser, FakeWechatError> {
    const user = this.users.get(userId)
    return user === undefined ? Effect.fail(new FakeWechatError({ reason: `unknown user ${userId}` })) : Effect.succeed(user)
  }

  /** The user's openid in an app; a snapshot consent gets a virtual one. */
  openidOf(appId: string, user: FakeUser, snapshot = false): string {
    return snapshot ? `o${derive("openid", appId, user.id, "snapshot")}` : user.openids[appId] ?? `o${derive("openid", appId, user.id)}`
  }

  unionidOf(user: FakeUser, snapshot: boolean): string {
    return snapshot ? `o${derive("unionid", user.id, "snapshot")}` : user.unionid
  }

  /** A fresh single-use code for a known app and user. Permission checks are the caller's. */
  issue(params: { readonly appId: string; readonly userId: string; readonly scope: Scope; readonly kind: CodeKind }): Effect.Effect<string, FakeWechatError> {
    return Effect.all([this.app(params.appId), this.user(params.userId), this.now]).pipe(
      Effect.map(([, user, now]) => {
        const seconds = params.kind === "qrconnect" ? this.lifetimes.qrCode : params.kind === "jscode" ? this.lifetimes.jsCode : this.lifetimes.oauthCode
        const code = randomBytes(16).toString("hex")
        // the snapshot page replaces only the snsapi_userinfo consent
        const snapshot = user.snapshot && params.kind === "oauth2" && params.scope === "snsapi_userinfo"
        this.codes.set(code, { ...params, snapshot, expiresAt: now + seconds * 1000, used: false })
        // a new consent grants the app again
        if (params.kind !== "jscode") this.revoked.delete(`${params.appId} ${params.userId}`)
        return code
      })
    )
  }

  callCount(endpoint: string): number {
    return this.calls.get(normalize(endpoint)) ?? 0
  }

  /** Why a fault cannot be injected, or `undefined` when it can. */
  static checkFault(fault: Fault & FaultSchedule): string | undefined {
    if (!FAULTS.has(fault.fault)) return `unknown fault ${String(fault.fault)}`
    if (fault.probability !== undefined && !(fault.probability >= 0 && fault.probability <= 1)) {
      return "probability must be between 0 and 1"
    }
    if (fault.times !== undefined && !(Number.isInteger(fault.times) && fault.times >= 0)) return "times must be a whole number"
    if (fault.fault === "latency" && !(fault.millis >= 0)) return "latency needs millis >= 0"
    if (fault.fault === "status" && fault.status !== undefined && !(Number.isInteger(fault.status) && fault.status >= 200 && fault.status <= 599)) {
      return "status must be an HTTP status from 200 to 599"
    }
    return undefined
  }

  inject(endpoint: string, fault: Fault & FaultSchedule): void {
    this.faults.push({
      endpoint: normalize(endpoint),
      fault,
      remaining: fault.probability === undefined ? (fault.times ?? 1) : fault.times,
      probability: fault.probability
    })
  }

  clearFaults(): void {
    this.faults.length = 0
  }

  // ---- requests --------------------------------------------------------------

  handle(request: FakeRequest): Effect.Effect<FakeResponse> {
    const endpoint = normalize(request.path)
    return Effect.suspend(() => {
      this.calls.set(endpoint, this.callCount(endpoint) + 1)
      return this.nextFault(endpoint)
    }).pipe(Effect.flatMap((fault) => {
      if (fault === undefined) return this.route(endpoint, request)
      if (fault.fault === "latency") return Effect.andThen(Effect.sleep(fault.millis), this.route(endpoint, request))
      return Effect.succeed(this.faultResponse(endpoint, fault))
    }))
  }

  /** The first armed fault for `endpoint` that fires (a probability fault may not), used up by one. */
  private nextFault(endpoint: string): Effect.Effect<Fault | undefined> {
    const armed = this.faults.filter((f) => f.endpoint === endpoint && (f.remaining === undefined || f.remaining > 0))
    const pick = (i: number): Effect.Effect<Fault | undefined> => {
      const next = armed[i]
      if (next === undefined) return Effect.succeed(undefined)
      const fire = () => {
        if (next.remaining !== undefined) next.remaining--
        return Effect.succeed<Fault | undefined>(next.fault)
      }
      const probability = next.probability
      return probability === undefined ? fire() : Effect.flatMap(Random.next, (r) => (r < probability ? fire() : pick(i + 1)))
    }
    return pick(0)
  }

  private faultResponse(endpoint: string, fault: Exclude<Fault, { fault: "latency" }>): FakeResponse {
    switch (fault.fault) {
      case "reset":
        return { _tag: "Reset" }
      case "status":
        return { _tag: "Response", status: fault.status ?? 502, headers: { "content-type": "text/html" }, body: "<html><body>502 Bad Gateway</body></html>" }
      case "empty":
        return { _tag: "Response", status: 200, headers: { "content-type": "text/html; charset=gbk", "content-length": "0" }, body: "" }
      case "truncated":
        return json(`{"access_token":"${token("99")}","expires_in":72`, "text/plain")
      case "errcode":
        return this.error(fault.errcode ?? 99999, fault.errmsg ?? "unknown error injected by FakeWechat")
      case "busy":
        return this.error(-1, "system error")
      case "rateLimit":
        return this.error(45011, "api minute-quota reach limit, must slower, retry next minute")
      case "controlChars":
        return json(
          `{"openid":"o-control","nickname":"\u0007bell\u0014\u0000","sex":0,"province":"","city":"","country":"","headimgurl":"","privilege":[]}`,
          "text/plain"
        )
    }
    return this.error(-1, `fault on ${endpoint}`)
  }

  private route(endpoint: string, request: FakeRequest): Effect.Effect<FakeResponse> {
    const handler = snsEndpoints[endpoint] ?? basicEndpoints[endpoint] ?? miniProgramEndpoints[endpoint]
    return handler === undefined
      ? Effect.succeed({ _tag: "Response", status: 404, headers: { "content-type": "text/html" }, body: "<html>404 Not Found</html>" })
      : handler(this, request)
  }

  ipError(ip: string): FakeResponse {
    const v4 = ip.replace(/^::ffff:/, "")
    return this.error(40164, `invalid ip ${v4} ipv6 ::ffff:${v4}, not in whitelist`)
  }

  /** Counts a call against `limit` in the current window of `windowMs`: whether it is over. */
  private count(key: string, limit: number | undefined, windowMs: number, now: number): boolean {
    if (limit === undefined) return false
    const k = `${key}:${Math.floor(now / windowMs)}`
    const n = (this.counters.get(k) ?? 0) + 1
    this.counters.set(k, n)
    return n > limit
  }

  /** The app's daily and minute quotas for `key`: the error when one is exhausted. */
  countQuota(appId: string, key: string): Effect.Effect<FakeResponse | undefined> {
    return Effect.map(this.now, (now) => {
      if (this.count(`day:${appId}:${key}`, this.quotas.daily[key], 86_400_000, now)) {
        return this.error(45009, "reach max api daily quota limit")
      }
      if (this.count(`min:${appId}:${key}`, this.quotas.minute[key], 60_000, now)) {
        return this.error(45011, "api minute-quota reach limit, must slower, retry next minute")
      }
      return undefined
    })
  }

  /** The per-user minute quota for `key` (`sns/jscode2session`: 100 a minute per user). */
  countUserQuota(appId: string, userId: string, key: string): Effect.Effect<FakeResponse | undefined> {
    return Effect.map(this.now, (now) =>
      this.count(`user:${appId}:${userId}:${key}`, this.quotas.userMinute[key], 60_000, now)
        ? this.error(45011, "api minute-quota reach limit mustslower retry next minute")
        : undefined)
  }

  /** appid → secret → IP whitelist → quotas, in WeChat's order: the app, or the error. */
  gate(
    endpoint: string,
    request: FakeRequest,
    params: { readonly appid: string | undefined; readonly secret?: string | undefined; readonly needsSecret: boolean }
  ): Effect.Effect<FakeApp | FakeResponse> {
    return Effect.suspend(() => {
      if (params.appid === undefined || params.appid === "") return Effect.succeed(this.error(41002, "appid missing"))
      const app = this.apps.get(params.appid)
      if (app === undefined) return Effect.succeed(this.error(40013, "invalid appid"))
      if (params.needsSecret) {
        if (params.secret === undefined || params.secret === "") return Effect.succeed(this.error(41004, "appsecret missing"))
        if (params.secret !== app.appSecret) return Effect.succeed(this.error(40125, "invalid appsecret"))
        if (app.ipWhitelist !== undefined && !ipAllowed(request.ip, app.ipWhitelist)) return Effect.succeed(this.ipError(request.ip))
      }
      return Effect.map(this.countQuota(app.appId, endpoint), (limited) => limited ?? app)
    })
  }
}

/** An endpoint: the emulator and the request in, WeChat's answer out. */
export type Endpoint = (emulator: Emulator, request: FakeRequest) => Effect.Effect<FakeResponse>
