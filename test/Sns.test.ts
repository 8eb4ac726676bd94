import * as Compat from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { MiniProgram, Sns, WechatConfig } from "../src/index.js"
import { Replay } from "../src/testing/index.js"
import { fixture, provideAnswer } from "./helpers.js"
import { failureOf } from "./support/result.js"

const urls = JSON.parse(fixture("oauth2_authorize.example_urls.json")) as Record<string, string>

const withApp = (appId: string) => Effect.provide(WechatConfig.layer({ appId, appSecret: "s" }))

describe("Sns.authorizeUrl / qrConnectUrl", () => {
  it.effect("reproduces the documented URLs byte for byte", () =>
    Effect.gen(function*() {
      expect(
        yield* Sns.authorizeUrl({
          redirectUri: "https://chong.qq.com/php/index.php?d=&c=wxAdapter&m=mobileDeal&showwxpaytitle=1&vb2ctag=4_2030_5_1194_60",
          scope: "snsapi_base",
          state: "123"
        }).pipe(withApp("wx520c15f417810387"))
      ).toBe(urls.oauth2_authorize_snsapi_base)
      expect(
        yield* Sns.authorizeUrl({
          redirectUri: "http://nba.bluewebgame.com/oauth_response.php",
          scope: "snsapi_userinfo",
          state: "STATE"
        }).pipe(withApp("wxf0e81c3bee622d60"))
      ).toBe(urls.oauth2_authorize_snsapi_userinfo)
      expect(
        yield* Sns.qrConnectUrl({
          redirectUri: "https://passport.yhd.com/wechat/callback.do",
          state: "3d6be0a4035d839573b04816624a415e"
        }).pipe(withApp("wxbdc5610cc59c1631"))
      ).toBe(urls.qrconnect)
      expect(
        yield* Sns.authorizeUrl({ redirectUri: "http://diveintonode.org/", scope: "snsapi_base" }).pipe(withApp("wx0000000000000001"))
      ).toBe(urls.node_webot_expected_authorize_url_empty_state!.replace("appid=appid", "appid=wx0000000000000001"))
    }))

  it.effect("forcePopup, connect_redirect and lang go in the query, in WeChat's order, before #wechat_redirect", () =>
    Effect.gen(function*() {
      const url = yield* Sns.authorizeUrl({
        redirectUri: "https://example.com/cb",
        scope: "snsapi_userinfo",
        state: "s1",
        forcePopup: true
      }).pipe(withApp("wx0000000000000001"))
      expect(url).toBe(
        "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx0000000000000001&redirect_uri=https%3A%2F%2Fexample.com%2Fcb&response_type=code&scope=snsapi_userinfo&state=s1&forcePopup=true#wechat_redirect"
      )
      expect(url.endsWith("#wechat_redirect")).toBe(true)
      expect(new URL(url).searchParams.get("forcePopup")).toBe("true")
      const both = yield* Sns.authorizeUrl({
        redirectUri: "https://example.com/cb",
        scope: "snsapi_base",
        state: "s1",
        forcePopup: false,
        connectRedirect: true
      }).pipe(withApp("wx0000000000000001"))
      expect(both).toBe(
        "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx0000000000000001&redirect_uri=https%3A%2F%2Fexample.com%2Fcb&response_type=code&scope=snsapi_base&state=s1&forcePopup=false&connect_redirect=1#wechat_redirect"
      )
      // a non-boolean from plain JS is refused, never written into the URL
      const injected = yield* Effect.flip(Sns.authorizeUrl({
        redirectUri: "https://example.com/cb",
        scope: "snsapi_base",
        forcePopup: "true&scope=snsapi_userinfo" as unknown as boolean
      }).pipe(withApp("wx0000000000000001")))
      expect(injected._tag === "InvalidArgument" && injected.argument).toBe("forcePopup")
      const qr = yield* Sns.qrConnectUrl({ redirectUri: "https://example.com/cb", lang: "en" }).pipe(withApp("wx0000000000000001"))
      expect(new URL(qr).searchParams.get("lang")).toBe("en")
      expect(new URL(qr).hash).toBe("#wechat_redirect")
    }))

  it.effect("uses the configured open host", () =>
    Effect.gen(function*() {
      const url = yield* Sns.qrConnectUrl({ redirectUri: "http://127.0.0.1:3000/cb" }).pipe(
        Effect.provide(WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s", openBaseUrl: "http://127.0.0.1:8788/" }))
      )
      expect(url.startsWith("http://127.0.0.1:8788/connect/qrconnect?appid=wx0000000000000001&")).toBe(true)
    }))

  it.effect("refuses bad state and redirect URIs with InvalidArgument", () =>
    Effect.gen(function*() {
      const bad = [
        { redirectUri: "https://example.com/cb", state: "a".repeat(129) },
        { redirectUri: "https://example.com/cb", state: "has space" },
        { redirectUri: "https://example.com/cb", state: "a-b" },
        { redirectUri: "https://example.com/cb", state: "中文" },
        { redirectUri: "/callback" },
        { redirectUri: "callback.php" },
        { redirectUri: "javascript:alert(1)" },
        { redirectUri: "ftp://example.com/cb" }
      ]
      for (const params of bad) {
        const e = yield* Sns.authorizeUrl({ ...params, scope: "snsapi_base" }).pipe(withApp("wx0000000000000001"), Effect.flip)
        expect(e._tag).toBe("InvalidArgument")
        expect(e.argument).toBe("state" in params ? "state" : "redirectUri")
        const q = yield* Sns.qrConnectUrl(params).pipe(withApp("wx0000000000000001"), Effect.flip)
        expect(q._tag).toBe("InvalidArgument")
      }
      const ok = yield* Sns.authorizeUrl({ redirectUri: "https://e.com/cb", scope: "snsapi_base", state: "a".repeat(128) })
        .pipe(withApp("wx0000000000000001"))
      expect(ok).toContain(`state=${"a".repeat(128)}#`)
    }))
})

describe("Sns endpoints send what WeChat expects", () => {
  const cassette = Replay.layer({
    interactions: [
      {
        request: { path: "/sns/oauth2/access_token", query: { appid: "wx0000000000000001", secret: "s3cret", code: "C1", grant_type: "authorization_code" } },
        response: { body: fixture("sns_oauth2_access_token.success.json") }
      },
      {
        request: { path: "/sns/oauth2/refresh_token", query: { appid: "wx0000000000000001", grant_type: "refresh_token", refresh_token: "R1" } },
        response: { body: fixture("sns_oauth2_refresh_token.success.json") }
      },
      {
        request: { path: "/sns/auth", query: { access_token: "A1", openid: "O1" } },
        response: { body: fixture("sns_auth.success.json") }
      },
      {
        request: { path: "/sns/userinfo", query: { access_token: "A1", openid: "O1", lang: "en" } },
        response: { body: fixture("sns_userinfo.success.json") }
      }
    ]
  })
  const live = Layer.merge(cassette, WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s3cret", lang: "en" }))

  it.effect("query strings with the right parameters", () =>
    Effect.gen(function*() {
      const token = yield* Sns.exchangeCode("C1")
      expect(token.openid).toBe("OPENID")
      yield* Sns.refreshToken("R1")
      yield* Sns.checkToken({ accessToken: "A1", openid: "O1" })
      const user = yield* Sns.userInfo({ accessToken: "A1", openid: "O1" })
      expect(user.nickname).toBe("NICKNAME")
    }).pipe(Effect.provide(live)))

  it.effect("empty code, token or openid fail before anything is sent", () =>
    Effect.gen(function*() {
      const results = yield* Effect.all(([
        Sns.exchangeCode(""),
        Sns.exchangeCode("   "),
        Sns.refreshToken(""),
        Sns.checkToken({ accessToken: "", openid: "O1" }),
        Sns.userInfo({ accessToken: "A1", openid: "" })
      ] as Array<Effect.Effect<unknown, { _tag: string }, any>>).map((e) => Compat.result(e)))
      for (const r of results) {
        expect(failureOf(r)?._tag).toBe("InvalidArgument")
      }
    }).pipe(Effect.provide(Layer.merge(Replay.layer({ interactions: [] }), WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s" })))))
})

describe("an empty unionid is no unionid", () => {
  // WeChat sends "" for a value it does not have; Some("") would make every such user
  // share one unionid in an app that links accounts by it
  const token = `{"access_token":"ACCESS","expires_in":7200,"refresh_token":"REFRESH","openid":"oOPENID","scope":"snsapi_userinfo","unionid":""}`
  const profile = `{"openid":"oOPENID","nickname":"Ann","sex":0,"province":"","city":"","country":"","headimgurl":"","privilege":[],"unionid":""}`

  it.effect("in the code exchange, the profile and jscode2session", () =>
    Effect.gen(function*() {
      expect(Option.isNone((yield* provideAnswer("sns/oauth2/access_token", token)(Sns.exchangeCode("CODE"))).unionid)).toBe(true)
      expect(Option.isNone((yield* provideAnswer("sns/userinfo", profile)(Sns.userInfo({ accessToken: "ACCESS", openid: "oOPENID" }))).unionid)).toBe(true)
      const session = yield* provideAnswer("sns/jscode2session", `{"openid":"oOPENID","session_key":"tiihtNczf5v6AKRyjwEUhQ==","unionid":""}`)(MiniProgram.code2Session("JSCODE"))
      expect(Option.isNone(session.unionid)).toBe(true)
      // a unionid that is there is kept
      const withUnion = yield* provideAnswer("sns/oauth2/access_token", token.replace(`"unionid":""`, `"unionid":"oUNION"`))(Sns.exchangeCode("CODE2"))
      expect(withUnion.unionid).toEqual(Option.some("oUNION"))
    }))
})

describe("the same answer decodes the same on both editions", () => {
  it.effect("a blank expires_in is refused (Effect 4's NumberFromString alone reads it as 0)", () =>
    Effect.gen(function*() {
      for (const blank of [`""`, `" "`, `"\\n"`]) {
        const body = `{"access_token":"ACCESS","expires_in":${blank},"refresh_token":"REFRESH","openid":"oOPENID","scope":"snsapi_base"}`
        const error = yield* Effect.flip(provideAnswer("sns/oauth2/access_token", body)(Sns.exchangeCode("CODE")))
        expect([blank, error._tag]).toEqual([blank, "WechatDecodeError"])
      }
      const numeric = `{"access_token":"ACCESS","expires_in":"7200","refresh_token":"REFRESH","openid":"oOPENID","scope":"snsapi_base"}`
      expect((yield* provideAnswer("sns/oauth2/access_token", numeric)(Sns.exchangeCode("CODE"))).expiresIn).toBe(7200)
    }))

  it("a wire class keeps its fields (Effect 4's renamed struct had none)", () => {
    expect(Object.keys(Sns.SnsToken.fields)).toEqual(expect.arrayContaining(["accessToken", "expiresIn", "refreshToken", "openid", "scope"]))
    expect(Object.keys(Sns.SnsUserInfo.fields)).toEqual(expect.arrayContaining(["openid", "nickname", "headImgUrl", "unionid"]))
  })

  it.effect("a decode failure names each field once", () =>
    Effect.gen(function*() {
      const body = `{"access_token":"ACCESS","expires_in":7200,"refresh_token":"REFRESH","openid":"oOPENID","scope":42,"is_snapshotuser":"x"}`
      const error = yield* Effect.flip(provideAnswer("sns/oauth2/access_token", body)(Sns.exchangeCode("CODE")))
      const parts = error._tag === "WechatDecodeError" ? error.detail.split("; ") : []
      expect(parts.length).toBeGreaterThan(0)
      expect(new Set(parts).size).toBe(parts.length)
    }))
})

