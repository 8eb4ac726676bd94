/**
 * One-line test layers: FakeWechat.layerTest (in memory) and FakeWechat.layerServer (a
 * real loopback server) each provide the fake, a matching WechatConfig and an HttpClient.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { MiniProgram, Sns, WechatConfig } from "../../src/index.js"
import { FakeWechat } from "../../src/testing/index.js"

const MINI = { appId: "wx000000000000000b", appSecret: "mini-secret-0001", kind: "mini-program" } as const

describe("FakeWechat.layerTest", () => {
  it.layer(FakeWechat.layerTest())((it) => {
    it.effect("seeds the test app, configures the client for it and answers in memory", () =>
      Effect.gen(function*() {
        const config = yield* WechatConfig.WechatConfig
        expect(config.appId).toBe(FakeWechat.testApp.appId)
        const fake = yield* FakeWechat
        const user = yield* fake.addUser({ nickname: "一行" })
        const code = yield* fake.authorize({ appId: config.appId, userId: user.id, scope: "snsapi_userinfo" })
        const token = yield* Sns.exchangeCode(code)
        expect((yield* Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })).nickname).toBe("一行")
        expect(yield* fake.callCount("sns/userinfo")).toBe(1)
      }))

    it.effect("builds consent links the fake accepts", () =>
      Effect.gen(function*() {
        const fake = yield* FakeWechat
        const user = yield* fake.addUser({ nickname: "link" })
        const url = yield* Sns.authorizeUrl({ redirectUri: "https://example.com/cb", scope: "snsapi_base", state: "s1" })
        const { code } = yield* fake.consent({ url, userId: user.id, decision: "allow" })
        expect((yield* Sns.exchangeCode(code!)).openid).toBe(yield* fake.openid({ appId: FakeWechat.testApp.appId, userId: user.id }))
      }))
  })

  it.layer(FakeWechat.layerTest({ apps: [MINI], users: [{ id: "m1", nickname: "mini" }], config: { lang: "en" } }))((it) => {
    it.effect("configures the client for the first seeded app, with the given client options", () =>
      Effect.gen(function*() {
        const config = yield* WechatConfig.WechatConfig
        expect([config.appId, config.lang]).toEqual([MINI.appId, "en"])
        const fake = yield* FakeWechat
        const session = yield* MiniProgram.code2Session(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: "m1" }))
        expect(session.openid).toBe(yield* fake.openid({ appId: MINI.appId, userId: "m1" }))
      }))
  })
})

describe("FakeWechat.layerServer", () => {
  it.layer(FakeWechat.layerServer())((it) => {
    it.effect("serves on loopback, its address a service, the client pointed at it; consent pages reach the bound port", () =>
      Effect.gen(function*() {
        const address = yield* FakeWechat.Address
        expect(address.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
        const config = yield* WechatConfig.WechatConfig
        expect([config.apiBaseUrl, config.openBaseUrl]).toEqual([address.url, address.url])
        const fake = yield* FakeWechat
        const user = yield* fake.addUser({ nickname: "server" })
        // a callback on the server's own host:port is authorized
        const url = yield* Sns.authorizeUrl({ redirectUri: `${address.url}/cb`, scope: "snsapi_userinfo", state: "s2" })
        const page = yield* Effect.promise(() => fetch(url).then((r) => r.text()))
        expect(page).toContain(`id="allow-${user.id}"`)
        const form = new URLSearchParams({ appid: config.appId, redirect_uri: `${address.url}/cb`, scope: "snsapi_userinfo", state: "s2", user: user.id })
        const location = yield* Effect.promise(() =>
          fetch(`${address.url}/connect/confirm`, { method: "POST", body: form, redirect: "manual" }).then((r) => r.headers.get("location"))
        )
        const code = new URL(location!).searchParams.get("code")!
        const token = yield* Sns.exchangeCode(code)
        expect((yield* Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })).nickname).toBe("server")
        expect(yield* fake.callCount("sns/oauth2/access_token")).toBe(1)
      }))
  })
})
