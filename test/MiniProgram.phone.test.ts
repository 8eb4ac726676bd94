/**
 * MiniProgram.phoneNumber against a recording upstream: the request WeChat documents, one
 * token refresh on an invalid token, answers as captured from WeChat, the watermark check,
 * and what each errcode of this endpoint means.
 */
import { HttpClient, HttpClientResponse } from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { AccessTokenProvider, MiniProgram, TokenStore, WechatConfig, WechatError, WechatRetry } from "../src/index.js"

const APP = "wx62b400658529b5a1"
const CODE = "e31968a7f94cc5ee25fafc2aef2773f0bb8c3937b22520eb8ee345274d00c144" // the doc's example code
const ENDPOINT = "wxa/business/getuserphonenumber"

interface Seen {
  readonly method: string
  readonly path: string
  readonly query: Record<string, string>
  readonly body: string
}

/** An upstream that records each request and answers the phone endpoint from `answers`, in turn. */
const upstream = (answers: ReadonlyArray<string>, tokens: ReadonlyArray<string> = ["TOKEN-1", "TOKEN-2", "TOKEN-3"]) => {
  const seen: Array<Seen> = []
  let phone = 0
  let token = 0
  const client = HttpClient.make((request, url) => {
    const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
    const path = url.pathname.replace(/^\//, "")
    seen.push({ method: request.method, path, query: Object.fromEntries(url.searchParams), body })
    const text = path === "cgi-bin/stable_token"
      ? JSON.stringify({ access_token: tokens[token++], expires_in: 7200 })
      : answers[Math.min(phone++, answers.length - 1)]!
    return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(text, { headers: { "content-type": "text/plain" } })))
  })
  const layer = AccessTokenProvider.layer().pipe(Layer.provideMerge(Layer.mergeAll(
    Layer.succeed(HttpClient.HttpClient, client),
    WechatConfig.layer({ appId: APP, appSecret: "phone-test-secret" }),
    TokenStore.layerMemory
  )))
  return { seen, layer, phoneRequests: () => seen.filter((s) => s.path === ENDPOINT) }
}

const ok = (phone: string, appid = APP, countryCode: string | number = "86") =>
  JSON.stringify({ errcode: 0, errmsg: "ok", phone_info: { phoneNumber: phone, purePhoneNumber: phone, countryCode, watermark: { timestamp: 1640739648, appid } } })

describe("MiniProgram.phoneNumber", () => {
  it.effect("POSTs the code as JSON with the basic token in the query; openid only when given", () => {
    const up = upstream([ok("13580006666")])
    return Effect.gen(function*() {
      const phone = yield* MiniProgram.phoneNumber({ code: CODE })
      yield* MiniProgram.phoneNumber({ code: CODE, openid: "oGZUI0egBJY1zhBYw2KhdUfwVJJE" })
      expect(phone.toJSON()).toEqual({ phoneNumber: "13580006666", purePhoneNumber: "13580006666", countryCode: "86", watermark: { appid: APP, timestamp: 1640739648 } })
      const [first, second] = up.phoneRequests()
      expect([first!.method, first!.query, JSON.parse(first!.body)]).toEqual(["POST", { access_token: "TOKEN-1" }, { code: CODE }])
      expect(JSON.parse(second!.body)).toEqual({ code: CODE, openid: "oGZUI0egBJY1zhBYw2KhdUfwVJJE" })
    }).pipe(Effect.provide(up.layer))
  })

  it.effect("an invalid token (40001) is refreshed once and the code sent again with the new one; a second 40001 reaches the caller", () => {
    const invalid = `{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest rid: 62c53f7f-0bbfe609-5464fb0c"}`
    const up = upstream([invalid, ok("13580006666"), invalid, invalid])
    return Effect.gen(function*() {
      expect((yield* MiniProgram.phoneNumber({ code: CODE })).phoneNumber).toBe("13580006666")
      expect(up.phoneRequests().map((r) => r.query.access_token)).toEqual(["TOKEN-1", "TOKEN-2"])
      const error = yield* Effect.flip(MiniProgram.phoneNumber({ code: CODE }))
      expect([error._tag, "errcode" in error && error.errcode]).toEqual(["AccessTokenInvalid", 40001])
      expect(up.phoneRequests().map((r) => r.query.access_token)).toEqual(["TOKEN-1", "TOKEN-2", "TOKEN-2", "TOKEN-3"])
    }).pipe(Effect.provide(up.layer))
  })

  it.effect("answers as captured from WeChat (countryCode a string) and as the doc prints them (a number)", () => {
    // a real body left in public code (docs/miniprogram.md §6.3), digits masked there
    const captured = `{"errcode":0,"errmsg":"ok","phone_info":{"phoneNumber":"178****3387","purePhoneNumber":"178****3387","countryCode":"86","watermark":{"timestamp":1640739648,"appid":"wx62b400658529b5a1"}}}`
    const up = upstream([captured, ok("13580006666", APP, 86)])
    return Effect.gen(function*() {
      const real = yield* MiniProgram.phoneNumber({ code: CODE })
      expect([real.phoneNumber, real.countryCode, real.watermark.timestamp]).toEqual(["178****3387", "86", 1640739648])
      expect((yield* MiniProgram.phoneNumber({ code: CODE })).countryCode).toBe("86")
    }).pipe(Effect.provide(up.layer))
  })

  it.effect("a watermark of another app is refused with WatermarkMismatch, which shows no phone number", () => {
    const up = upstream([ok("13911112222", "wx1a94dcdb3490a778")])
    return Effect.gen(function*() {
      const error = yield* Effect.flip(MiniProgram.phoneNumber({ code: CODE }))
      expect(error._tag).toBe("WatermarkMismatch")
      expect(error._tag === "WatermarkMismatch" && [error.appid, error.endpoint, error.action]).toEqual(["wx1a94dcdb3490a778", ENDPOINT, "stop"])
      for (const text of [error.message, JSON.stringify(error), String(error)]) expect(text).not.toContain("13911112222")
    }).pipe(Effect.provide(up.layer))
  })

  it.effect("a reused code is InvalidCode with the rid from 'hint: […] rid: …'; a -1 is never retried, since the code may be spent", () => {
    const up = upstream([
      `{"errcode":40029,"errmsg":"invalid code hint: [GiaBxSDNRa-mkSN7] rid: 6246c276-162a85aa-5fb4136b"}`,
      `{"errcode":-1,"errmsg":"system error"}`,
      ok("13580006666")
    ])
    return Effect.gen(function*() {
      const reused = yield* Effect.flip(MiniProgram.phoneNumber({ code: CODE }))
      expect([reused._tag, "rid" in reused && reused.rid, "action" in reused && reused.action]).toEqual(["InvalidCode", "6246c276-162a85aa-5fb4136b", "reauthorize"])
      const busy = yield* Effect.flip(MiniProgram.phoneNumber({ code: CODE }).pipe(Effect.provide(WechatRetry.layer(WechatRetry.policy))))
      expect([busy._tag, "action" in busy && busy.action]).toEqual(["SystemBusy", "reauthorize"])
      expect(up.phoneRequests()).toHaveLength(2)
    }).pipe(Effect.provide(up.layer))
  })

  it.effect("inputs are checked before anything is sent", () => {
    const up = upstream([ok("13580006666")])
    return Effect.gen(function*() {
      for (const [params, argument] of [[{ code: "" }, "code"], [{ code: "a b" }, "code"], [{ code: CODE, openid: "no spaces please" }, "openid"]] as const) {
        const error = yield* Effect.flip(MiniProgram.phoneNumber(params))
        expect([error._tag, error._tag === "InvalidArgument" && error.argument]).toEqual(["InvalidArgument", argument])
      }
      expect(up.seen).toHaveLength(0)
    }).pipe(Effect.provide(up.layer))
  })
})

describe("the errcodes of the mini-program endpoints", () => {
  it("map to tags and actions as docs/miniprogram.md §5 says", () => {
    const cases: Array<[string, number, string, string]> = [
      [ENDPOINT, 40029, "InvalidCode", "reauthorize"],
      [ENDPOINT, 40013, "AppMisconfigured", "fix-config"],
      [ENDPOINT, 48001, "ApiUnauthorized", "fix-config"],
      [ENDPOINT, 47001, "RequestRejected", "stop"],
      [ENDPOINT, 40234, "AppMisconfigured", "fix-config"],
      [ENDPOINT, 40001, "AccessTokenInvalid", "refresh-token"],
      // a single-use code: never sent twice
      [ENDPOINT, -1, "SystemBusy", "reauthorize"],
      [ENDPOINT, 45011, "RateLimited", "reauthorize"],
      ["wxa/checksession", -1, "SystemBusy", "retry"],
      ["wxa/checksession", 87009, "SessionKeyInvalid", "reauthorize"],
      ["wxa/checksession", 87007, "SessionKeyInvalid", "reauthorize"],
      ["wxa/checksession", 87008, "RequestRejected", "stop"],
      ["wxa/checksession", 42001, "AccessTokenInvalid", "refresh-token"]
    ]
    for (const [endpoint, errcode, tag, action] of cases) {
      const error = WechatError.fromErrcode(endpoint, errcode, "msg hint: [x] rid: 0a1b2c3d-0a1b2c3d-0a1b2c3d")
      expect([endpoint, errcode, error._tag, error.action, error.rid]).toEqual([endpoint, errcode, tag, action, "0a1b2c3d-0a1b2c3d-0a1b2c3d"])
      expect(WechatError.isWechatError(error)).toBe(true)
    }
  })
})
