/**
 * WechatLogin: the routes, driven with web Requests in memory against FakeWechat, and the
 * framework-free start/complete.
 */
import { type HttpClient, HttpServerRequest, HttpServerResponse } from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { TestClock, toApp } from "#test-compat"
import { JsSdk, AccessTokenProvider, TokenStore, WechatConfig, WechatLogin } from "../src/index.js"
import { FakeWechat } from "../src/testing/index.js"

const APP = { appId: "wx0000000000000007", appSecret: "login-secret-0001", authorizedDomains: ["example.com"], openPlatform: true }
const WEB = { appId: "wx000000000000000f", appSecret: "website-secret-01", authorizedDomains: ["example.com"] }
const SITE = "https://example.com"
const IN_WECHAT = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50(0x18003237) NetType/WIFI"
const DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36"

const layer = Layer.mergeAll(
  FakeWechat.layer({ apps: [APP, WEB], users: [{ id: "u1", nickname: "Ann" }, { id: "snap", nickname: "微信用户", snapshot: true }] }),
  WechatConfig.layer({ appId: APP.appId, appSecret: APP.appSecret }),
  TokenStore.layerMemory
)

const loggedIn: Array<WechatLogin.Login> = []
const routes = (options: Partial<WechatLogin.Options> = {}) =>
  WechatLogin.router({
    publicUrl: SITE,
    onLogin: (login) =>
      Effect.sync(() => {
        loggedIn.push(login)
        return HttpServerResponse.redirect(login.returnTo, { status: 303 })
      }),
    ...options
  })


/** One request through the router, as a server would run it. */
const send = <E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>, path: string, headers: Record<string, string> = {}) =>
  app.pipe(
    Effect.provideService(HttpServerRequest.HttpServerRequest, HttpServerRequest.fromWeb(new Request(`${SITE}${path}`, { headers }))),
    Effect.scoped,
    Effect.map(HttpServerResponse.toWeb)
  )

const cookieOf = (response: Response) => /^(?:__Host-)?wechat_login=([A-Za-z0-9]+)/.exec(response.headers.get("set-cookie") ?? "")?.[1]

/** Starts a login, consents as `userId` at the fake, and returns the callback's path and the cookie. */
const consent = <E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>, options: { userId?: string; scope?: "snsapi_userinfo" | "snsapi_base" | "snsapi_login"; start?: string; ua?: string } = {}) =>
  Effect.gen(function*() {
    const started = yield* send(app, options.start ?? "/login/wechat", { "user-agent": options.ua ?? IN_WECHAT })
    const location = new URL(started.headers.get("location")!)
    const fake = yield* FakeWechat
    const code = yield* fake.authorize({ appId: location.searchParams.get("appid")!, userId: options.userId ?? "u1", scope: options.scope ?? "snsapi_userinfo" })
    const redirect = new URL(location.searchParams.get("redirect_uri")!)
    redirect.searchParams.set("code", code)
    redirect.searchParams.set("state", location.searchParams.get("state")!)
    return { callback: redirect.pathname + redirect.search, cookie: cookieOf(started), started }
  })

describe("WechatLogin.router", () => {
  it.effect("inside WeChat: H5 consent with connect_redirect; a desktop browser: QR login; ?mode= overrides", () =>
    Effect.gen(function*() {
      const app = yield* toApp(routes())
      const h5 = yield* send(app, "/login/wechat", { "user-agent": IN_WECHAT })
      expect(h5.status).toBe(302)
      const h5Url = h5.headers.get("location")!
      expect(h5Url).toMatch(/^https:\/\/open\.weixin\.qq\.com\/connect\/oauth2\/authorize\?appid=wx0000000000000007&redirect_uri=https%3A%2F%2Fexample\.com%2Flogin%2Fwechat%2Fcallback&response_type=code&scope=snsapi_userinfo&state=[A-Za-z0-9]+&connect_redirect=1#wechat_redirect$/)
      const qr = yield* send(app, "/login/wechat", { "user-agent": DESKTOP })
      expect(qr.headers.get("location")).toMatch(/^https:\/\/open\.weixin\.qq\.com\/connect\/qrconnect\?appid=wx0000000000000007&.*scope=snsapi_login/)
      const forced = yield* send(app, "/login/wechat?mode=h5", { "user-agent": DESKTOP })
      expect(forced.headers.get("location")).toContain("/connect/oauth2/authorize?")
      // the login cookie: HttpOnly, SameSite=Lax, Secure on an https site, 10 minutes
      const cookie = h5.headers.get("set-cookie")!
      expect(cookie).toMatch(/^__Host-wechat_login=[A-Za-z0-9]{32}; /)
      for (const attribute of ["HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=600"]) expect(cookie).toContain(attribute)
      expect(h5.headers.get("cache-control")).toBe("no-store")
    }).pipe(Effect.provide(layer)))

  it.effect("the callback verifies the state, exchanges the code bound to the cookie, reads the profile and calls onLogin", () =>
    Effect.gen(function*() {
      const app = yield* toApp(routes())
      const { callback, cookie } = yield* consent(app, { start: "/login/wechat?returnTo=%2Forders%3Fid%3D7" })
      const done = yield* send(app, callback, { cookie: `__Host-wechat_login=${cookie}` })
      expect([done.status, done.headers.get("location")]).toEqual([303, "/orders?id=7"])
      expect(done.headers.get("cache-control")).toBe("no-store")
      expect(done.headers.get("referrer-policy")).toBe("no-referrer")
      const login = loggedIn.at(-1)!
      expect(Option.map(login.profile, (p) => p.nickname)).toEqual(Option.some("Ann"))
      expect(login.openid).toBe(yield* Effect.flatMap(FakeWechat, (f) => f.openid({ appId: APP.appId, userId: "u1" })))
      expect(Option.isSome(login.unionid)).toBe(true)
      expect([login.isSnapshotUser, login.flow, login.returnTo]).toEqual([false, "h5", "/orders?id=7"])
      // the same browser again (a duplicate callback): the same token, one exchange at WeChat
      const again = yield* send(app, callback, { cookie: `__Host-wechat_login=${cookie}` })
      expect(again.status).toBe(303)
      expect(Redacted.value(loggedIn.at(-1)!.token.accessToken)).toBe(Redacted.value(login.token.accessToken))
      expect(yield* Effect.flatMap(FakeWechat, (f) => f.callCount("sns/oauth2/access_token"))).toBe(1)
    }).pipe(Effect.provide(layer)))

  it.effect("a replayed callback (no cookie, another cookie) is a 400 page or JSON; WeChat is not asked", () =>
    Effect.gen(function*() {
      const app = yield* toApp(routes())
      const { callback, cookie } = yield* consent(app)
      yield* send(app, callback, { cookie: `__Host-wechat_login=${cookie}` })
      const calls = yield* Effect.flatMap(FakeWechat, (f) => f.callCount("sns/oauth2/access_token"))
      const html = yield* send(app, callback)
      expect(html.status).toBe(400)
      expect(html.headers.get("content-type")).toContain("text/html")
      const text = yield* Effect.promise(() => html.text())
      expect(text).toContain("not for this browser")
      expect(text).not.toContain("code=")
      const json = yield* send(app, callback, { cookie: "__Host-wechat_login=" + "A".repeat(32), accept: "application/json" })
      expect(json.status).toBe(400)
      expect(yield* Effect.promise(() => json.json())).toEqual({ error: "InvalidState", reason: "other-session", next: "start-again", message: "This login link is not for this browser" })
      expect(yield* Effect.flatMap(FakeWechat, (f) => f.callCount("sns/oauth2/access_token"))).toBe(calls)
    }).pipe(Effect.provide(layer)))

  it.effect("an expired login, a deny, and WeChat's own failures each get their answer", () =>
    Effect.gen(function*() {
      const app = yield* toApp(routes())
      const slow = yield* consent(app)
      yield* TestClock.adjust("11 minutes")
      const expired = yield* send(app, slow.callback, { cookie: `__Host-wechat_login=${slow.cookie}`, accept: "application/json" })
      expect([expired.status, (yield* Effect.promise(() => expired.json())).reason]).toEqual([400, "expired"])

      const started = yield* send(app, "/login/wechat", { "user-agent": IN_WECHAT })
      const state = new URL(started.headers.get("location")!).searchParams.get("state")!
      const denied = yield* send(app, `/login/wechat/callback?state=${state}`, { cookie: `__Host-wechat_login=${cookieOf(started)}` })
      expect(denied.status).toBe(200)
      expect(yield* Effect.promise(() => denied.text())).toContain("WeChat login cancelled")

      const fake = yield* FakeWechat
      const busy = yield* consent(app)
      yield* fake.inject("sns/oauth2/access_token", { fault: "busy" })
      const unavailable = yield* send(app, busy.callback, { cookie: `__Host-wechat_login=${busy.cookie}`, accept: "application/json" })
      expect(unavailable.status).toBe(503)
      expect(unavailable.headers.get("retry-after")).toBe("5")
      const body = yield* Effect.promise(() => unavailable.json())
      expect([body.error, body.next]).toEqual(["SystemBusy", "try-later"])
      expect(body.rid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/)

      const misconfigured = yield* consent(app)
      yield* fake.inject("sns/oauth2/access_token", { fault: "errcode", errcode: 40125, errmsg: "invalid appsecret" })
      const broken = yield* send(app, misconfigured.callback, { cookie: `__Host-wechat_login=${misconfigured.cookie}` })
      expect(broken.status).toBe(502)
      const page = yield* Effect.promise(() => broken.text())
      expect(page).toContain("AppMisconfigured")
      expect(page).not.toContain(APP.appSecret)
    }).pipe(Effect.provide(layer)))

  it.effect("a snapshot-page visitor: reported to onLogin without a profile, never with one", () =>
    Effect.gen(function*() {
      const app = yield* toApp(routes())
      const { callback, cookie } = yield* consent(app, { userId: "snap" })
      yield* send(app, callback, { cookie: `__Host-wechat_login=${cookie}` })
      const login = loggedIn.at(-1)!
      expect([login.isSnapshotUser, Option.isNone(login.profile)]).toEqual([true, true])
      expect(yield* Effect.flatMap(FakeWechat, (f) => f.callCount("sns/userinfo"))).toBe(0)
    }).pipe(Effect.provide(layer)))

  it.effect("returnTo must be a relative path: an absolute or protocol-relative one is refused", () =>
    Effect.gen(function*() {
      const app = yield* toApp(routes())
      for (const target of ["https%3A%2F%2Fevil.example", "%2F%2Fevil.example", "%2F%5Cevil.example"]) {
        const response = yield* send(app, `/login/wechat?returnTo=${target}`, { accept: "application/json" })
        expect(response.status).toBe(400)
        expect((yield* Effect.promise(() => response.json())).error).toBe("InvalidArgument")
      }
    }).pipe(Effect.provide(layer)))

  it.effect("cookieless mode: no cookie; the state alone binds (replay works only inside the duplicate window)", () =>
    Effect.gen(function*() {
      const app = yield* toApp(routes({ cookieless: true }))
      const { callback, started } = yield* consent(app)
      expect(started.headers.get("set-cookie")).toBeNull()
      expect((yield* send(app, callback)).status).toBe(303)
      expect((yield* send(app, callback)).status).toBe(303) // the trade-off, inside 60 s
      yield* TestClock.adjust("61 seconds")
      expect((yield* send(app, callback, { accept: "application/json" })).status).toBe(400)
    }).pipe(Effect.provide(layer)))

  it.effect("a separate website app for QR login: its consent, its exchange", () =>
    Effect.gen(function*() {
      const web = yield* WechatConfig.make({ appId: WEB.appId, appSecret: WEB.appSecret })
      const app = yield* toApp(routes({ qrApp: web }))
      const { callback, cookie, started } = yield* consent(app, { ua: DESKTOP, scope: "snsapi_login" })
      expect(new URL(started.headers.get("location")!).searchParams.get("appid")).toBe(WEB.appId)
      expect(callback).toContain("flow=qr")
      expect((yield* send(app, callback, { cookie: `__Host-wechat_login=${cookie}` })).status).toBe(303)
      const login = loggedIn.at(-1)!
      expect(login.flow).toBe("qr")
      expect(login.openid).toBe(yield* Effect.flatMap(FakeWechat, (f) => f.openid({ appId: WEB.appId, userId: "u1" })))
    }).pipe(Effect.provide(layer)))

  it.effect("the QR widget's options (wxLogin.js): appid, scope, redirect_uri and a signed state, with the cookie", () =>
    Effect.gen(function*() {
      const app = yield* toApp(routes())
      const response = yield* send(app, "/login/wechat/qr-config?returnTo=%2Fme")
      expect(response.status).toBe(200)
      const options = yield* Effect.promise(() => response.json())
      expect(options).toEqual({ appid: APP.appId, scope: "snsapi_login", redirect_uri: "https://example.com/login/wechat/callback?flow=qr", state: expect.stringMatching(/^[A-Za-z0-9]+$/) })
      expect(cookieOf(response)).toMatch(/^[A-Za-z0-9]{32}$/)
    }).pipe(Effect.provide(layer)))

  it.effect("bad options fail when the routes are built", () =>
    Effect.gen(function*() {
      expect((yield* Effect.flip(toApp(routes({ publicUrl: "http://example.com" })))).argument).toBe("publicUrl")
      expect((yield* Effect.flip(toApp(routes({ publicUrl: "https://example.com/?x=1" })))).argument).toBe("publicUrl")
      expect((yield* Effect.flip(toApp(routes({ cookieName: "bad name" })))).argument).toBe("cookieName")
      expect((yield* Effect.flip(toApp(routes({ paths: { login: "//x" as "/x" } })))).argument).toBe("paths.login")
      expect((yield* Effect.flip(toApp(routes({ paths: { login: 42 as unknown as "/x" } })))).argument).toBe("paths.login")
      // the state's lifetime is checked when the routes are built, not at every login
      expect((yield* Effect.flip(toApp(routes({ stateTtl: "2 days" })))).argument).toBe("stateTtl")
      expect((yield* Effect.flip(toApp(routes({ stateTtl: "soon" as "1 minute" })))).argument).toBe("stateTtl")
      // plain http is fine on loopback: no Secure flag then, and no __Host- prefix
      const local = yield* toApp(routes({ publicUrl: "http://127.0.0.1:3000" }))
      const started = yield* send(local, "/login/wechat")
      expect(started.headers.get("set-cookie")).not.toContain("Secure")
      expect(started.headers.get("set-cookie")).toMatch(/^wechat_login=[A-Za-z0-9]{32}; /)
      const prefixed = yield* Effect.flip(toApp(routes({ publicUrl: "http://127.0.0.1:3000", cookieName: "__Host-login" })))
      expect(prefixed.argument).toBe("cookieName")
    }).pipe(Effect.provide(layer)))

  it.effect("a QR login is reported as one, with or without a separate website app", () =>
    Effect.gen(function*() {
      loggedIn.length = 0
      const app = yield* toApp(routes())
      const { callback, cookie } = yield* consent(app, { ua: DESKTOP, scope: "snsapi_login" })
      expect(callback).toContain("flow=qr")
      expect((yield* send(app, callback, { cookie: `__Host-wechat_login=${cookie}` })).status).toBe(303)
      expect(loggedIn.at(-1)?.flow).toBe("qr")
    }).pipe(Effect.provide(layer)))
})

describe("WechatLogin framework-free: start, complete, respond", () => {
  it("the login cookie's name: __Host- on https, so a sibling subdomain cannot plant it", () => {
    expect(WechatLogin.cookieNameOf({ publicUrl: SITE })).toBe("__Host-wechat_login")
    expect(WechatLogin.cookieNameOf({ publicUrl: "http://127.0.0.1:3000" })).toBe("wechat_login")
    expect(WechatLogin.cookieNameOf({ publicUrl: SITE, cookieName: "login" })).toBe("login")
  })

  it.effect("input from plain JavaScript gets InvalidArgument, never a crash", () =>
    Effect.gen(function*() {
      const options = { publicUrl: SITE }
      const bad: ReadonlyArray<Effect.Effect<unknown, { readonly _tag: string }, WechatConfig.WechatConfig | HttpClient.HttpClient>> = [
        WechatLogin.start(options)(undefined as unknown as {}),
        WechatLogin.complete(options)(undefined as unknown as { query: {} }),
        WechatLogin.complete(options)({ query: null as unknown as {} }),
        WechatLogin.start(null as unknown as typeof options)({})
      ]
      for (const effect of bad) expect((yield* Effect.flip(effect))._tag).toBe("InvalidArgument")
    }).pipe(Effect.provide(layer)))

  it.effect("the same login without a router", () =>
    Effect.gen(function*() {
      const options = { publicUrl: SITE }
      const started = yield* WechatLogin.start(options)({ userAgent: IN_WECHAT, returnTo: "/me" })
      expect(started.cookie!.header).toMatch(/^__Host-wechat_login=[A-Za-z0-9]{32}; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax; Secure$/)
      const location = new URL(started.location)
      const code = yield* Effect.flatMap(FakeWechat, (f) => f.authorize({ appId: APP.appId, userId: "u1", scope: "snsapi_userinfo" }))
      const query = { code, state: location.searchParams.get("state")! }
      const completed = yield* WechatLogin.complete(options)({ query, cookie: started.cookie!.value })
      expect(completed._tag === "LoggedIn" && [completed.login.returnTo, Option.getOrThrow(completed.login.profile).nickname]).toEqual(["/me", "Ann"])
      const replay = yield* Effect.flip(WechatLogin.complete(options)({ query: new URLSearchParams(query) }))
      const answer = WechatLogin.respond(replay, { accept: "text/html" })
      expect(answer.status).toBe(400)
      expect(answer.headers["content-type"]).toBe("text/html; charset=utf-8")
      expect(answer.body).toContain("not for this browser")
    }).pipe(Effect.provide(layer)))
})

describe("WechatLogin.jssdkRouter", () => {
  const jssdk = Layer.mergeAll(
    JsSdk.layerTicketProvider().pipe(Layer.provideMerge(AccessTokenProvider.layer()), Layer.provideMerge(layer))
  )
  it.effect("signs pages of the allowed origins only, with clear 400s", () =>
    Effect.gen(function*() {
      const app = yield* toApp(WechatLogin.jssdkRouter({ publicUrl: SITE }))
      const get = (query: string) =>
        Effect.flatMap(send(app, `/wechat/jssdk-config${query}`), (r) => Effect.promise(async () => ({ status: r.status, body: await r.json() })))
      const ok = yield* get(`?url=${encodeURIComponent("https://example.com/page?x=1#top")}`)
      expect(ok.status).toBe(200)
      expect(ok.body).toMatchObject({ appId: APP.appId, signature: expect.stringMatching(/^[0-9a-f]{40}$/) })
      expect((yield* get("")).body.reason).toContain("is required")
      expect((yield* get(`?url=${encodeURIComponent("https://evil.example/")}`)).body.reason).toBe("https://evil.example is not an allowed origin")
      expect((yield* get("?url=page")).status).toBe(400)
    }).pipe(Effect.provide(jssdk), Effect.scoped))
})
