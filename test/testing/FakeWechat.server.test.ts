import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { BasicToken, Sns, TokenStore, WechatConfig } from "../../src/index.js"
import { FakeWechat } from "../../src/testing/index.js"
import { BOUND } from "./fakeSetup.js"

const WEB = { appId: "wxweb", appSecret: "web-secret-0003", authorizedDomains: ["127.0.0.1", "example.com"], name: "Demo Web" }

const withServer = <A, E>(f: (address: FakeWechat.Address) => Effect.Effect<A, E, FakeWechat>) =>
  Effect.scoped(Effect.gen(function*() {
    const address = yield* FakeWechat.serve({ port: 0 })
    expect(address.host).toBe("127.0.0.1")
    expect(address.port).toBeGreaterThan(0)
    return yield* f(address)
  })).pipe(Effect.provide(FakeWechat.layerControl({ apps: [BOUND, WEB], users: [{ id: "u1", nickname: "小红 <b>&" }] })))

const fetchText = (url: string, init?: RequestInit) =>
  Effect.promise(() => fetch(url, { redirect: "manual", ...init }).then(async (r) => ({ status: r.status, location: r.headers.get("location"), type: r.headers.get("content-type"), text: await r.text() })))

/** The client for the server; each use has its own TokenStore, like a separate process. */
const config = (address: FakeWechat.Address, app = WEB) =>
  Layer.mergeAll(
    FetchHttpClient.layer,
    WechatConfig.layer({ appId: app.appId, appSecret: app.appSecret, apiBaseUrl: address.url, openBaseUrl: address.url }),
    TokenStore.layerMemory
  )

describe("FakeWechat.serve", () => {
  it.effect("serves the API over real HTTP on loopback", () =>
    withServer((address) =>
      Effect.gen(function*() {
        const fake = yield* FakeWechat
        const code = yield* fake.authorize({ appId: WEB.appId, userId: "u1", scope: "snsapi_userinfo" })
        const token = yield* Sns.exchangeCode(code).pipe(Effect.provide(config(address)))
        const again = yield* Effect.flip(Sns.exchangeCode(code).pipe(Effect.provide(config(address))))
        expect(again._tag).toBe("CodeAlreadyUsed")
        const profile = yield* Sns.userInfo({ accessToken: token.accessToken, openid: token.openid }).pipe(Effect.provide(config(address)))
        expect(profile.nickname).toBe("小红 <b>&")
        expect(yield* fake.callCount("sns/oauth2/access_token")).toBe(2)
      })))

  it.effect("the IP whitelist sees the socket's address", () =>
    withServer((address) =>
      Effect.gen(function*() {
        const fake = yield* FakeWechat
        yield* fake.addApp({ ...WEB, ipWhitelist: ["10.0.0.0/8"] })
        const error = yield* Effect.flip(Sns.exchangeCode("x").pipe(Effect.provide(config(address))))
        expect(error._tag).toBe("IpNotWhitelisted")
        expect(error._tag === "IpNotWhitelisted" && error.ip).toBe("127.0.0.1")
      })))

  it.effect("a reset fault closes the connection", () =>
    withServer((address) =>
      Effect.gen(function*() {
        const fake = yield* FakeWechat
        yield* fake.inject("cgi-bin/token", { fault: "reset" })
        const reset = yield* Effect.flip(BasicToken.fetch().pipe(Effect.provide(config(address))))
        expect(reset._tag === "WechatTransportError" && [reset.reason, reset.sent]).toEqual(["network", true])
        expect((yield* BasicToken.fetch().pipe(Effect.provide(config(address)))).expiresIn).toBe(7200)
      })))
})

describe("consent pages", () => {
  const authorize = (address: FakeWechat.Address, params: Record<string, string>, path = "connect/oauth2/authorize") =>
    fetchText(`${address.url}/${path}?${new URLSearchParams(params)}#wechat_redirect`)

  it.effect("check the parameters as WeChat does", () =>
    withServer((address) =>
      Effect.gen(function*() {
        const base = { appid: WEB.appId, redirect_uri: "http://127.0.0.1:9/cb", response_type: "code", scope: "snsapi_userinfo", state: "abc" }
        const cases: Array<[Record<string, string>, string]> = [
          [{ ...base, appid: "" }, "10012 appid不能为空"],
          [{ ...base, appid: "wxunknown" }, "10016"],
          [{ ...base, redirect_uri: "https://evil.com/cb" }, "10003 redirect_uri域名与后台配置不一致"],
          [{ ...base, redirect_uri: "https://sub.example.com/cb" }, "10003"],
          [{ ...base, scope: "snsapi_login" }, "10005"],
          [{ ...base, scope: "" }, "10010 scope不能为空"],
          [{ ...base, state: "x".repeat(129) }, "state参数过长"],
          [{ ...base, state: "a-b" }, "state参数错误"]
        ]
        for (const [params, text] of cases) {
          const page = yield* authorize(address, params)
          expect(page.status).toBe(200)
          expect(page.text).toContain(`<h1 id="error">`)
          expect(page.text).toContain(text)
        }
        const qrWrongScope = yield* authorize(address, { ...base, scope: "snsapi_userinfo" }, "connect/qrconnect")
        expect(qrWrongScope.text).toContain("该链接无法访问")
        const ok = yield* authorize(address, base)
        expect(ok.text).toContain(`id="allow-u1"`)
        expect(ok.text).toContain("小红 &lt;b&gt;&amp;")
        expect(ok.text).toContain(`id="deny"`)
      })))

  it.effect("allow → 302 to redirect_uri with code and state; the code works once", () =>
    withServer((address) =>
      Effect.gen(function*() {
        const form = new URLSearchParams({ flow: "oauth2", appid: WEB.appId, redirect_uri: "http://127.0.0.1:9/cb?from=menu", scope: "snsapi_userinfo", state: "s123", user: "u1" })
        const res = yield* fetchText(`${address.url}/connect/confirm`, { method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" } })
        expect(res.status).toBe(302)
        const location = new URL(res.location!)
        expect(`${location.origin}${location.pathname}`).toBe("http://127.0.0.1:9/cb")
        expect(location.searchParams.get("from")).toBe("menu")
        expect(location.searchParams.get("state")).toBe("s123")
        const code = location.searchParams.get("code")!
        expect(code).toMatch(/^[0-9a-f]{32}$/)
        const token = yield* Sns.exchangeCode(code).pipe(Effect.provide(config(address)))
        expect(token.scope).toEqual(["snsapi_userinfo"])
      })))

  it.effect("deny on qrconnect → redirect with state only", () =>
    withServer((address) =>
      Effect.gen(function*() {
        const form = new URLSearchParams({ flow: "qrconnect", appid: WEB.appId, redirect_uri: "http://127.0.0.1:9/cb", scope: "snsapi_login", state: "s9", deny: "1" })
        const res = yield* fetchText(`${address.url}/connect/confirm`, { method: "POST", body: form })
        expect(res.status).toBe(302)
        expect(res.location).toBe("http://127.0.0.1:9/cb?state=s9")
      })))

  it.effect("the URL the client builds opens a consent page on the fake", () =>
    withServer((address) =>
      Effect.gen(function*() {
        const url = yield* Sns.qrConnectUrl({ redirectUri: "http://127.0.0.1:9/cb", state: "q1" }).pipe(Effect.provide(config(address)))
        const page = yield* fetchText(url)
        expect(page.text).toContain("微信扫码登录 Demo Web")
      })))
})

describe("HTTP control API", () => {
  it.effect("seeds users, issues codes, counts calls and injects faults", () =>
    withServer((address) =>
      Effect.gen(function*() {
        const post = (path: string, body: unknown) =>
          fetchText(`${address.url}/__fake/${path}`, { method: "POST", body: JSON.stringify(body) }).pipe(Effect.map((r) => ({ ...r, json: JSON.parse(r.text) })))
        const user = (yield* post("users", { nickname: "remote" })).json
        expect(user.id).toMatch(/^user\d+$/)
        const { code } = (yield* post("authorize", { appId: WEB.appId, userId: user.id, scope: "snsapi_base" })).json
        const token = yield* Sns.exchangeCode(code).pipe(Effect.provide(config(address)))
        expect(token.openid).toBe(user.openids[WEB.appId] ?? token.openid)
        const calls = JSON.parse((yield* fetchText(`${address.url}/__fake/calls?endpoint=sns/oauth2/access_token`)).text)
        expect(calls.count).toBe(1)
        expect((yield* post("faults", { endpoint: "sns/auth", fault: "busy" })).status).toBe(200)
        const busy = yield* Effect.flip(Sns.checkToken({ accessToken: token.accessToken, openid: token.openid }).pipe(Effect.provide(config(address))))
        expect(busy._tag).toBe("SystemBusy")
        expect((yield* post("authorize", { appId: "nope", userId: user.id })).status).toBe(400)
        expect((yield* post("faults", { endpoint: "sns/auth", fault: "explode" })).status).toBe(400)
      })))
})
