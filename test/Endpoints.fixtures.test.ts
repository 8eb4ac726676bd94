/**
 * Every fixture body of ../shared/fixtures (copied into test/fixtures), served through the
 * public client with the content types WeChat really uses.
 */
import * as Compat from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { readdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { BasicToken, JsSdk, MiniProgram, Sns } from "../src/index.js"
import { fixture, provideAnswer } from "./helpers.js"
import { failureOf, successOf, isFailure, isSuccess } from "./support/result.js"

const CONTENT_TYPES = ["text/plain", "application/json; encoding=utf-8", "application/json"]

const endpoints = {
  sns_oauth2_access_token: { path: "sns/oauth2/access_token", call: () => Sns.exchangeCode("CODE") },
  sns_oauth2_refresh_token: { path: "sns/oauth2/refresh_token", call: () => Sns.refreshToken("REFRESH") },
  sns_auth: { path: "sns/auth", call: () => Sns.checkToken({ accessToken: "AT", openid: "OPENID" }) },
  sns_userinfo: { path: "sns/userinfo", call: () => Sns.userInfo({ accessToken: "AT", openid: "OPENID" }) },
  sns_jscode2session: { path: "sns/jscode2session", call: () => MiniProgram.code2Session("JSCODE") },
  cgi_bin_token: { path: "cgi-bin/token", call: () => BasicToken.fetch() },
  cgi_bin_stable_token: { path: "cgi-bin/stable_token", method: "POST" as const, call: () => BasicToken.fetchStable() },
  cgi_bin_ticket_getticket: { path: "cgi-bin/ticket/getticket", call: () => JsSdk.getTicket({ accessToken: "AT" }) }
} as const

type Endpoint = keyof typeof endpoints

const run = (endpoint: Endpoint, body: string, contentType: string) => {
  const e = endpoints[endpoint]
  return (e.call() as Effect.Effect<unknown, any, any>).pipe(
    provideAnswer(e.path, body, { contentType, method: "method" in e ? e.method : "GET" }),
    Compat.result
  ) as Effect.Effect<Compat.Result<unknown, any>>
}

// errcode fixture → expected tag, action, rid (from the fixture's errmsg suffix) and extras
const errors: Record<string, { tag: string; action: string; rid?: string; extra?: Record<string, unknown> }> = {
  "sns_oauth2_access_token.err_40029.json": { tag: "InvalidCode", action: "reauthorize", rid: "63106779-282330ba-5d5deaf3" },
  "sns_oauth2_access_token.err_40029_doc.json": { tag: "InvalidCode", action: "reauthorize" },
  "sns_oauth2_access_token.err_40029_legacy_hints.json": { tag: "InvalidCode", action: "reauthorize", rid: "RfHd6zore-b7G7ca" },
  "sns_oauth2_access_token.err_40125.json": { tag: "AppMisconfigured", action: "fix-config", rid: "63dccc77-71ede712-25f92a0e" },
  "sns_oauth2_access_token.err_40163.json": { tag: "CodeAlreadyUsed", action: "reauthorize", rid: "645ca8fe-448ccd42-1a78a4b0" },
  "sns_oauth2_access_token.err_45011.json": { tag: "RateLimited", action: "reauthorize", rid: "6336ebac-467cadb4-7e34493a", extra: { window: "minute" } },
  "sns_oauth2_refresh_token.err_40030.json": { tag: "RefreshTokenInvalid", action: "reauthorize", rid: "6114eeb9-0032c16a-61fbf7ce" },
  "sns_oauth2_refresh_token.err_40030_doc.json": { tag: "RefreshTokenInvalid", action: "reauthorize" },
  "sns_auth.err_40003.json": { tag: "InvalidOpenid", action: "stop" },
  "sns_auth.err_40014.json": { tag: "AccessTokenInvalid", action: "refresh-token", rid: "60472705-67522403-59c37536" },
  "sns_auth.err_48001.json": { tag: "ApiUnauthorized", action: "fix-config", rid: "643ca32c-5a2f31f7-7b7dbf34" },
  "sns_userinfo.err_40001.json": { tag: "AccessTokenInvalid", action: "refresh-token", rid: "63fddc91-0bf37557-4f13ec59" },
  "sns_userinfo.err_40003_doc.json": { tag: "InvalidOpenid", action: "stop" },
  "sns_userinfo.err_48001.json": { tag: "ApiUnauthorized", action: "reauthorize", rid: "62fb9bc8-078c24da-4202f278" },
  "sns_jscode2session.err_40013.json": { tag: "AppMisconfigured", action: "fix-config", rid: "617834e0-2c745b02-3446b1eb" },
  "sns_jscode2session.err_40029.json": { tag: "InvalidCode", action: "reauthorize", rid: "617833f5-4d39a245-36d3a896" },
  "sns_jscode2session.err_40125.json": { tag: "AppMisconfigured", action: "fix-config", rid: "61783524-6e9fd6bc-59d4a1b8" },
  "sns_jscode2session.err_40163.json": { tag: "CodeAlreadyUsed", action: "reauthorize", rid: "680a9de1-5392a330-75f1ca8d" },
  "sns_jscode2session.err_40164.json": { tag: "IpNotWhitelisted", action: "fix-config", rid: "656da159-2d2fdafb-4806ce58", extra: { ip: "112.97.80.6" } },
  "sns_jscode2session.err_45009.json": { tag: "RateLimited", action: "stop", rid: "64c9165c-4a799d77-6328edd8", extra: { window: "day" } },
  "sns_jscode2session.err_45011.json": { tag: "RateLimited", action: "reauthorize", rid: "658c03c7-029c8f19-07211e07", extra: { window: "minute" } },
  "cgi_bin_token.err_40013_doc.json": { tag: "AppMisconfigured", action: "fix-config" },
  "cgi_bin_token.err_40013_legacy_hint.json": { tag: "AppMisconfigured", action: "fix-config", rid: "vJOTwa0300ha57" },
  "cgi_bin_token.err_40125.json": { tag: "AppMisconfigured", action: "fix-config", rid: "671b9ddb-6ce940c8-7d5bcaf9" },
  "cgi_bin_token.err_40164.json": { tag: "IpNotWhitelisted", action: "fix-config", rid: "6125a48e-4bc55df9-6a1d6b57", extra: { ip: "47.103.62.98" } },
  "cgi_bin_token.err_45009.json": { tag: "RateLimited", action: "stop", rid: "6513aa28-57d848c6-68a55827", extra: { window: "day" } },
  "cgi_bin_token.err_45011.json": { tag: "RateLimited", action: "retry", rid: "5fb1e22f-15e0407f-00233e18", extra: { window: "minute" } },
  "cgi_bin_token.err_minus1_doc.json": { tag: "SystemBusy", action: "retry" },
  "cgi_bin_stable_token.err_45009.json": { tag: "RateLimited", action: "stop", rid: "68d49773-32044106-7794eb1b", extra: { window: "day" } },
  "cgi_bin_ticket_getticket.err_40001.json": { tag: "AccessTokenInvalid", action: "refresh-token", rid: "5f9b7285-5c43096f-0ba75f4d" }
}

const fixtureFiles = readdirSync(fileURLToPath(new URL("./fixtures", import.meta.url)))
const endpointOf = (file: string) => file.split(".")[0] as Endpoint

describe("every error fixture decodes to its tag", () => {
  it("covers every errcode fixture of every endpoint", () => {
    const errFixtures = fixtureFiles.filter((f) => f.includes(".err_") && endpointOf(f) in endpoints)
    expect(errFixtures.sort()).toEqual(Object.keys(errors).sort())
  })

  for (const [file, expected] of Object.entries(errors)) {
    for (const contentType of CONTENT_TYPES) {
      it.effect(`${file} as ${contentType}`, () =>
        Effect.gen(function*() {
          const body = fixture(file)
          const result = yield* run(endpointOf(file), body, contentType)
          expect(isFailure(result)).toBe(true)
          if (!isFailure(result)) return
          const error = failureOf(result)!
          const raw = JSON.parse(body)
          expect(error._tag).toBe(expected.tag)
          expect(error.errcode).toBe(raw.errcode)
          expect(error.errmsg).toBe(raw.errmsg)
          expect(error.rid).toBe(expected.rid)
          expect(error.action).toBe(expected.action)
          expect(error.endpoint).toBe(endpoints[endpointOf(file)].path)
          for (const [k, v] of Object.entries(expected.extra ?? {})) expect(error[k]).toBe(v)
        }))
    }
  }
})

describe("success fixtures decode to typed values", () => {
  const ok = (file: string, contentType = "text/plain") => run(endpointOf(file), fixture(file), contentType).pipe(
    Effect.map((r) => {
      if (isFailure(r)) throw new Error(`expected success, got ${failureOf(r)!._tag}: ${failureOf(r)!.message}`)
      return successOf(r)! as any
    })
  )

  for (const contentType of CONTENT_TYPES) {
    it.effect(`sns_oauth2_access_token.success (${contentType})`, () =>
      Effect.gen(function*() {
        const token: Sns.SnsToken = yield* ok("sns_oauth2_access_token.success.json", contentType)
        expect(token).toBeInstanceOf(Sns.SnsToken)
        expect(Redacted.value(token.accessToken)).toBe("ACCESS_TOKEN")
        expect(Redacted.value(token.refreshToken)).toBe("REFRESH_TOKEN")
        expect(token.expiresIn).toBe(7200)
        expect(token.openid).toBe("OPENID")
        expect(token.scope).toEqual(["SCOPE"])
        expect(token.unionid).toEqual(Option.none())
        expect(token.isSnapshotUser).toBe(false)
      }))
  }

  it.effect("sns_oauth2_access_token.success_unionid", () =>
    Effect.gen(function*() {
      const token: Sns.SnsToken = yield* ok("sns_oauth2_access_token.success_unionid.json")
      expect(token.unionid).toEqual(Option.some("UNIONID"))
      expect(token.isSnapshotUser).toBe(false)
    }))

  it.effect("sns_oauth2_access_token.success_snapshotuser", () =>
    Effect.gen(function*() {
      const token: Sns.SnsToken = yield* ok("sns_oauth2_access_token.success_snapshotuser.json")
      expect(token.isSnapshotUser).toBe(true)
      expect(token.unionid).toEqual(Option.some("UNIONID"))
    }))

  it.effect("sns_oauth2_refresh_token.success", () =>
    Effect.gen(function*() {
      const token: Sns.SnsToken = yield* ok("sns_oauth2_refresh_token.success.json")
      expect(Redacted.value(token.accessToken)).toBe("ACCESS_TOKEN")
      expect(Redacted.value(token.refreshToken)).toBe("REFRESH_TOKEN")
      expect(token.scope).toEqual(["SCOPE"])
    }))

  it.effect("sns_auth.success ({errcode:0})", () =>
    Effect.gen(function*() {
      expect(yield* ok("sns_auth.success.json")).toBeUndefined()
    }))

  it.effect("sns_userinfo.success", () =>
    Effect.gen(function*() {
      const user: Sns.SnsUserInfo = yield* ok("sns_userinfo.success.json", "application/json; encoding=utf-8")
      expect(user).toBeInstanceOf(Sns.SnsUserInfo)
      expect(user.sex).toBe(1)
      expect(user.nickname).toBe("NICKNAME")
      expect(user.province).toBe("PROVINCE")
      expect(user.headImgUrl).toMatch(/^https:\/\/thirdwx\.qlogo\.cn\/mmopen\/.*\/46$/)
      expect(user.privilege).toEqual(["PRIVILEGE1", "PRIVILEGE2"])
      expect(user.unionid).toEqual(Option.some("o6_bmasdasdsad6_2sgVt7hMZOPfL"))
    }))

  it.effect("sns_userinfo.success_legacy_sex_string (\"sex\":\"1\")", () =>
    Effect.gen(function*() {
      const user: Sns.SnsUserInfo = yield* ok("sns_userinfo.success_legacy_sex_string.json")
      expect(user.sex).toBe(1)
      expect(user.headImgUrl.startsWith("http://wx.qlogo.cn/")).toBe(true)
    }))

  it.effect("sns_userinfo.success_post2021_constructed", () =>
    Effect.gen(function*() {
      const user: Sns.SnsUserInfo = yield* ok("sns_userinfo.success_post2021_constructed.json")
      expect(user.sex).toBe(0)
      expect([user.province, user.city, user.country]).toEqual(["", "", ""])
      expect(user.privilege).toEqual([])
    }))

  it.effect("sns_jscode2session.success and the doc example with errcode 0", () =>
    Effect.gen(function*() {
      const session: MiniProgram.MiniProgramSession = yield* ok("sns_jscode2session.success.json")
      expect(session.openid).toBe("o16wA0b4AZKzgVJR3MBwoUdTfU_E")
      expect(Redacted.value(session.sessionKey)).toBe("D1ZWEygStjuLCnZ9IN2l4Q==")
      expect(session.unionid).toEqual(Option.some("or4zX05h_Ykt4ju0TUfx3CQsvfTo"))
      const doc: MiniProgram.MiniProgramSession = yield* ok("sns_jscode2session.success_doc_example.json")
      expect(doc.openid).toBe("xxxxxx")
      expect(Redacted.value(doc.sessionKey)).toBe("xxxxx")
    }))

  it.effect("cgi_bin_token.success and cgi_bin_stable_token.success", () =>
    Effect.gen(function*() {
      for (const file of ["cgi_bin_token.success.json", "cgi_bin_stable_token.success.json"]) {
        const token: BasicToken.BasicAccessToken = yield* ok(file)
        expect(token).toBeInstanceOf(BasicToken.BasicAccessToken)
        expect(Redacted.value(token.accessToken)).toBe("ACCESS_TOKEN")
        expect(token.expiresIn).toBe(7200)
      }
    }))

  it.effect("cgi_bin_ticket_getticket.success (errcode 0 beside the fields)", () =>
    Effect.gen(function*() {
      const ticket: JsSdk.JsSdkTicket = yield* ok("cgi_bin_ticket_getticket.success.json")
      expect(Redacted.value(ticket.ticket)).toBe(
        "bxLdikRXVbTPdHSM05e5u5sUoXNKd8-41ZO3MhKoyN5OfkWITDGgnr2fwJ0m9E8NYzWKVZvdVtaUgWvsdshFKA"
      )
      expect(ticket.expiresIn).toBe(7200)
    }))

  it.effect("generic errors on token-bearing endpoints", () =>
    Effect.gen(function*() {
      const stale = yield* run("cgi_bin_ticket_getticket", fixture("generic.err_40001_stable_hint.json"), "text/plain")
      expect(failureOf(stale)?._tag).toBe("AccessTokenInvalid")
      expect(failureOf(stale)?.rid).toBe("642a7c22-4798b058-575e8fed")
      const expired = yield* run("sns_userinfo", fixture("generic.err_42001.json"), "text/plain")
      expect(failureOf(expired)?._tag).toBe("AccessTokenInvalid")
      expect(failureOf(expired)?.action).toBe("refresh-token")
    }))
})

describe("WeChat's body quirks", () => {
  it.effect("an empty body served as text/html; charset=gbk is a decode error on every endpoint", () =>
    Effect.gen(function*() {
      for (const endpoint of Object.keys(endpoints) as Array<Endpoint>) {
        const result = yield* run(endpoint, "", "text/html; charset=gbk")
        expect(failureOf(result)?._tag).toBe("WechatDecodeError")
        expect(failureOf(result)?.detail).toBe("empty body")
      }
    }))

  it.effect("raw control characters inside a nickname", () =>
    Effect.gen(function*() {
      const body = `{"openid":"OPENID","nickname":"a\u0007b\u0014c\td\u0000","sex":2,"province":"","city":"","country":"","headimgurl":"","privilege":[]}`
      expect(() => JSON.parse(body)).toThrow()
      const result = yield* run("sns_userinfo", body, "text/plain")
      expect(isSuccess(result)).toBe(true)
      const user = successOf(result as Compat.Result<unknown, unknown>) as Sns.SnsUserInfo
      expect(user.nickname).toBe("a\u0007b\u0014c\td\u0000")
      expect(user.sex).toBe(2)
    }))

  it.effect("escaped slashes and private-use emoji", () =>
    Effect.gen(function*() {
      const body = `{"openid":"OPENID","nickname":"\uE415 Tom","sex":1,"province":"","city":"","country":"","headimgurl":"http:\\/\\/wx.qlogo.cn\\/mmopen\\/abc\\/0","privilege":[]}`
      const result = yield* run("sns_userinfo", body, "text/plain")
      const user = successOf(result as Compat.Result<unknown, unknown>) as Sns.SnsUserInfo
      expect(user.headImgUrl).toBe("http://wx.qlogo.cn/mmopen/abc/0")
      expect(user.nickname).toBe("\uE415 Tom")
    }))

  it.effect("a truncated body, a JSON array and a success body missing fields are decode errors", () =>
    Effect.gen(function*() {
      const truncated = yield* run("sns_oauth2_access_token", `{"access_token":"ACCESS_TOK`, "text/plain")
      expect(failureOf(truncated)?._tag).toBe("WechatDecodeError")
      const array = yield* run("cgi_bin_token", `[1,2]`, "text/plain")
      expect(failureOf(array)?.detail).toBe("body is not a JSON object")
      const missing = yield* run("sns_oauth2_access_token", `{"access_token":"SECRET-AT","expires_in":7200}`, "text/plain")
      expect(failureOf(missing)?._tag).toBe("WechatDecodeError")
      expect(failureOf(missing)?.detail).toContain("refresh_token is missing")
      expect(failureOf(missing)?.message).not.toContain("SECRET-AT")
      const okButEmpty = yield* run("sns_auth", `{}`, "text/plain")
      expect(failureOf(okButEmpty)?._tag).toBe("WechatDecodeError")
    }))

  it.effect("a string errcode counts, and an unknown errcode is UnknownWechatError", () =>
    Effect.gen(function*() {
      const stringCode = yield* run("sns_oauth2_access_token", `{"errcode":"40163","errmsg":"code been used"}`, "text/plain")
      expect(failureOf(stringCode)?._tag).toBe("CodeAlreadyUsed")
      // only decimal: Number() would read "0x9c9d" as 40093
      const hex = yield* run("sns_oauth2_access_token", `{"errcode":"0x9c9d","errmsg":"code been used"}`, "text/plain")
      expect([failureOf(hex)?._tag, failureOf(hex)?.action]).toEqual(["WechatDecodeError", "stop"])
      const unknown = yield* run("cgi_bin_token", `{"errcode":99999,"errmsg":"what, rid: 0a1b2c3d-0a1b2c3d-0a1b2c3d"}`, "text/plain")
      expect(failureOf(unknown)?._tag).toBe("UnknownWechatError")
      expect(failureOf(unknown)?.action).toBe("stop")
      expect(failureOf(unknown)?.rid).toBe("0a1b2c3d-0a1b2c3d-0a1b2c3d")
    }))

  it.effect("non-2xx status is a transport error even with a JSON body", () =>
    Effect.gen(function*() {
      const result = yield* run("cgi_bin_token", fixture("cgi_bin_token.success.json"), "application/json")
      expect(isSuccess(result)).toBe(true)
      const e = endpoints.cgi_bin_token
      const bad = yield* e.call().pipe(provideAnswer(e.path, fixture("cgi_bin_token.success.json"), { status: 502 }), Effect.flip)
      expect(bad._tag).toBe("WechatTransportError")
      expect(bad._tag === "WechatTransportError" && [bad.reason, bad.status, bad.action]).toEqual(["status", 502, "retry"])
    }))
})
