import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { TestClock } from "#test-compat"
import { MiniProgram, Sns, TokenStore, WechatConfig } from "../../src/index.js"
import { FakeWechat } from "../../src/testing/index.js"

const OA = { appId: "wx000000000000000a", appSecret: "oa-secret-0001", kind: "official-account", authorizedDomains: ["example.com"], openPlatform: true } as const
const WEBSITE = { appId: "wx0000000000000008", appSecret: "web-secret-0002", kind: "website", authorizedDomains: ["example.com"] } as const
const MINI = { appId: "wx000000000000000b", appSecret: "mini-secret-0003", kind: "mini-program" } as const
const UNVERIFIED = { appId: "wx0000000000000010", appSecret: "unv-secret-0004", kind: "official-account", verified: false, authorizedDomains: ["example.com"] } as const
const BASE_ONLY = { appId: "wx0000000000000018", appSecret: "base-secret-0005", kind: "official-account", permissions: ["snsapi_base"], authorizedDomains: ["example.com"] } as const

/** The fake with one app of each kind, and the client configured for `app`. */
const fakeFor = (app: { appId: string; appSecret: string }, options: FakeWechat.Options = {}) =>
  Layer.mergeAll(
    FakeWechat.layer({ apps: [OA, WEBSITE, MINI, UNVERIFIED, BASE_ONLY], users: [{ id: "u1", nickname: "小明" }], ...options }),
    WechatConfig.layer({ appId: app.appId, appSecret: app.appSecret }),
    TokenStore.layerMemory
  )

const errcodeOf = (e: unknown) => (typeof e === "object" && e !== null && "errcode" in e ? e.errcode : undefined)

/** The consent link the client builds, as the page would read it. */
const consentUrl = (app: { appId: string; appSecret: string }, build: Effect.Effect<string, unknown, WechatConfig.WechatConfig>) =>
  build.pipe(Effect.provide(WechatConfig.layer({ appId: app.appId, appSecret: app.appSecret })))

describe("FakeWechat: app kinds, verification and permissions", () => {
  it.effect("a website appid on oauth2/authorize → 10016; an official account on qrconnect → Scope 参数错误或没有 Scope 权限", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const h5 = yield* consentUrl(WEBSITE, Sns.authorizeUrl({ redirectUri: "https://example.com/cb", scope: "snsapi_base" }))
      const refused = yield* Effect.flip(fake.consent({ url: h5, userId: "u1", decision: "allow" }))
      expect(refused.reason).toContain("不支持微信开放平台的Appid，请使用公众号Appid，错误码：10016")
      expect((yield* Effect.flip(fake.authorize({ appId: WEBSITE.appId, userId: "u1", scope: "snsapi_userinfo" }))).reason).toContain("10016")
      const qr = yield* consentUrl(OA, Sns.qrConnectUrl({ redirectUri: "https://example.com/cb" }))
      expect((yield* Effect.flip(fake.consent({ url: qr, userId: "u1", decision: "allow" }))).reason).toContain("Scope 参数错误或没有 Scope 权限")
      // each kind gets its own flow
      const okH5 = yield* fake.consent({ url: yield* consentUrl(OA, Sns.authorizeUrl({ redirectUri: "https://example.com/cb", scope: "snsapi_userinfo", state: "s1" })), userId: "u1", decision: "allow" })
      expect(new URL(okH5.location!).searchParams.get("state")).toBe("s1")
      const okQr = yield* fake.consent({ url: yield* consentUrl(WEBSITE, Sns.qrConnectUrl({ redirectUri: "https://example.com/cb" })), userId: "u1", decision: "allow" })
      expect(okQr.code).toMatch(/^[0-9a-f]{32}$/)
    }).pipe(Effect.provide(fakeFor(OA))))

  it.effect("an unverified account, or one without the scope → 10005 on the page", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      for (const [app, scope] of [[UNVERIFIED, "snsapi_base"], [UNVERIFIED, "snsapi_userinfo"], [BASE_ONLY, "snsapi_userinfo"], [MINI, "snsapi_base"]] as const) {
        const url = yield* consentUrl(app, Sns.authorizeUrl({ redirectUri: "https://example.com/cb", scope }))
        const refused = yield* Effect.flip(fake.consent({ url, userId: "u1", decision: "allow" }))
        expect(refused.reason).toContain("此公众号并没有这些scope的权限，错误码：10005")
      }
      expect((yield* fake.consent({
        url: yield* consentUrl(BASE_ONLY, Sns.authorizeUrl({ redirectUri: "https://example.com/cb", scope: "snsapi_base" })),
        userId: "u1",
        decision: "allow"
      })).code).toBeDefined()
      const apps = (yield* fake.state).apps
      expect(apps.find((a) => a.appId === UNVERIFIED.appId)?.permissions).toEqual([])
      expect(apps.find((a) => a.appId === OA.appId)?.permissions).toEqual(["snsapi_base", "snsapi_userinfo"])
      expect(apps.find((a) => a.appId === WEBSITE.appId)?.permissions).toEqual(["snsapi_login"])
      expect(JSON.stringify(apps)).not.toContain("secret")
    }).pipe(Effect.provide(fakeFor(OA))))

  it.effect("an account that lost its verification: the code exchange and userinfo answer 48001", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const token = yield* Sns.exchangeCode(yield* fake.authorize({ appId: OA.appId, userId: "u1", scope: "snsapi_userinfo" }))
      const pending = yield* fake.authorize({ appId: OA.appId, userId: "u1", scope: "snsapi_userinfo" })
      yield* fake.addApp({ ...OA, verified: false })
      const exchange = yield* Effect.flip(Sns.exchangeCode(pending))
      expect([exchange._tag, errcodeOf(exchange)]).toEqual(["ApiUnauthorized", 48001])
      const profile = yield* Effect.flip(Sns.userInfo({ accessToken: token.accessToken, openid: token.openid }))
      expect([profile._tag, errcodeOf(profile), profile.action]).toEqual(["ApiUnauthorized", 48001, "reauthorize"])
    }).pipe(Effect.provide(fakeFor(OA))))

  it.effect("a user who withdrew the authorization: userinfo → 50001 until the next consent", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const token = yield* Sns.exchangeCode(yield* fake.authorize({ appId: OA.appId, userId: "u1", scope: "snsapi_userinfo" }))
      yield* fake.revokeConsent({ appId: OA.appId, userId: "u1" })
      const error = yield* Effect.flip(Sns.userInfo({ accessToken: token.accessToken, openid: token.openid }))
      expect([error._tag, errcodeOf(error)]).toEqual(["ApiUnauthorized", 50001])
      yield* fake.authorize({ appId: OA.appId, userId: "u1", scope: "snsapi_userinfo" })
      expect((yield* Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })).nickname).toBe("小明")
    }).pipe(Effect.provide(fakeFor(OA))))

  it.effect("a mini-program's code redeemed with an official account's appid → 40029, and an OA code at jscode2session → 40029", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const jsCode = yield* fake.miniProgramLogin({ appId: MINI.appId, userId: "u1" })
      const asOa = yield* Effect.flip(MiniProgram.code2Session(jsCode))
      expect([asOa._tag, errcodeOf(asOa)]).toEqual(["InvalidCode", 40029])
      const atWebLogin = yield* Effect.flip(Sns.exchangeCode(jsCode))
      expect(errcodeOf(atWebLogin)).toBe(40029)
      const oaCode = yield* fake.authorize({ appId: OA.appId, userId: "u1", scope: "snsapi_base" })
      expect(errcodeOf(yield* Effect.flip(MiniProgram.code2Session(oaCode)))).toBe(40029)
      // the right app still redeems both
      expect((yield* MiniProgram.code2Session(jsCode).pipe(Effect.provide(WechatConfig.layer(MINI)))).openid).toBe(
        yield* fake.openid({ appId: MINI.appId, userId: "u1" })
      )
      expect((yield* Sns.exchangeCode(oaCode)).scope).toEqual(["snsapi_base"])
      expect((yield* Effect.flip(fake.miniProgramLogin({ appId: OA.appId, userId: "u1" }))).reason).toContain("not a mini-program")
    }).pipe(Effect.provide(fakeFor(OA))))

  it.effect("seeding stays one line: an app without a kind answers as every kind", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const app = yield* fake.addApp({ appId: "wx0000000000000003", appSecret: "plain-secret", authorizedDomains: ["example.com"] })
      expect([app.kinds, app.verified, app.permissions]).toEqual([
        ["official-account", "website", "mini-program"],
        true,
        ["snsapi_base", "snsapi_userinfo", "snsapi_login"]
      ])
      yield* fake.authorize({ appId: "wx0000000000000003", userId: "u1", scope: "snsapi_userinfo" })
      yield* fake.authorize({ appId: "wx0000000000000003", userId: "u1", scope: "snsapi_login" })
      yield* fake.miniProgramLogin({ appId: "wx0000000000000003", userId: "u1" })
      const bad = yield* Effect.flip(fake.addApp({ appId: "x", appSecret: "y", kind: "game" as never }))
      expect(bad.reason).toContain("kind must be")
    }).pipe(Effect.provide(fakeFor(OA))))
})

describe("FakeWechat: snapshot users", () => {
  it.effect("on snsapi_base they get a normal base token: no is_snapshotuser, their real openid", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const snap = yield* fake.addUser({ id: "snap", nickname: "微信用户", snapshot: true })
      const base = yield* Sns.exchangeCode(yield* fake.authorize({ appId: OA.appId, userId: snap.id, scope: "snsapi_base" }))
      expect(base.isSnapshotUser).toBe(false)
      expect(base.openid).toBe(yield* fake.openid({ appId: OA.appId, userId: snap.id }))
      yield* Sns.checkToken({ accessToken: base.accessToken, openid: base.openid })
      const userinfo = yield* Sns.exchangeCode(yield* fake.authorize({ appId: OA.appId, userId: snap.id, scope: "snsapi_userinfo" }))
      expect(userinfo.isSnapshotUser).toBe(true)
      expect(userinfo.openid).not.toBe(base.openid)
      expect(userinfo.unionid).not.toEqual(Option.some(snap.unionid))
    }).pipe(Effect.provide(fakeFor(OA))))
})

describe("FakeWechat: IP whitelist", () => {
  it.effect("x.x.x.* is taken for mini-programs, and refused for an official account (CIDR instead)", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      yield* fake.addApp({ ...MINI, ipWhitelist: ["10.1.2.*"] })
      const user = yield* fake.addUser({ nickname: "m" })
      yield* fake.setCallerIp("10.1.2.77")
      yield* MiniProgram.code2Session(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id }))
      yield* fake.setCallerIp("10.1.3.77")
      const outside = yield* Effect.flip(MiniProgram.code2Session(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id })))
      expect([outside._tag, errcodeOf(outside)]).toEqual(["IpNotWhitelisted", 40164])
      const refused = yield* Effect.flip(fake.addApp({ ...OA, ipWhitelist: ["10.1.2.*"] }))
      expect(refused.reason).toContain("x.x.x.* is for mini-programs")
    }).pipe(Effect.provide(fakeFor(MINI))))
})

describe("FakeWechat: jscode2session per-user minute limit", () => {
  it.effect("100 calls a minute per user by default, then 45011 (minute window); other users and the next minute are fine", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const [a, b] = [yield* fake.addUser({ nickname: "a" }), yield* fake.addUser({ nickname: "b" })]
      for (let i = 0; i < 100; i++) yield* MiniProgram.code2Session(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: a.id }))
      const code = yield* fake.miniProgramLogin({ appId: MINI.appId, userId: a.id })
      const limited = yield* Effect.flip(MiniProgram.code2Session(code))
      expect([limited._tag, errcodeOf(limited), limited._tag === "RateLimited" && limited.window]).toEqual(["RateLimited", 45011, "minute"])
      yield* MiniProgram.code2Session(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: b.id }))
      yield* TestClock.adjust("1 minute")
      // the refused code was not used up
      expect((yield* MiniProgram.code2Session(code)).openid).toBe(yield* fake.openid({ appId: MINI.appId, userId: a.id }))
    }).pipe(Effect.provide(fakeFor(MINI))))

  it.effect("configurable: userMinuteQuota option and setQuotas", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const login = Effect.flatMap(fake.miniProgramLogin({ appId: MINI.appId, userId: "u1" }), MiniProgram.code2Session)
      yield* login
      yield* login
      expect(errcodeOf(yield* Effect.flip(login))).toBe(45011)
      yield* fake.setQuotas({ userMinute: { "sns/jscode2session": 5 } })
      yield* login
      expect((yield* fake.state).quotas.userMinute["sns/jscode2session"]).toBe(5)
    }).pipe(Effect.provide(fakeFor(MINI, { userMinuteQuota: { "sns/jscode2session": 2 } }))))
})

describe("FakeWechat: the clock", () => {
  it.effect("advanceClock expires codes on top of TestClock", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const code = yield* fake.authorize({ appId: OA.appId, userId: "u1", scope: "snsapi_base" })
      const before = yield* fake.now
      yield* TestClock.adjust("2 minutes")
      yield* fake.advanceClock("3 minutes")
      expect((yield* fake.now) - before).toBe(300_000)
      expect((yield* fake.state).clockOffsetMillis).toBe(180_000)
      expect(errcodeOf(yield* Effect.flip(Sns.exchangeCode(code)))).toBe(40029)
    }).pipe(Effect.provide(fakeFor(OA))))
})
