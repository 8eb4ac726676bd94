/**
 * The fake WeChat's state and its API endpoints, with WeChat's semantics
 * (wechat-api.md §2, §3, §5). Time comes from Effect's `Clock`.
 * @internal
 */
import { Clock, Effect, Random } from "effect"
import { createHash, randomBytes } from "node:crypto"
import {
  type AppInput,
  defaultDailyQuota,
  defaultLifetimes,
  defaultMinuteQuota,
  type FakeApp,
  type FakeRequest,
  type FakeResponse,
  type FakeUser,
  FakeWechatError,
  type Fault,
  type FaultSchedule,
  type Lifetimes,
  type Options,
  type UserInput
} from "./model.js"

type Scope = "snsapi_base" | "snsapi_userinfo" | "snsapi_login"

interface Code {
  readonly appId: string
  readonly userId: string
  readonly scope: Scope
  readonly expiresAt: number
  used: boolean
}

interface Grant {
  readonly appId: string
  readonly userId: string
  readonly scope: Scope
  readonly refreshToken: string
  readonly expiresAt: number
  accessToken: string
}

interface WebToken {
  readonly grant: Grant
  expiresAt: number
}

interface BasicToken {
  readonly appId: string
  expiresAt: number
  /** Replaced by a newer token: after its overlap it is "not latest" (40001). */
  retired: boolean
}

interface Stable {
  token: string
  lastForceAt: number
  /** The token it replaced, still in its overlap. */
  previous: string | undefined
}

interface ArmedFault {
  readonly fault: Fault
  remaining: number | undefined
  readonly probability: number | undefined
}

const json = (value: unknown, contentType = "application/json; encoding=utf-8"): FakeResponse => ({
  _tag: "Response",
  status: 200,
  headers: { "content-type": contentType },
  body: typeof value === "string" ? value : JSON.stringify(value)
})

/** JSON as WeChat writes profiles: raw control characters in strings, escaped slashes. */
const wechatJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/(\\\\)|\\u00([01][0-9a-f])|\\([bfnrt])/g, (match, backslash: string | undefined, hex: string | undefined, letter: string | undefined) => {
      if (backslash !== undefined) return match
      if (hex !== undefined) return String.fromCharCode(parseInt(hex, 16))
      return { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" }[letter as "b"]
    })
    .replace(/\//g, "\\/")

const token = (prefix: string) => `${prefix}_${randomBytes(48).toString("base64url")}`
const hexId = () => randomBytes(4).toString("hex")
const derive = (...parts: ReadonlyArray<string>) =>
  createHash("sha1").update(parts.join("\u0000")).digest("base64url").slice(0, 27)

const ipv4ToInt = (ip: string): number | undefined => {
  const parts = ip.split(".")
  if (parts.length !== 4) return undefined
  let n = 0
  for (const p of parts) {
    const v = Number(p)
    if (!/^\d{1,3}$/.test(p) || v > 255) return undefined
    n = n * 256 + v
  }
  return n
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

/** Whether `ip` is in a whitelist of single IPs and IPv4 CIDR blocks. */
export const ipAllowed = (ip: string, whitelist: ReadonlyArray<string>): boolean => {
  const plain = ip.replace(/^::ffff:/, "")
  return whitelist.some((entry) => {
    if (!entry.includes("/")) return entry === plain || entry === ip
    const [base, bitsText] = entry.split("/")
    const bits = Number(bitsText)
    const a = ipv4ToInt(plain)
    const b = ipv4ToInt(base ?? "")
    if (a === undefined || b === undefined || !(bits >= 0 && bits <= 32)) return false
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0
    return ((a & mask) >>> 0) === ((b & mask) >>> 0)
  })
}

/** The emulator: one per fake WeChat. Not safe to share across fake instances. */
export class Emulator {
  readonly apps = new Map<string, FakeApp>()
  readonly users = new Map<string, FakeUser>()
  readonly lifetimes: Lifetimes
  readonly dailyQuota: Record<string, number>
  readonly minuteQuota: Record<string, number>
  callerIp: string

  private readonly codes = new Map<string, Code>()
  private readonly jsCodes = new Map<string, Code>()
  private readonly grants = new Map<string, Grant>()
  private readonly webTokens = new Map<string, WebToken>()
  private readonly basicTokens = new Map<string, BasicToken>()
  private readonly classic = new Map<string, string>()
  private readonly stable = new Map<string, Stable>()
  private readonly tickets = new Map<string, { ticket: string; expiresAt: number }>()
  private readonly counters = new Map<string, number>()
  private readonly calls = new Map<string, number>()
  private readonly faults = new Map<string, Array<ArmedFault>>()
  private ridForm = 0
  private userSeq = 0

  constructor(options: Options = {}) {
    this.lifetimes = { ...defaultLifetimes, ...options.lifetimes }
    this.dailyQuota = { ...defaultDailyQuota, ...options.dailyQuota }
    this.minuteQuota = { ...defaultMinuteQuota, ...options.minuteQuota }
    this.callerIp = options.callerIp ?? "127.0.0.1"
    for (const app of options.apps ?? []) this.addApp(app)
    for (const user of options.users ?? []) this.addUser(user)
  }

  // ---- control API -------------------------------------------------------

  addApp(input: AppInput): FakeApp {
    const app: FakeApp = {
      appId: input.appId,
      appSecret: input.appSecret,
      authorizedDomains: input.authorizedDomains ?? [],
      ipWhitelist: input.ipWhitelist,
      openPlatform: input.openPlatform ?? false,
      name: input.name ?? input.appId
    }
    this.apps.set(app.appId, app)
    return app
  }

  addUser(input: UserInput): FakeUser {
    const id = input.id ?? `user${++this.userSeq}`
    const snapshot = input.snapshot ?? false
    const user: FakeUser = {
      id,
      nickname: input.nickname,
      headImgUrl: input.headImgUrl ?? "",
      snapshot,
      unionid: input.unionid ?? `o${derive("unionid", id, snapshot ? "snapshot" : "")}`,
      openids: input.openids ?? {}
    }
    this.users.set(id, user)
    return user
  }

  openidOf(appId: string, user: FakeUser): string {
    return user.openids[appId] ?? `o${derive("openid", appId, user.id, user.snapshot ? "snapshot" : "")}`
  }

  issueCode(appId: string, userId: string, scope: Scope): Effect.Effect<string, FakeWechatError> {
    const life = scope === "snsapi_login" ? this.lifetimes.qrCode : this.lifetimes.oauthCode
    return this.issue(this.codes, appId, userId, scope, life)
  }

  issueJsCode(appId: string, userId: string): Effect.Effect<string, FakeWechatError> {
    return this.issue(this.jsCodes, appId, userId, "snsapi_base", this.lifetimes.jsCode)
  }

  /** A fresh single-use code for a known app and user, living `seconds`. */
  private issue(
    codes: Map<string, Code>,
    appId: string,
    userId: string,
    scope: Scope,
    seconds: number
  ): Effect.Effect<string, FakeWechatError> {
    return Effect.gen(this, function*() {
      if (!this.apps.has(appId)) return yield* new FakeWechatError({ reason: `unknown app ${appId}` })
      if (!this.users.has(userId)) return yield* new FakeWechatError({ reason: `unknown user ${userId}` })
      const now = yield* Clock.currentTimeMillis
      const code = randomBytes(16).toString("hex")
      codes.set(code, { appId, userId, scope, expiresAt: now + seconds * 1000, used: false })
      return code
    })
  }

  callCount(endpoint: string): number {
    return this.calls.get(endpoint.replace(/^\/+/, "")) ?? 0
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
    const key = endpoint.replace(/^\/+/, "")
    const list = this.faults.get(key) ?? []
    list.push({
      fault,
      remaining: fault.probability === undefined ? (fault.times ?? 1) : fault.times,
      probability: fault.probability
    })
    this.faults.set(key, list)
  }

  clearFaults(): void {
    this.faults.clear()
  }

  // ---- request handling ----------------------------------------------------

  handle(request: FakeRequest): Effect.Effect<FakeResponse> {
    const endpoint = request.path.replace(/^\/+/, "")
    return Effect.gen(this, function*() {
      this.calls.set(endpoint, (this.calls.get(endpoint) ?? 0) + 1)
      const fault = yield* this.nextFault(endpoint)
      if (fault !== undefined) {
        if (fault.fault === "latency") {
          yield* Effect.sleep(fault.millis)
        } else {
          return this.faultResponse(endpoint, fault)
        }
      }
      return yield* this.route(endpoint, request)
    })
  }

  private nextFault(endpoint: string): Effect.Effect<Fault | undefined> {
    return Effect.gen(this, function*() {
      const list = this.faults.get(endpoint)
      if (list === undefined) return undefined
      for (const armed of list) {
        if (armed.remaining !== undefined && armed.remaining <= 0) continue
        if (armed.probability !== undefined && (yield* Random.next) >= armed.probability) continue
        if (armed.remaining !== undefined) armed.remaining--
        return armed.fault
      }
      return undefined
    })
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

  private ipError(ip: string): FakeResponse {
    const v4 = ip.replace(/^::ffff:/, "")
    return this.error(40164, `invalid ip ${v4} ipv6 ::ffff:${v4}, not in whitelist`)
  }

  /** An error as WeChat sends it: HTTP 200, text/plain, a rid suffix in either form. */
  error(errcode: number, errmsg: string): FakeResponse {
    const rid = `${hexId()}-${hexId()}-${hexId()}`
    const suffix = this.ridForm++ % 2 === 0 ? ` rid: ${rid}` : `, rid: ${rid}`
    return json({ errcode, errmsg: `${errmsg}${suffix}` }, "text/plain")
  }

  private route(endpoint: string, request: FakeRequest): Effect.Effect<FakeResponse> {
    switch (endpoint) {
      case "sns/oauth2/access_token":
        return this.exchange(request)
      case "sns/oauth2/refresh_token":
        return this.refresh(request)
      case "sns/auth":
        return this.auth(request)
      case "sns/userinfo":
        return this.userinfo(request)
      case "sns/jscode2session":
        return this.jscode2session(request)
      case "cgi-bin/token":
        return this.classicToken(request)
      case "cgi-bin/stable_token":
        return this.stableToken(request)
      case "cgi-bin/ticket/getticket":
        return this.getticket(request)
      default:
        return Effect.succeed({ _tag: "Response", status: 404, headers: { "content-type": "text/html" }, body: "<html>404 Not Found</html>" })
    }
  }

  /** appid → secret → IP whitelist → quotas, in WeChat's order. */
  private gate(
    endpoint: string,
    request: FakeRequest,
    params: { readonly appid: string | undefined; readonly secret?: string | undefined; readonly needsSecret: boolean }
  ): Effect.Effect<FakeApp | FakeResponse> {
    return Effect.gen(this, function*() {
      if (params.appid === undefined || params.appid === "") return this.error(41002, "appid missing")
      const app = this.apps.get(params.appid)
      if (app === undefined) return this.error(40013, "invalid appid")
      if (params.needsSecret) {
        if (params.secret === undefined || params.secret === "") return this.error(41004, "appsecret missing")
        if (params.secret !== app.appSecret) return this.error(40125, "invalid appsecret")
        if (app.ipWhitelist !== undefined && !ipAllowed(request.ip, app.ipWhitelist)) return this.ipError(request.ip)
      }
      const limited = yield* this.countQuota(app.appId, endpoint)
      return limited ?? app
    })
  }

  private countQuota(appId: string, key: string): Effect.Effect<FakeResponse | undefined> {
    return Effect.gen(this, function*() {
      const now = yield* Clock.currentTimeMillis
      const daily = this.dailyQuota[key]
      if (daily !== undefined) {
        const k = `day:${appId}:${key}:${Math.floor(now / 86_400_000)}`
        const n = (this.counters.get(k) ?? 0) + 1
        if (n > daily) return this.error(45009, "reach max api daily quota limit")
        this.counters.set(k, n)
      }
      const minute = this.minuteQuota[key]
      if (minute !== undefined) {
        const k = `min:${appId}:${key}:${Math.floor(now / 60_000)}`
        const n = (this.counters.get(k) ?? 0) + 1
        this.counters.set(k, n)
        if (n > minute) return this.error(45011, "api minute-quota reach limit, must slower, retry next minute")
      }
      return undefined
    })
  }

  private exchange(request: FakeRequest): Effect.Effect<FakeResponse> {
    return Effect.gen(this, function*() {
      const q = request.query
      const app = yield* this.gate("sns/oauth2/access_token", request, { appid: q.appid, secret: q.secret, needsSecret: true })
      if (!("appId" in app)) return app
      if (q.grant_type !== "authorization_code") return this.error(40002, "invalid grant_type")
      if (q.code === undefined || q.code === "") return this.error(41008, "missing code")
      const now = yield* Clock.currentTimeMillis
      const code = this.codes.get(q.code)
      if (code === undefined || code.appId !== app.appId || code.expiresAt <= now) return this.error(40029, "invalid code")
      if (code.used) return this.error(40163, "code been used")
      code.used = true
      const user = this.users.get(code.userId)!
      const grant: Grant = {
        appId: app.appId,
        userId: user.id,
        scope: code.scope,
        refreshToken: token("86"),
        expiresAt: now + this.lifetimes.refreshToken * 1000,
        accessToken: token("86")
      }
      this.grants.set(grant.refreshToken, grant)
      this.webTokens.set(grant.accessToken, { grant, expiresAt: now + this.lifetimes.webToken * 1000 })
      return json({
        access_token: grant.accessToken,
        expires_in: this.lifetimes.webToken,
        refresh_token: grant.refreshToken,
        openid: this.openidOf(app.appId, user),
        scope: grant.scope,
        ...(user.snapshot ? { is_snapshotuser: 1 } : {}),
        ...(this.unionidVisible(app, grant.scope) ? { unionid: user.unionid } : {})
      })
    })
  }

  private unionidVisible(app: FakeApp, scope: Scope): boolean {
    return app.openPlatform && scope !== "snsapi_base"
  }

  private refresh(request: FakeRequest): Effect.Effect<FakeResponse> {
    return Effect.gen(this, function*() {
      const q = request.query
      const app = yield* this.gate("sns/oauth2/refresh_token", request, { appid: q.appid, needsSecret: false })
      if (!("appId" in app)) return app
      if (q.grant_type !== "refresh_token") return this.error(40002, "invalid grant_type")
      if (q.refresh_token === undefined || q.refresh_token === "") return this.error(41003, "refresh_token missing")
      const now = yield* Clock.currentTimeMillis
      const grant = this.grants.get(q.refresh_token)
      if (grant === undefined || grant.appId !== app.appId) return this.error(40030, "invalid refresh_token")
      if (grant.expiresAt <= now) return this.error(42002, "refresh_token expired")
      const current = this.webTokens.get(grant.accessToken)
      if (current !== undefined && current.expiresAt > now) {
        current.expiresAt = now + this.lifetimes.webToken * 1000
      } else {
        this.webTokens.delete(grant.accessToken)
        grant.accessToken = token("86")
        this.webTokens.set(grant.accessToken, { grant, expiresAt: now + this.lifetimes.webToken * 1000 })
      }
      const user = this.users.get(grant.userId)!
      return json({
        access_token: grant.accessToken,
        expires_in: this.lifetimes.webToken,
        refresh_token: grant.refreshToken,
        openid: this.openidOf(app.appId, user),
        scope: grant.scope
      })
    })
  }

  /** Looks up a web token: `expiredCode` for an expired one, `invalidCode` for an unknown one. */
  private webToken(accessToken: string | undefined, invalidCode: number): Effect.Effect<WebToken | FakeResponse> {
    return Effect.gen(this, function*() {
      if (accessToken === undefined || accessToken === "") return this.error(41001, "access_token missing")
      const found = this.webTokens.get(accessToken)
      if (found === undefined) {
        return invalidCode === 40014
          ? this.error(40014, "invalid access_token")
          : this.error(40001, "invalid credential, access_token is invalid or not latest")
      }
      if (found.expiresAt <= (yield* Clock.currentTimeMillis)) return this.error(42001, "access_token expired")
      return found
    })
  }

  /**
   * What sns/auth and sns/userinfo check first, in order: the web token (`invalidCode` when
   * unknown), the minute quota, and that the openid is the token's user's.
   */
  private tokenUser(request: FakeRequest, endpoint: string, invalidCode: number): Effect.Effect<{ readonly grant: Grant; readonly user: FakeUser } | FakeResponse> {
    return Effect.gen(this, function*() {
      const found = yield* this.webToken(request.query.access_token, invalidCode)
      if (!("grant" in found)) return found
      const limited = yield* this.countQuota(found.grant.appId, endpoint)
      if (limited !== undefined) return limited
      if (request.query.openid === undefined || request.query.openid === "") return this.error(41009, "missing openid")
      const user = this.users.get(found.grant.userId)!
      if (this.openidOf(found.grant.appId, user) !== request.query.openid) return this.error(40003, "invalid openid")
      return { grant: found.grant, user }
    })
  }

  private auth(request: FakeRequest): Effect.Effect<FakeResponse> {
    return Effect.map(this.tokenUser(request, "sns/auth", 40014), (found) =>
      "grant" in found ? json({ errcode: 0, errmsg: "ok" }, "text/plain") : found)
  }

  private userinfo(request: FakeRequest): Effect.Effect<FakeResponse> {
    return Effect.gen(this, function*() {
      const found = yield* this.tokenUser(request, "sns/userinfo", 40001)
      if (!("grant" in found)) return found
      const { grant, user } = found
      if (grant.scope === "snsapi_base" || user.snapshot) return this.error(48001, "api unauthorized")
      const app = this.apps.get(grant.appId)!
      return json(wechatJson({
        openid: request.query.openid,
        nickname: user.nickname,
        sex: 0,
        province: "",
        city: "",
        country: "",
        headimgurl: user.headImgUrl,
        privilege: [],
        ...(app.openPlatform ? { unionid: user.unionid } : {})
      }))
    })
  }

  private jscode2session(request: FakeRequest): Effect.Effect<FakeResponse> {
    return Effect.gen(this, function*() {
      const q = request.query
      const app = yield* this.gate("sns/jscode2session", request, { appid: q.appid, secret: q.secret, needsSecret: true })
      if (!("appId" in app)) return app
      if (q.grant_type !== "authorization_code") return this.error(40002, "invalid grant_type")
      if (q.js_code === undefined || q.js_code === "") return this.error(41008, "missing code")
      const code = this.jsCodes.get(q.js_code)
      if (code === undefined || code.appId !== app.appId || code.expiresAt <= (yield* Clock.currentTimeMillis)) {
        return this.error(40029, "invalid code")
      }
      if (code.used) return this.error(40163, "code been used")
      code.used = true
      const user = this.users.get(code.userId)!
      return json({
        session_key: randomBytes(16).toString("base64"),
        openid: this.openidOf(app.appId, user),
        ...(app.openPlatform ? { unionid: user.unionid } : {})
      }, "text/plain")
    })
  }

  private newBasicToken(appId: string, now: number): string {
    const t = token("97")
    this.basicTokens.set(t, { appId, expiresAt: now + this.lifetimes.basicToken * 1000, retired: false })
    return t
  }

  /** Ends a replaced token after the overlap (or at its own expiry, if sooner). */
  private retire(old: string | undefined, now: number): void {
    const entry = old === undefined ? undefined : this.basicTokens.get(old)
    if (entry !== undefined) {
      entry.expiresAt = Math.min(entry.expiresAt, now + this.lifetimes.overlap * 1000)
      entry.retired = true
    }
  }

  private classicToken(request: FakeRequest): Effect.Effect<FakeResponse> {
    return Effect.gen(this, function*() {
      const q = request.query
      if (request.method !== "GET") return this.error(43001, "require GET method")
      if (q.grant_type !== "client_credential") return this.error(40002, "invalid grant_type")
      const app = yield* this.gate("cgi-bin/token", request, { appid: q.appid, secret: q.secret, needsSecret: true })
      if (!("appId" in app)) return app
      const now = yield* Clock.currentTimeMillis
      this.retire(this.classic.get(app.appId), now)
      const t = this.newBasicToken(app.appId, now)
      this.classic.set(app.appId, t)
      return json({ access_token: t, expires_in: this.lifetimes.basicToken }, "text/plain")
    })
  }

  private stableToken(request: FakeRequest): Effect.Effect<FakeResponse> {
    return Effect.gen(this, function*() {
      if (request.method !== "POST") return this.error(43002, "require POST method")
      let body: Record<string, unknown>
      try {
        const parsed: unknown = JSON.parse(request.body)
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return this.error(47001, "data format error")
        body = parsed as Record<string, unknown>
      } catch {
        return this.error(47001, "data format error")
      }
      const str = (k: string) => (typeof body[k] === "string" ? (body[k] as string) : undefined)
      if (str("grant_type") !== "client_credential") return this.error(40002, "invalid grant_type")
      const force = body.force_refresh
      if (force !== undefined && typeof force !== "boolean") return this.error(47001, "data format error")
      const app = yield* this.gate("cgi-bin/stable_token", request, { appid: str("appid"), secret: str("secret"), needsSecret: true })
      if (!("appId" in app)) return app
      const now = yield* Clock.currentTimeMillis
      const current = this.stable.get(app.appId)
      const entry = current === undefined ? undefined : this.basicTokens.get(current.token)
      const remaining = entry === undefined ? 0 : entry.expiresAt - now
      const overlapMs = this.lifetimes.overlap * 1000
      if (force === true) {
        if (current !== undefined && now - current.lastForceAt < 30_000 && remaining > 0) {
          return json({ access_token: current.token, expires_in: Math.floor(remaining / 1000) }, "text/plain")
        }
        const limited = yield* this.countQuota(app.appId, "cgi-bin/stable_token#force")
        if (limited !== undefined) return limited
        // a second force ends the overlap of the token the first one replaced: two forces
        // 30 s apart kill a leaked token
        const older = current?.previous === undefined ? undefined : this.basicTokens.get(current.previous)
        if (older !== undefined) older.expiresAt = Math.min(older.expiresAt, now)
        this.retire(current?.token, now)
        const t = this.newBasicToken(app.appId, now)
        this.stable.set(app.appId, { token: t, lastForceAt: now, previous: current?.token })
        return json({ access_token: t, expires_in: this.lifetimes.basicToken }, "text/plain")
      }
      if (current !== undefined && remaining > overlapMs) {
        return json({ access_token: current.token, expires_in: Math.floor(remaining / 1000) }, "text/plain")
      }
      // no token yet, or in its last 5 minutes: rotate (the old one lives out its time)
      this.retire(current?.token, now)
      const t = this.newBasicToken(app.appId, now)
      this.stable.set(app.appId, { token: t, lastForceAt: current?.lastForceAt ?? -Infinity, previous: current?.token })
      return json({ access_token: t, expires_in: this.lifetimes.basicToken }, "text/plain")
    })
  }

  private getticket(request: FakeRequest): Effect.Effect<FakeResponse> {
    return Effect.gen(this, function*() {
      const q = request.query
      if (q.access_token === undefined || q.access_token === "") return this.error(41001, "access_token missing")
      const now = yield* Clock.currentTimeMillis
      const basic = this.basicTokens.get(q.access_token)
      if (basic === undefined) return this.error(40001, "invalid credential, access_token is invalid or not latest")
      if (basic.expiresAt <= now) {
        return basic.retired
          ? this.error(40001, "invalid credential, access_token is invalid or not latest")
          : this.error(42001, "access_token expired")
      }
      const app = this.apps.get(basic.appId)
      if (app?.ipWhitelist !== undefined && !ipAllowed(request.ip, app.ipWhitelist)) return this.ipError(request.ip)
      if (q.type !== "jsapi" && q.type !== "wx_card") return this.error(40002, "invalid ticket type")
      const limited = yield* this.countQuota(basic.appId, "cgi-bin/ticket/getticket")
      if (limited !== undefined) return limited
      const key = `${basic.appId}:${q.type}`
      let ticket = this.tickets.get(key)
      if (ticket === undefined || ticket.expiresAt <= now) {
        ticket = { ticket: randomBytes(64).toString("base64url"), expiresAt: now + this.lifetimes.ticket * 1000 }
        this.tickets.set(key, ticket)
      }
      return json({ errcode: 0, errmsg: "ok", ticket: ticket.ticket, expires_in: this.lifetimes.ticket }, "text/plain")
    })
  }
}
