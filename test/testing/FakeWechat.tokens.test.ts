import * as Compat from "#compat"
import { HttpClient } from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Redacted } from "effect"
import { TestClock } from "#test-compat"
import { BasicToken, JsSdk, Sns, WechatConfig, WechatDecode, WechatHttp } from "../../src/index.js"
import { FakeWechat } from "../../src/testing/index.js"
import { BOUND, fakeFor } from "./fakeSetup.js"

const ticketWith = (accessToken: Redacted.Redacted<string> | string) => JsSdk.getTicket({ accessToken })
const errcodeOf = (e: unknown) => (typeof e === "object" && e !== null && "errcode" in e ? e.errcode : undefined)

describe("FakeWechat: cgi-bin/token", () => {
  it.effect("each call issues a new token; the previous one works 5 more minutes, then 40001", () =>
    Effect.gen(function*() {
      const first = yield* BasicToken.fetch()
      yield* TestClock.adjust("1 minute")
      const second = yield* BasicToken.fetch()
      expect(Redacted.value(second.accessToken)).not.toBe(Redacted.value(first.accessToken))
      yield* TestClock.adjust("299 seconds")
      yield* ticketWith(first.accessToken)
      yield* TestClock.adjust("1 second")
      const stale = yield* Effect.flip(ticketWith(first.accessToken))
      expect([stale._tag, errcodeOf(stale), stale.action]).toEqual(["AccessTokenInvalid", 40001, "refresh-token"])
      yield* ticketWith(second.accessToken)
    }).pipe(Effect.provide(fakeFor())))

  it.effect("a daily quota (default 2000) → 45009", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 2000; i++) yield* BasicToken.fetch()
      const error = yield* Effect.flip(BasicToken.fetch())
      expect([error._tag, errcodeOf(error), error._tag === "RateLimited" && error.window]).toEqual(["RateLimited", 45009, "day"])
      yield* TestClock.adjust("1 day")
      yield* BasicToken.fetch()
      expect(yield* Effect.flatMap(FakeWechat, (f) => f.callCount("cgi-bin/token"))).toBe(2002)
    }).pipe(Effect.provide(fakeFor())))

  it.effect("tokens expire after expires_in (shortened for tests)", () =>
    Effect.gen(function*() {
      const token = yield* BasicToken.fetch()
      expect(token.expiresIn).toBe(60)
      yield* TestClock.adjust("60 seconds")
      const expired = yield* Effect.flip(ticketWith(token.accessToken))
      expect(errcodeOf(expired)).toBe(42001)
    }).pipe(Effect.provide(fakeFor(BOUND, { lifetimes: { basicToken: 60 } }))))
})

const rawStable = (method: "GET" | "POST", json?: Record<string, WechatHttp.Param>) =>
  Effect.flatMap(WechatConfig.WechatConfig, (config) =>
    WechatHttp.execute(
      {
        endpoint: "cgi-bin/stable_token",
        method,
        ...(method === "GET"
          ? { query: { grant_type: "client_credential", appid: config.appId, secret: config.appSecret } }
          : { json: json ?? {} })
      },
      WechatDecode.decoder(BasicToken.BasicAccessToken)
    ))

describe("FakeWechat: cgi-bin/stable_token", () => {
  it.effect("POST JSON only: GET → 43002; a string force_refresh → 47001", () =>
    Effect.gen(function*() {
      const get = yield* Effect.flip(rawStable("GET"))
      expect([get._tag, errcodeOf(get)]).toEqual(["RequestRejected", 43002])
      const stringly = yield* Effect.flip(rawStable("POST", { grant_type: "client_credential", appid: BOUND.appId, secret: BOUND.appSecret, force_refresh: "true" }))
      expect([stringly._tag, errcodeOf(stringly)]).toEqual(["RequestRejected", 47001])
    }).pipe(Effect.provide(fakeFor())))

  it.effect("normal mode: the same token with a falling expires_in, rotated in its last 5 minutes", () =>
    Effect.gen(function*() {
      const first = yield* BasicToken.fetchStable()
      expect(first.expiresIn).toBe(7200)
      yield* TestClock.adjust("1 hour")
      const later = yield* BasicToken.fetchStable()
      expect(Redacted.value(later.accessToken)).toBe(Redacted.value(first.accessToken))
      expect(later.expiresIn).toBe(3600)
      yield* TestClock.adjust("3299 seconds") // 301 s left
      expect(Redacted.value((yield* BasicToken.fetchStable()).accessToken)).toBe(Redacted.value(first.accessToken))
      yield* TestClock.adjust("1 second") // 300 s left: rotate
      const rotated = yield* BasicToken.fetchStable()
      expect(Redacted.value(rotated.accessToken)).not.toBe(Redacted.value(first.accessToken))
      expect(rotated.expiresIn).toBe(7200)
      yield* ticketWith(first.accessToken) // old still valid for its last 5 minutes
      yield* TestClock.adjust("300 seconds")
      expect(errcodeOf(yield* Effect.flip(ticketWith(first.accessToken)))).toBe(40001)
      yield* ticketWith(rotated.accessToken)
    }).pipe(Effect.provide(fakeFor())))

  it.effect("force_refresh rotates; a second force within 30 s does not; at most 20 a day", () =>
    Effect.gen(function*() {
      const normal = yield* BasicToken.fetchStable()
      const forced = yield* BasicToken.fetchStable({ forceRefresh: true })
      expect(Redacted.value(forced.accessToken)).not.toBe(Redacted.value(normal.accessToken))
      yield* TestClock.adjust("29 seconds")
      const again = yield* BasicToken.fetchStable({ forceRefresh: true })
      expect(Redacted.value(again.accessToken)).toBe(Redacted.value(forced.accessToken))
      yield* TestClock.adjust("1 second")
      const third = yield* BasicToken.fetchStable({ forceRefresh: true })
      expect(Redacted.value(third.accessToken)).not.toBe(Redacted.value(forced.accessToken))
      // leak handling: two forces 30 s apart kill the leaked token (after the overlap)
      yield* TestClock.adjust("5 minutes")
      expect(errcodeOf(yield* Effect.flip(ticketWith(normal.accessToken)))).toBe(40001)
      for (let i = 2; i < 20; i++) {
        yield* TestClock.adjust("31 seconds")
        yield* BasicToken.fetchStable({ forceRefresh: true })
      }
      yield* TestClock.adjust("31 seconds")
      const over = yield* Effect.flip(BasicToken.fetchStable({ forceRefresh: true }))
      expect([over._tag, errcodeOf(over)]).toEqual(["RateLimited", 45009])
    }).pipe(Effect.provide(fakeFor())))

  it.effect("stable and classic tokens are independent", () =>
    Effect.gen(function*() {
      const stable = yield* BasicToken.fetchStable()
      for (let i = 0; i < 3; i++) yield* BasicToken.fetch()
      yield* TestClock.adjust("10 minutes")
      yield* ticketWith(stable.accessToken)
      expect(Redacted.value((yield* BasicToken.fetchStable()).accessToken)).toBe(Redacted.value(stable.accessToken))
    }).pipe(Effect.provide(fakeFor())))
})

describe("FakeWechat: ticket/getticket", () => {
  it.effect("needs a basic token (a web token → 40001); the same ticket with expires_in 7200 while valid", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "x" })
      const web = yield* Sns.exchangeCode(yield* fake.authorize({ appId: BOUND.appId, userId: user.id, scope: "snsapi_base" }))
      const wrong = yield* Effect.flip(ticketWith(web.accessToken))
      expect([wrong._tag, errcodeOf(wrong)]).toEqual(["AccessTokenInvalid", 40001])
      const basic = yield* BasicToken.fetchStable()
      const t1 = yield* ticketWith(basic.accessToken)
      yield* TestClock.adjust("1 hour")
      const t2 = yield* ticketWith(basic.accessToken)
      expect(Redacted.value(t2.ticket)).toBe(Redacted.value(t1.ticket))
      expect(t2.expiresIn).toBe(7200)
    }).pipe(Effect.provide(fakeFor())))
})

describe("FakeWechat: app checks and quotas", () => {
  it.effect("wrong appid → 40013, wrong secret → 40125", () =>
    Effect.gen(function*() {
      const badApp = yield* Effect.flip(BasicToken.fetch().pipe(Effect.provide(fakeFor({ appId: "wx0000000000000012", appSecret: "whatever-secret" }))))
      expect([badApp._tag, errcodeOf(badApp)]).toEqual(["AppMisconfigured", 40013])
      const badSecret = yield* Effect.flip(Sns.exchangeCode("c").pipe(Effect.provide(fakeFor({ appId: BOUND.appId, appSecret: "wrong-secret" }))))
      expect([badSecret._tag, errcodeOf(badSecret)]).toEqual(["AppMisconfigured", 40125])
    }))

  it.effect("a caller outside the IP whitelist → 40164 with the IP in errmsg", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      yield* fake.addApp({ ...BOUND, ipWhitelist: ["10.1.0.0/16", "192.168.3.4"] })
      yield* fake.setCallerIp("10.1.200.7")
      yield* BasicToken.fetch()
      yield* fake.setCallerIp("47.103.62.98")
      const error = yield* Effect.flip(BasicToken.fetch())
      expect(error._tag).toBe("IpNotWhitelisted")
      if (error._tag !== "IpNotWhitelisted") return
      expect(error.errmsg).toMatch(/^invalid ip 47\.103\.62\.98 ipv6 ::ffff:47\.103\.62\.98, not in whitelist,? rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/)
      expect(error.ip).toBe("47.103.62.98")
    }).pipe(Effect.provide(fakeFor())))

  it.effect("a per-endpoint minute quota → 45011, and the next minute works again", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "q" })
      const token = yield* Sns.exchangeCode(yield* fake.authorize({ appId: BOUND.appId, userId: user.id, scope: "snsapi_userinfo" }))
      yield* Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })
      yield* Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })
      const limited = yield* Effect.flip(Sns.userInfo({ accessToken: token.accessToken, openid: token.openid }))
      expect([limited._tag, errcodeOf(limited), limited._tag === "RateLimited" && limited.window]).toEqual(["RateLimited", 45011, "minute"])
      yield* TestClock.adjust("1 minute")
      yield* Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })
    }).pipe(Effect.provide(fakeFor(BOUND, { minuteQuota: { "sns/userinfo": 2 } }))))
})

describe("FakeWechat: bodies as WeChat sends them", () => {
  it.effect("errors are HTTP 200 text/plain with both rid suffix forms; errcode 0 only where WeChat sends it", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const get = (path: string) =>
        client.get(`https://api.weixin.qq.com/${path}`).pipe(
          Effect.flatMap((r) => Effect.map(r.text, (text) => ({ status: r.status, type: r.headers["content-type"], text })))
        )
      const errors = [
        yield* get("sns/oauth2/access_token?appid=wx0000000000000004&secret=bound-secret-0001&code=nope&grant_type=authorization_code"),
        yield* get("sns/oauth2/access_token?appid=wx0000000000000004&secret=bound-secret-0001&code=nope&grant_type=authorization_code")
      ]
      for (const e of errors) {
        expect(e.status).toBe(200)
        expect(e.type).toBe("text/plain")
      }
      expect(JSON.parse(errors[0]!.text).errmsg).toMatch(/^invalid code rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/)
      expect(JSON.parse(errors[1]!.text).errmsg).toMatch(/^invalid code, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/)
      const token = JSON.parse((yield* get("cgi-bin/token?grant_type=client_credential&appid=wx0000000000000004&secret=bound-secret-0001")).text)
      expect(Object.keys(token).sort()).toEqual(["access_token", "expires_in"])
      const ticket = JSON.parse((yield* get(`cgi-bin/ticket/getticket?access_token=${token.access_token}&type=jsapi`)).text)
      expect(Object.keys(ticket).sort()).toEqual(["errcode", "errmsg", "expires_in", "ticket"])
      expect([ticket.errcode, ticket.errmsg]).toEqual([0, "ok"])
    }).pipe(Effect.provide(fakeFor())))
})

describe("FakeWechat: faults", () => {
  const userinfo = Effect.gen(function*() {
    const fake = yield* FakeWechat
    const user = yield* fake.addUser({ nickname: "f" })
    const token = yield* Sns.exchangeCode(yield* fake.authorize({ appId: BOUND.appId, userId: user.id, scope: "snsapi_userinfo" }))
    return Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })
  })

  const cases: Array<[FakeWechat.Fault, string, (e: any) => void]> = [
    [{ fault: "reset" }, "WechatTransportError", (e) => expect([e.reason, e.sent]).toEqual(["network", true])],
    [{ fault: "status", status: 503 }, "WechatTransportError", (e) => expect([e.reason, e.status]).toEqual(["status", 503])],
    [{ fault: "empty" }, "WechatDecodeError", (e) => expect(e.detail).toBe("empty body")],
    [{ fault: "truncated" }, "WechatDecodeError", (e) => expect(e.detail).toMatch(/not JSON/)],
    [{ fault: "errcode" }, "UnknownWechatError", (e) => expect(e.errcode).toBe(99999)],
    [{ fault: "busy" }, "SystemBusy", (e) => expect(e.errcode).toBe(-1)],
    [{ fault: "rateLimit" }, "RateLimited", (e) => expect(e.window).toBe("minute")]
  ]
  for (const [fault, tag, check] of cases) {
    it.effect(`${fault.fault} → ${tag}, for the next call only`, () =>
      Effect.gen(function*() {
        const call = yield* userinfo
        const fake = yield* FakeWechat
        yield* fake.inject("sns/userinfo", { ...fault, times: 1 })
        const error = yield* Effect.flip(call)
        expect(error._tag).toBe(tag)
        check(error)
        expect((yield* call).nickname).toBe("f")
      }).pipe(Effect.provide(fakeFor())))
  }

  it.effect("latency past the timeout → a timeout error; control characters decode", () =>
    Effect.gen(function*() {
      const call = yield* userinfo
      const fake = yield* FakeWechat
      yield* fake.inject("sns/userinfo", { fault: "latency", millis: 10_000, times: 1 })
      const fiber = yield* Compat.fork(Effect.flip(call))
      yield* TestClock.adjust("5 seconds")
      const error = yield* Fiber.join(fiber)
      expect(error._tag === "WechatTransportError" && error.reason).toBe("timeout")
      yield* fake.inject("sns/userinfo", { fault: "controlChars" })
      expect((yield* call).nickname).toBe("\u0007bell\u0014\u0000")
    }).pipe(Effect.provide(fakeFor())))

  it.effect("probability 0 never fires, 1 always; bad faults are refused", () =>
    Effect.gen(function*() {
      const call = yield* userinfo
      const fake = yield* FakeWechat
      yield* fake.inject("sns/userinfo", { fault: "busy", probability: 0 })
      yield* call
      yield* fake.clearFaults
      yield* fake.inject("sns/userinfo", { fault: "busy", probability: 1 })
      for (let i = 0; i < 3; i++) expect((yield* Effect.flip(call))._tag).toBe("SystemBusy")
      const bad = yield* Effect.flip(fake.inject("sns/userinfo", { fault: "explode" } as never))
      expect(bad.message).toContain("unknown fault explode")
      expect((yield* Effect.flip(fake.inject("x", { fault: "busy", probability: 2 })))._tag).toBe("FakeWechatError")
    }).pipe(Effect.provide(fakeFor())))
})

describe("FakeWechat: control API", () => {
  it.effect("unknown apps and users are typed errors", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      expect((yield* Effect.flip(fake.authorize({ appId: "nope", userId: "x", scope: "snsapi_base" })))._tag).toBe("FakeWechatError")
      expect((yield* Effect.flip(fake.authorize({ appId: BOUND.appId, userId: "ghost", scope: "snsapi_base" }))).message).toContain("unknown user ghost")
    }).pipe(Effect.provide(fakeFor())))

  it.effect("layer seeds apps and users", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const code = yield* fake.authorize({ appId: "wx0000000000000006", userId: "u1", scope: "snsapi_userinfo" })
      const token = yield* Sns.exchangeCode(code)
      expect((yield* Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })).nickname).toBe("seeded")
    }).pipe(Effect.provide(Layer.merge(
      FakeWechat.layer({ apps: [{ appId: "wx0000000000000006", appSecret: "seed-secret" }], users: [{ id: "u1", nickname: "seeded" }] }),
      WechatConfig.layer({ appId: "wx0000000000000006", appSecret: "seed-secret" })
    ))))
})
