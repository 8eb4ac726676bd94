import { FetchHttpClient } from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { BasicToken, Sns, TokenStore, WechatConfig } from "../../src/index.js"
import { FakeWechat } from "../../src/testing/index.js"
import { BOUND } from "./fakeSetup.js"

const WEB = { appId: "wx0000000000000008", appSecret: "web-secret-0003", authorizedDomains: ["127.0.0.1:9", "example.com"], name: "Demo Web" }
const SITE = { appId: "wx0000000000000005", appSecret: "site-secret-0004", kind: "website", authorizedDomains: ["127.0.0.1:9"] } as const
const USERS = [{ id: "u1", nickname: "小红 <b>&" }, { id: "bell", nickname: "小明\u0007\u001f" }, { id: "snap", nickname: "快照", snapshot: true }]

const withServer = <A, E>(f: (address: FakeWechat.Address) => Effect.Effect<A, E, FakeWechat>) =>
  Effect.scoped(Effect.gen(function*() {
    const address = yield* FakeWechat.serve({ port: 0 })
    expect(address.host).toBe("127.0.0.1")
    expect(address.port).toBeGreaterThan(0)
    return yield* f(address)
  })).pipe(Effect.provide(FakeWechat.layerControl({ apps: [BOUND, WEB, SITE], users: USERS })))

const fetchText = (url: string, init?: RequestInit) =>
  Effect.promise(() => fetch(url, { redirect: "manual", ...init }).then(async (r) => ({ status: r.status, location: r.headers.get("location"), type: r.headers.get("content-type"), text: await r.text() })))

/** The client for the server; each use has its own TokenStore, like a separate process. */
const config = (address: FakeWechat.Address, app: { appId: string; appSecret: string } = WEB) =>
  Layer.mergeAll(
    FetchHttpClient.layer,
    WechatConfig.layer({ appId: app.appId, appSecret: app.appSecret, apiBaseUrl: address.url, openBaseUrl: address.url }),
    TokenStore.layerMemory
  )

/** A link with its parameters in exactly this order. */
const link = (address: FakeWechat.Address, params: ReadonlyArray<readonly [string, string]>, path = "connect/oauth2/authorize") =>
  `${address.url}/${path}?${params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")}#wechat_redirect`

const errorOf = (html: string) => /<h1 id="error">([^<]*)<\/h1>/.exec(html)?.[1]

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
  const base = (): Array<[string, string]> => [
    ["appid", WEB.appId],
    ["redirect_uri", "http://127.0.0.1:9/cb"],
    ["response_type", "code"],
    ["scope", "snsapi_userinfo"],
    ["state", "abc"]
  ]
  const set = (params: Array<[string, string]>, key: string, value: string) => params.map(([k, v]): [string, string] => [k, k === key ? value : v])

  it.effect("show WeChat's errors, with its codes and texts", () =>
    withServer((address) =>
      Effect.gen(function*() {
        const p = base()
        const cases: Array<[Array<[string, string]>, string]> = [
          [set(p, "appid", ""), "appid不能为空，错误码：10012"],
          [set(p, "appid", "wx0000000000000011"), "appid参数错误"],
          [set(p, "appid", SITE.appId), "不支持微信开放平台的Appid，请使用公众号Appid，错误码：10016"],
          [set(p, "redirect_uri", "https://evil.com/cb"), "redirect_uri域名与后台配置不一致，错误码：10003"],
          [set(p, "redirect_uri", "https://sub.example.com/cb"), "redirect_uri域名与后台配置不一致，错误码：10003"],
          [set(p, "scope", "snsapi_login"), "此公众号并没有这些scope的权限，错误码：10005"],
          [set(p, "scope", ""), "scope不能为空，错误码：10010"],
          [set(p, "state", "x".repeat(129)), "state参数过长"],
          [set(p, "state", "a-b"), "state参数错误"]
        ]
        for (const [params, text] of cases) {
          const page = yield* fetchText(link(address, params))
          expect([page.status, errorOf(page.text)]).toEqual([200, text])
        }
        const qrAsOa = yield* fetchText(link(address, set(set(p, "appid", BOUND.appId), "scope", "snsapi_login"), "connect/qrconnect"))
        expect(errorOf(qrAsOa.text)).toBe("该链接无法访问") // BOUND is not authorized for 127.0.0.1:9
        const qrWrongScope = yield* fetchText(link(address, set(p, "appid", SITE.appId), "connect/qrconnect"))
        expect(errorOf(qrWrongScope.text)).toBe("该链接无法访问")
        expect(qrWrongScope.text).toContain("scope must be snsapi_login")
      })))

  it.effect("match the link strictly: a wrong parameter order does not open the page; extras come after state", () =>
    withServer((address) =>
      Effect.gen(function*() {
        const p = base()
        const swapped = [p[1]!, p[0]!, ...p.slice(2)]
        const stateFirst = [p[4]!, ...p.slice(0, 4)]
        const extraInside = [...p.slice(0, 4), ["forcePopup", "true"] as [string, string], p[4]!]
        for (const params of [swapped, stateFirst, extraInside]) {
          const page = yield* fetchText(link(address, params))
          expect(errorOf(page.text)).toBe("该链接无法访问")
          expect(page.text).toContain("WeChat matches the link strictly")
        }
        const extrasAfter = yield* fetchText(link(address, [...p, ["forcePopup", "true"], ["connect_redirect", "1"]]))
        expect(extrasAfter.text).toContain(`id="allow-u1"`)
        const noState = yield* fetchText(link(address, p.slice(0, 4)))
        expect(noState.text).toContain(`id="allow-u1"`)
        // what the client builds opens the page
        const built = yield* Sns.authorizeUrl({ redirectUri: "http://127.0.0.1:9/cb", scope: "snsapi_base", state: "s", forcePopup: true }).pipe(Effect.provide(config(address)))
        expect((yield* fetchText(built)).text).toContain(`id="allow-u1"`)
      })))

  it.effect("compare redirect_uri with host[:port]: another port, or a domain configured with a path → 10003 redirect_uri 参数错误", () =>
    withServer((address) =>
      Effect.gen(function*() {
        const fake = yield* FakeWechat
        yield* fake.addApp({ ...WEB, authorizedDomains: ["127.0.0.1:9", "example.com", "47.94.21.5:1337/home"] })
        const p = base()
        const open = (uri: string) => fetchText(link(address, set(p, "redirect_uri", uri))).pipe(Effect.map((r) => errorOf(r.text) ?? "consent"))
        expect(yield* open("http://127.0.0.1:9/cb")).toBe("consent")
        expect(yield* open("http://127.0.0.1:10/cb")).toBe("redirect_uri 参数错误，错误码：10003")
        expect(yield* open("http://127.0.0.1/cb")).toBe("redirect_uri 参数错误，错误码：10003")
        expect(yield* open("https://example.com/cb")).toBe("consent")
        expect(yield* open("http://example.com/cb")).toBe("consent")
        expect(yield* open("https://example.com:8443/cb")).toBe("redirect_uri 参数错误，错误码：10003")
        expect(yield* open("http://47.94.21.5:1337/home/cb")).toBe("redirect_uri 参数错误，错误码：10003")
        expect(yield* open("ftp://example.com/cb")).toBe("redirect_uri 参数错误，错误码：10003")
      })))

  it.effect("show nicknames with control characters as control pictures, escaped; the snapshot page only for snsapi_userinfo", () =>
    withServer((address) =>
      Effect.gen(function*() {
        const p = base()
        const userinfo = (yield* fetchText(link(address, p))).text
        expect(userinfo).toContain("小明\u2407\u241f")
        expect(userinfo).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/)
        expect(userinfo).toContain("小红 &lt;b&gt;&amp;")
        expect(userinfo).toContain("快照</span> (snapshot page)")
        const baseScope = (yield* fetchText(link(address, set(p, "scope", "snsapi_base")))).text
        expect(baseScope).toContain(`id="allow-snap"`)
        expect(baseScope).not.toContain("(snapshot page)")
      })))

  it.effect("allow → 302 to redirect_uri with code and state; the code works once", () =>
    withServer((address) =>
      Effect.gen(function*() {
        const form = new URLSearchParams({ appid: WEB.appId, redirect_uri: "http://127.0.0.1:9/cb?from=menu", scope: "snsapi_userinfo", state: "s123", user: "u1" })
        const res = yield* fetchText(`${address.url}/connect/confirm`, { method: "POST", body: form })
        expect(res.status).toBe(302)
        const location = new URL(res.location!)
        expect(`${location.origin}${location.pathname}`).toBe("http://127.0.0.1:9/cb")
        expect(location.searchParams.get("from")).toBe("menu")
        expect(location.searchParams.get("state")).toBe("s123")
        const code = location.searchParams.get("code")!
        expect(code).toMatch(/^[0-9a-f]{32}$/)
        const token = yield* Sns.exchangeCode(code).pipe(Effect.provide(config(address)))
        expect(token.scope).toEqual(["snsapi_userinfo"])
        const denied = yield* fetchText(`${address.url}/connect/confirm`, { method: "POST", body: new URLSearchParams({ appid: WEB.appId, redirect_uri: "http://127.0.0.1:9/cb", scope: "snsapi_base", state: "s9", deny: "1" }) })
        expect([denied.status, denied.location]).toEqual([302, "http://127.0.0.1:9/cb?state=s9"])
      })))

  it.effect("duplicateCallbacks (per app, or ticked per consent): the answer is a page that delivers the callback twice", () =>
    withServer((address) =>
      Effect.gen(function*() {
        const fake = yield* FakeWechat
        const form = (extra: Record<string, string>) =>
          new URLSearchParams({ appid: WEB.appId, redirect_uri: "http://127.0.0.1:9/cb", scope: "snsapi_base", state: "s1", user: "u1", ...extra })
        const once = yield* fetchText(`${address.url}/connect/confirm`, { method: "POST", body: form({ duplicate_callback: "0" }) })
        expect(once.status).toBe(302)
        const twice = yield* fetchText(`${address.url}/connect/confirm`, { method: "POST", body: form({ duplicate_callback: "1" }) })
        expect(twice.status).toBe(200)
        expect(twice.text).toContain(`id="duplicate-callback"`)
        expect(twice.text).toMatch(/const target="http:\/\/127\.0\.0\.1:9\/cb\?code=[0-9a-f]{32}&state=s1";fetch\(target,\{mode:"no-cors",credentials:"include"/)
        expect(twice.text).toContain("location.replace(target)")
        // per app: the consent page ticks the box, the form without it follows the app
        yield* fake.addApp({ ...WEB, duplicateCallbacks: true })
        expect((yield* fetchText(link(address, base()))).text).toMatch(/id="duplicate-callback" name="duplicate_callback" value="1" checked/)
        expect((yield* fetchText(`${address.url}/connect/confirm`, { method: "POST", body: form({}) })).status).toBe(200)
        expect((yield* fake.consent({ url: link(address, base()), userId: "u1", decision: "allow" })).deliveries).toBe(2)
        expect((yield* fake.consent({ url: link(address, base()), userId: "u1", decision: "allow", duplicateCallback: false })).deliveries).toBe(1)
      })))

  it.effect("qrconnect shows a QR code of the phone page, which shows the same consent form", () =>
    withServer((address) =>
      Effect.gen(function*() {
        const fake = yield* FakeWechat
        const url = yield* Sns.qrConnectUrl({ redirectUri: "http://127.0.0.1:9/cb", state: "q1" }).pipe(Effect.provide(config(address, SITE)))
        const pc = yield* fetchText(url)
        expect(pc.text).toContain("微信登录 wx0000000000000005")
        expect(pc.text).toMatch(/<div id="qr" data-uuid="[0-9a-f]{24}"><svg [^>]*viewBox="0 0 \d+ \d+"/)
        const uuid = /data-uuid="([0-9a-f]+)"/.exec(pc.text)![1]!
        const poll = () => fetchText(`${address.url}/connect/qrconnect/poll?uuid=${uuid}`).pipe(Effect.map((r) => JSON.parse(r.text)))
        expect(yield* poll()).toEqual({ status: "waiting" })
        const phone = yield* fetchText(`${address.url}/connect/qrconnect/phone?uuid=${uuid}`)
        expect(phone.text).toContain(`id="allow-u1"`)
        expect(phone.text).toContain(`name="uuid" value="${uuid}"`)
        expect(yield* poll()).toEqual({ status: "scanned" })
        const confirmed = yield* fetchText(`${address.url}/connect/confirm`, { method: "POST", body: new URLSearchParams({ uuid, user: "u1" }) })
        expect(confirmed.text).toContain(`id="confirmed"`)
        const answer = yield* poll()
        expect([answer.status, answer.deliveries]).toEqual(["confirmed", 1])
        const code = new URL(answer.location).searchParams.get("code")!
        expect((yield* Sns.exchangeCode(code).pipe(Effect.provide(config(address, SITE)))).scope).toEqual(["snsapi_login"])
        expect((yield* fake.state).qrLogins).toEqual([{ uuid, appId: SITE.appId, status: "confirmed", userId: "u1", expiresAt: expect.any(Number) }])
        // answered: the phone page no longer opens
        expect(errorOf((yield* fetchText(`${address.url}/connect/qrconnect/phone?uuid=${uuid}`)).text)).toBe("二维码已失效")
      })))
})
