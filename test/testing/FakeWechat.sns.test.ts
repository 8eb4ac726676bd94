import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { TestClock } from "#test-compat"
import { MiniProgram, Sns } from "../../src/index.js"
import { FakeWechat } from "../../src/testing/index.js"
import { BOUND, elsewhere, fakeFor, PLAIN } from "./fakeSetup.js"

const login = (scope: "snsapi_base" | "snsapi_userinfo" | "snsapi_login", user: FakeWechat.UserInput = { nickname: "小明" }, appId = BOUND.appId) =>
  Effect.gen(function*() {
    const fake = yield* FakeWechat
    const u = yield* fake.addUser(user)
    const code = yield* fake.authorize({ appId, userId: u.id, scope })
    return { user: u, code }
  })

describe("FakeWechat: codes", () => {
  it.effect("are single-use: a second exchange (from a process without the first's store) is CodeAlreadyUsed", () =>
    Effect.gen(function*() {
      const { code } = yield* login("snsapi_userinfo")
      const token = yield* Sns.exchangeCode(code)
      expect(token.scope).toEqual(["snsapi_userinfo"])
      const again = yield* Effect.flip(Sns.exchangeCode(code).pipe(elsewhere))
      expect([again._tag, "errcode" in again && again.errcode]).toEqual(["CodeAlreadyUsed", 40163])
    }).pipe(Effect.provide(fakeFor())))

  it.effect("expire after 5 minutes (authorize) → InvalidCode", () =>
    Effect.gen(function*() {
      const { code: early } = yield* login("snsapi_base")
      const { code: late } = yield* login("snsapi_base")
      yield* TestClock.adjust("299 seconds")
      expect((yield* Sns.exchangeCode(early)).scope).toEqual(["snsapi_base"])
      yield* TestClock.adjust("1 second")
      const error = yield* Effect.flip(Sns.exchangeCode(late))
      expect([error._tag, "errcode" in error && error.errcode]).toEqual(["InvalidCode", 40029])
    }).pipe(Effect.provide(fakeFor())))

  it.effect("expire after 10 minutes (qrconnect)", () =>
    Effect.gen(function*() {
      const { code: early } = yield* login("snsapi_login")
      const { code: late } = yield* login("snsapi_login")
      yield* TestClock.adjust("599 seconds")
      expect((yield* Sns.exchangeCode(early)).scope).toEqual(["snsapi_login"])
      yield* TestClock.adjust("1 second")
      expect((yield* Effect.flip(Sns.exchangeCode(late)))._tag).toBe("InvalidCode")
    }).pipe(Effect.provide(fakeFor())))

  it.effect("an unknown code, or one issued to another app, is InvalidCode", () =>
    Effect.gen(function*() {
      expect((yield* Effect.flip(Sns.exchangeCode("never-issued")))._tag).toBe("InvalidCode")
      const { code } = yield* login("snsapi_userinfo", { nickname: "x" }, PLAIN.appId)
      expect((yield* Effect.flip(Sns.exchangeCode(code)))._tag).toBe("InvalidCode")
    }).pipe(Effect.provide(fakeFor())))
})

describe("FakeWechat: refresh", () => {
  it.effect("while the web token is valid: same token, renewed expiry", () =>
    Effect.gen(function*() {
      const { code } = yield* login("snsapi_userinfo")
      const token = yield* Sns.exchangeCode(code)
      yield* TestClock.adjust("1 hour")
      const refreshed = yield* Sns.refreshToken(token.refreshToken)
      expect(Redacted.value(refreshed.accessToken)).toBe(Redacted.value(token.accessToken))
      expect(Redacted.value(refreshed.refreshToken)).toBe(Redacted.value(token.refreshToken))
      expect(refreshed.expiresIn).toBe(7200)
      // the original expiry (2 h) has passed, the renewed one (3 h) has not
      yield* TestClock.adjust("90 minutes")
      yield* Sns.checkToken({ accessToken: token.accessToken, openid: token.openid })
    }).pipe(Effect.provide(fakeFor())))

  it.effect("after the web token expired: a new token", () =>
    Effect.gen(function*() {
      const { code } = yield* login("snsapi_userinfo")
      const token = yield* Sns.exchangeCode(code)
      yield* TestClock.adjust("2 hours")
      const expired = yield* Effect.flip(Sns.checkToken({ accessToken: token.accessToken, openid: token.openid }))
      expect([expired._tag, "errcode" in expired && expired.errcode]).toEqual(["AccessTokenInvalid", 42001])
      const refreshed = yield* Sns.refreshToken(token.refreshToken)
      expect(Redacted.value(refreshed.accessToken)).not.toBe(Redacted.value(token.accessToken))
      yield* Sns.checkToken({ accessToken: refreshed.accessToken, openid: token.openid })
    }).pipe(Effect.provide(fakeFor())))

  it.effect("the refresh token lives 30 days from consent and is never extended", () =>
    Effect.gen(function*() {
      const { code } = yield* login("snsapi_userinfo")
      const token = yield* Sns.exchangeCode(code)
      for (let day = 0; day < 29; day++) {
        yield* TestClock.adjust("1 day")
        const r = yield* Sns.refreshToken(token.refreshToken)
        expect(Redacted.value(r.refreshToken)).toBe(Redacted.value(token.refreshToken))
      }
      yield* TestClock.adjust("1 day")
      const error = yield* Effect.flip(Sns.refreshToken(token.refreshToken))
      expect([error._tag, error.action]).toEqual(["RefreshTokenInvalid", "reauthorize"])
      expect((yield* Effect.flip(Sns.refreshToken("unknown-refresh-token")))._tag).toBe("RefreshTokenInvalid")
    }).pipe(Effect.provide(fakeFor())))
})

describe("FakeWechat: sns/auth", () => {
  it.effect("valid → ok; unknown → 40014; expired → 42001; another user's openid → 40003", () =>
    Effect.gen(function*() {
      const a = yield* login("snsapi_base", { nickname: "a" })
      const b = yield* login("snsapi_base", { nickname: "b" })
      const ta = yield* Sns.exchangeCode(a.code)
      const tb = yield* Sns.exchangeCode(b.code)
      expect(yield* Sns.checkToken({ accessToken: ta.accessToken, openid: ta.openid })).toBeUndefined()
      const unknown = yield* Effect.flip(Sns.checkToken({ accessToken: "not-a-token", openid: ta.openid }))
      expect([unknown._tag, "errcode" in unknown && unknown.errcode]).toEqual(["AccessTokenInvalid", 40014])
      const other = yield* Effect.flip(Sns.checkToken({ accessToken: ta.accessToken, openid: tb.openid }))
      expect([other._tag, "errcode" in other && other.errcode]).toEqual(["InvalidOpenid", 40003])
      yield* TestClock.adjust("7200 seconds")
      const expired = yield* Effect.flip(Sns.checkToken({ accessToken: ta.accessToken, openid: ta.openid }))
      expect([expired._tag, "errcode" in expired && expired.errcode]).toEqual(["AccessTokenInvalid", 42001])
    }).pipe(Effect.provide(fakeFor())))
})

describe("FakeWechat: sns/userinfo", () => {
  it.effect("a snsapi_base token is refused with 48001 (reauthorize)", () =>
    Effect.gen(function*() {
      const { code } = yield* login("snsapi_base")
      const token = yield* Sns.exchangeCode(code)
      expect(token.unionid).toEqual(Option.none())
      const error = yield* Effect.flip(Sns.userInfo({ accessToken: token.accessToken, openid: token.openid }))
      expect([error._tag, "errcode" in error && error.errcode, error.action]).toEqual(["ApiUnauthorized", 48001, "reauthorize"])
    }).pipe(Effect.provide(fakeFor())))

  it.effect("snapshot users are flagged on exchange, get virtual ids, and are refused by userinfo", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const real = yield* fake.addUser({ id: "same-person", nickname: "张三" })
      const snap = yield* fake.addUser({ id: "same-person-snapshot", nickname: "微信用户", snapshot: true })
      const token = yield* Sns.exchangeCode(yield* fake.authorize({ appId: BOUND.appId, userId: snap.id, scope: "snsapi_userinfo" }))
      expect(token.isSnapshotUser).toBe(true)
      expect(token.openid).not.toBe(yield* fake.openid({ appId: BOUND.appId, userId: real.id }))
      const error = yield* Effect.flip(Sns.userInfo({ accessToken: token.accessToken, openid: token.openid }))
      expect([error._tag, "errcode" in error && error.errcode]).toEqual(["ApiUnauthorized", 48001])
      const normal = yield* Sns.exchangeCode(yield* fake.authorize({ appId: BOUND.appId, userId: real.id, scope: "snsapi_userinfo" }))
      expect(normal.isSnapshotUser).toBe(false)
    }).pipe(Effect.provide(fakeFor())))

  it.effect("post-2021 profile: sex 0, empty region; nickname with emoji and raw control characters", () =>
    Effect.gen(function*() {
      const nickname = "小明🐱\u0007\u0014\tend"
      const { code, user } = yield* login("snsapi_userinfo", { nickname, headImgUrl: "https://thirdwx.qlogo.cn/mmopen/vi_32/abc/132" })
      const token = yield* Sns.exchangeCode(code)
      expect(token.unionid).toEqual(Option.some(user.unionid))
      const profile = yield* Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })
      expect(profile.nickname).toBe(nickname)
      expect(profile.sex).toBe(0)
      expect([profile.province, profile.city, profile.country]).toEqual(["", "", ""])
      expect(profile.headImgUrl).toBe("https://thirdwx.qlogo.cn/mmopen/vi_32/abc/132")
      expect(profile.unionid).toEqual(Option.some(user.unionid))
    }).pipe(Effect.provide(fakeFor())))

  it.effect("no unionid for an app without an open-platform binding", () =>
    Effect.gen(function*() {
      const { code } = yield* login("snsapi_userinfo", { nickname: "x" }, PLAIN.appId)
      const token = yield* Sns.exchangeCode(code)
      expect(token.unionid).toEqual(Option.none())
      const profile = yield* Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })
      expect(profile.unionid).toEqual(Option.none())
    }).pipe(Effect.provide(fakeFor(PLAIN))))
})

describe("FakeWechat: jscode2session", () => {
  it.effect("single-use js_code, 5-minute life, session_key, optional unionid", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "mini" })
      const code = yield* fake.miniProgramLogin({ appId: BOUND.appId, userId: user.id })
      const session = yield* MiniProgram.code2Session(code)
      expect(session.openid).toBe(yield* fake.openid({ appId: BOUND.appId, userId: user.id }))
      expect(Redacted.value(session.sessionKey)).toMatch(/^[A-Za-z0-9+/]{22}==$/)
      expect(session.unionid).toEqual(Option.some(user.unionid))
      expect((yield* Effect.flip(MiniProgram.code2Session(code).pipe(elsewhere)))._tag).toBe("CodeAlreadyUsed")
      const late = yield* fake.miniProgramLogin({ appId: BOUND.appId, userId: user.id })
      yield* TestClock.adjust("5 minutes")
      expect((yield* Effect.flip(MiniProgram.code2Session(late)))._tag).toBe("InvalidCode")
    }).pipe(Effect.provide(fakeFor())))

  it.effect("no unionid without a binding", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "mini" })
      const session = yield* MiniProgram.code2Session(yield* fake.miniProgramLogin({ appId: PLAIN.appId, userId: user.id }))
      expect(session.unionid).toEqual(Option.none())
    }).pipe(Effect.provide(fakeFor(PLAIN))))
})
