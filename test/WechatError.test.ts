import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { WechatError } from "../src/index.js"

const table: Array<[number, string, string]> = [
  [-1, "SystemBusy", "retry"],
  [40001, "AccessTokenInvalid", "refresh-token"],
  [40014, "AccessTokenInvalid", "refresh-token"],
  [42001, "AccessTokenInvalid", "refresh-token"],
  [40029, "InvalidCode", "reauthorize"],
  [42003, "InvalidCode", "reauthorize"],
  [41008, "InvalidCode", "reauthorize"],
  [40163, "CodeAlreadyUsed", "reauthorize"],
  [40226, "CodeBlocked", "stop"],
  [40030, "RefreshTokenInvalid", "reauthorize"],
  [42002, "RefreshTokenInvalid", "reauthorize"],
  [42007, "RefreshTokenInvalid", "reauthorize"],
  [40003, "InvalidOpenid", "stop"],
  [48001, "ApiUnauthorized", "fix-config"],
  [50001, "ApiUnauthorized", "fix-config"],
  ...[40013, 40125, 40243, 41002, 41004].map((c): [number, string, string] => [c, "AppMisconfigured", "fix-config"]),
  ...[40164, 61004, 48017, 89501, 89503, 89506, 89507].map((c): [number, string, string] => [c, "IpNotWhitelisted", "fix-config"]),
  [45009, "RateLimited", "stop"],
  [45011, "RateLimited", "retry"],
  [48004, "AccountRestricted", "stop"],
  [50002, "AccountRestricted", "stop"],
  ...[40002, 41001, 41003, 41009, 43001, 43002, 43003, 47001].map((c): [number, string, string] => [c, "RequestRejected", "stop"]),
  [12345, "UnknownWechatError", "stop"]
]

describe("WechatError.fromErrcode", () => {
  it("maps every errcode of the design's table to its tag and action", () => {
    for (const [code, tag, action] of table) {
      const error = WechatError.fromErrcode("sns/auth", code, "msg rid: 0a1b2c3d-0a1b2c3d-0a1b2c3d")
      expect([code, error._tag, error.action]).toEqual([code, tag, action])
      expect(error.errcode).toBe(code)
      expect(error.rid).toBe("0a1b2c3d-0a1b2c3d-0a1b2c3d")
      expect(WechatError.isWechatError(error)).toBe(true)
      expect(error).toBeInstanceOf(Error)
    }
  })

  it("on the code exchanges, which carry the secret and a single-use code: 40001 is fix-config; -1 and 45011 are reauthorize", () => {
    for (const endpoint of ["sns/oauth2/access_token", "sns/jscode2session"]) {
      const secret = WechatError.fromErrcode(endpoint, 40001, "invalid credential")
      expect([secret._tag, secret.action]).toEqual(["AppMisconfigured", "fix-config"])
      const busy = WechatError.fromErrcode(endpoint, -1, "system error")
      expect([busy._tag, busy.action]).toEqual(["SystemBusy", "reauthorize"])
      const minute = WechatError.fromErrcode(endpoint, 45011, "api minute-quota reach limit")
      expect([minute._tag, minute.action, minute._tag === "RateLimited" && minute.window]).toEqual(["RateLimited", "reauthorize", "minute"])
      // the rest of the table is the same as elsewhere
      expect(WechatError.fromErrcode(endpoint, 40029, "invalid code").action).toBe("reauthorize")
      expect(WechatError.fromErrcode(endpoint, 45009, "reach max api daily quota limit").action).toBe("stop")
    }
    for (const endpoint of ["sns/userinfo", "cgi-bin/ticket/getticket"]) {
      expect(WechatError.fromErrcode(endpoint, -1, "system error").action).toBe("retry")
      expect(WechatError.fromErrcode(endpoint, 45011, "api minute-quota").action).toBe("retry")
    }
  })

  it("48001 is reauthorize on sns/userinfo and fix-config elsewhere", () => {
    expect(WechatError.fromErrcode("sns/userinfo", 48001, "api unauthorized").action).toBe("reauthorize")
    expect(WechatError.fromErrcode("sns/userinfo", 50001, "user unauthorized").action).toBe("reauthorize")
    for (const endpoint of ["sns/auth", "cgi-bin/token", "cgi-bin/ticket/getticket"]) {
      const e = WechatError.fromErrcode(endpoint, 48001, "api unauthorized")
      expect([e._tag, e.action]).toEqual(["ApiUnauthorized", "fix-config"])
    }
  })

  it("40001 on cgi-bin/token (and stable_token) means a bad secret: fix-config", () => {
    for (const endpoint of ["cgi-bin/token", "cgi-bin/stable_token"]) {
      const e = WechatError.fromErrcode(endpoint, 40001, "invalid credential")
      expect([e._tag, e.action]).toEqual(["AppMisconfigured", "fix-config"])
    }
    const onTicket = WechatError.fromErrcode("cgi-bin/ticket/getticket", 40001, "invalid credential")
    expect([onTicket._tag, onTicket.action]).toEqual(["AccessTokenInvalid", "refresh-token"])
    const expiredOnToken = WechatError.fromErrcode("cgi-bin/token", 42001, "access_token expired")
    expect(expiredOnToken._tag).toBe("AccessTokenInvalid")
  })

  it("RateLimited knows its window; IpNotWhitelisted knows the IP", () => {
    const day = WechatError.fromErrcode("cgi-bin/token", 45009, "reach max api daily quota limit")
    const minute = WechatError.fromErrcode("cgi-bin/token", 45011, "api minute-quota reach limit, must slower, retry next minute")
    expect(day._tag === "RateLimited" && day.window).toBe("day")
    expect(minute._tag === "RateLimited" && minute.window).toBe("minute")
    const ip = WechatError.fromErrcode("cgi-bin/token", 40164, "invalid ip 47.103.62.98 ipv6 ::ffff:47.103.62.98, not in whitelist rid: 6125a48e-4bc55df9-6a1d6b57")
    expect(ip._tag === "IpNotWhitelisted" && ip.ip).toBe("47.103.62.98")
    expect(ip.message).toContain("add 47.103.62.98 to the API IP whitelist")
  })

  it("message is a getter over errmsg without the rid suffix; errmsg stays raw", () => {
    const raw = "invalid code, rid: 63106779-282330ba-5d5deaf3"
    const e = WechatError.fromErrcode("sns/oauth2/access_token", 40029, raw)
    expect(e.errmsg).toBe(raw)
    expect(e.message).toBe("WeChat sns/oauth2/access_token failed with errcode 40029: invalid code (rid 63106779-282330ba-5d5deaf3) [next: reauthorize]")
    expect(Object.keys(e)).not.toContain("message")
  })

  it("errors round-trip through the WechatError schema", () => {
    const e = WechatError.fromErrcode("sns/userinfo", 45011, "api minute-quota reach limit rid: 0a1b2c3d-0a1b2c3d-0a1b2c3d")
    const encoded = Schema.encodeSync(WechatError.WechatError)(e)
    const decoded = Schema.decodeUnknownSync(WechatError.WechatError)(JSON.parse(JSON.stringify(encoded)))
    expect(decoded).toEqual(e)
    expect(decoded._tag).toBe("RateLimited")
  })

  it.effect("catchTag branches on the tag", () =>
    Effect.gen(function*() {
      const result = yield* Effect.fail(WechatError.fromErrcode("sns/oauth2/access_token", 40163, "code been used")).pipe(
        Effect.catchTag("CodeAlreadyUsed", (e) => Effect.succeed(`dup ${e.errcode}`)),
        Effect.catchTag("InvalidCode", () => Effect.succeed("invalid"))
      )
      expect(result).toBe("dup 40163")
    }))
})

describe("WechatError.splitErrmsg", () => {
  it.each([
    ["invalid appsecret rid: 671b9ddb-6ce940c8-7d5bcaf9", "invalid appsecret", "671b9ddb-6ce940c8-7d5bcaf9"],
    ["invalid code, rid: 63106779-282330ba-5d5deaf3", "invalid code", "63106779-282330ba-5d5deaf3"],
    ["invalid appid hint: [vJOTwa0300ha57]", "invalid appid", "vJOTwa0300ha57"],
    ["code been used, hints: [ req_id: KNJZqa0152th52 ]", "code been used", "KNJZqa0152th52"],
    [
      "invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken, more details at https://mmbizurl.cn/s/JtxxFh33r rid: 642a7c22-4798b058-575e8fed",
      "invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken, more details at https://mmbizurl.cn/s/JtxxFh33r",
      "642a7c22-4798b058-575e8fed"
    ],
    // both suffixes at once, as newer answers carry them: the rid wins, both are cut from the text
    ["invalid code hint: [ABCdef0123] rid: 6a1b2c3d-0a1b2c3d-0a1b2c3d", "invalid code", "6a1b2c3d-0a1b2c3d-0a1b2c3d"],
    ["api minute-quota reach limit, must slower, retry next minute", "api minute-quota reach limit, must slower, retry next minute", undefined],
    ["system error", "system error", undefined]
  ])("%s", (errmsg, text, rid) => {
    expect(WechatError.splitErrmsg(errmsg)).toEqual({ text, rid })
  })
})
