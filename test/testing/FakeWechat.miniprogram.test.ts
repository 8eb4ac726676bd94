/**
 * The fake's mini program: phone numbers and single-use phone codes, session keys replaced
 * by wx.login and checked by wxa/checksession, open data encrypted as WeChat does, and the
 * same through the HTTP control API.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { TestClock } from "#test-compat"
import { createDecipheriv, createHmac } from "node:crypto"
import { AccessTokenProvider, MiniProgram, Sns, TokenStore, WechatConfig } from "../../src/index.js"
import { FakeWechat } from "../../src/testing/index.js"
import { loggedIn, MINI, miniFake, OA, OTHER_MINI } from "./miniSetup.js"

const flipTag = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (e) => [e._tag, "errcode" in e ? e.errcode : undefined])

describe("FakeWechat: phone numbers", () => {
  it.effect("every user has one: derived from the id, or as given (with +countryCode outside mainland China)", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const plain = yield* fake.addUser({ nickname: "a" })
      expect(plain).toMatchObject({ countryCode: "86", phoneNumber: plain.purePhoneNumber })
      expect(plain.phoneNumber).toMatch(/^139\d{8}$/)
      const hk = yield* fake.addUser({ nickname: "b", phoneNumber: "51234567", countryCode: "852" })
      expect([hk.phoneNumber, hk.purePhoneNumber, hk.countryCode]).toEqual(["+85251234567", "51234567", "852"])
      const code = yield* fake.phoneCode({ appId: MINI.appId, userId: hk.id })
      expect(code).toMatch(/^[0-9a-f]{64}$/)
      expect((yield* MiniProgram.phoneNumber({ code })).toJSON()).toMatchObject({ phoneNumber: "+85251234567", purePhoneNumber: "51234567", countryCode: "852" })
    }).pipe(Effect.provide(miniFake())))

  it.effect("a phone code answers once, for 5 minutes: reused or expired is 40029, never 40163", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "p" })
      const code = yield* fake.phoneCode({ appId: MINI.appId, userId: user.id })
      const phone = yield* MiniProgram.phoneNumber({ code })
      expect([phone.phoneNumber, phone.purePhoneNumber, phone.countryCode, phone.watermark.appid]).toEqual([user.phoneNumber, user.purePhoneNumber, "86", MINI.appId])
      const reused = yield* Effect.flip(MiniProgram.phoneNumber({ code }))
      expect([reused._tag, "errcode" in reused && reused.errcode, "action" in reused && reused.action]).toEqual(["InvalidCode", 40029, "reauthorize"])
      // the errmsg ends with a hint and a rid, as captured from WeChat: the rid is still found
      expect("rid" in reused && reused.rid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/)
      const early = yield* fake.phoneCode({ appId: MINI.appId, userId: user.id })
      const late = yield* fake.phoneCode({ appId: MINI.appId, userId: user.id })
      yield* TestClock.adjust("299 seconds")
      expect((yield* MiniProgram.phoneNumber({ code: early })).phoneNumber).toBe(user.phoneNumber)
      yield* TestClock.adjust("1 second")
      expect(yield* flipTag(MiniProgram.phoneNumber({ code: late }))).toEqual(["InvalidCode", 40029])
      expect(yield* fake.callCount("wxa/business/getuserphonenumber")).toBe(4)
    }).pipe(Effect.provide(miniFake())))

  it.effect("a code of another kind or app, an openid it was not issued to, an official account's token", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "k" })
      const other = yield* fake.addUser({ nickname: "o" })
      // a wx.login code is not a phone code, nor the other way round
      expect(yield* flipTag(MiniProgram.phoneNumber({ code: yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id }) }))).toEqual(["InvalidCode", 40029])
      expect(yield* flipTag(MiniProgram.code2Session(yield* fake.phoneCode({ appId: MINI.appId, userId: user.id })))).toEqual(["InvalidCode", 40029])
      // the official table: 40013 when the token's app did not issue the code
      expect(yield* flipTag(MiniProgram.phoneNumber({ code: yield* fake.phoneCode({ appId: OTHER_MINI.appId, userId: user.id }) }))).toEqual(["AppMisconfigured", 40013])
      const code = yield* fake.phoneCode({ appId: MINI.appId, userId: user.id })
      const otherOpenid = yield* fake.openid({ appId: MINI.appId, userId: other.id })
      expect(yield* flipTag(MiniProgram.phoneNumber({ code, openid: otherOpenid }))).toEqual(["InvalidOpenid", 40003])
      // refused without spending the code
      const openid = yield* fake.openid({ appId: MINI.appId, userId: user.id })
      expect((yield* MiniProgram.phoneNumber({ code, openid })).phoneNumber).toBe(user.phoneNumber)
      expect((yield* Effect.flip(fake.phoneCode({ appId: OA.appId!, userId: user.id }))).reason).toContain("not a mini-program")
    }).pipe(Effect.provide(miniFake())))

  it.effect("an official account's token gets 48001", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "t" })
      const code = yield* fake.phoneCode({ appId: MINI.appId, userId: user.id })
      expect(yield* flipTag(MiniProgram.phoneNumber({ code }))).toEqual(["ApiUnauthorized", 48001])
    }).pipe(Effect.provide(miniFake(OA))))
})

describe("FakeWechat: session keys", () => {
  it.effect("wx.login replaces the key; checksession accepts only the current one's signature", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "s" })
      const first = yield* MiniProgram.code2Session(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id }))
      const openid = first.openid
      expect(yield* MiniProgram.checkSessionKey({ openid, sessionKey: first.sessionKey })).toBe(true)
      const second = yield* MiniProgram.code2Session(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id }))
      expect(Redacted.value(second.sessionKey)).not.toBe(Redacted.value(first.sessionKey))
      expect(yield* MiniProgram.checkSessionKey({ openid, sessionKey: first.sessionKey })).toBe(false)
      expect(yield* MiniProgram.checkSessionKey({ openid, sessionKey: second.sessionKey })).toBe(true)
      // a key of another user, an openid with no session
      const stranger = yield* fake.addUser({ nickname: "x" })
      expect(yield* MiniProgram.checkSessionKey({ openid: yield* fake.openid({ appId: MINI.appId, userId: stranger.id }), sessionKey: second.sessionKey })).toBe(false)
      // the key lives lifetimes.sessionKey (3 days)
      yield* TestClock.adjust("3 days")
      expect(yield* MiniProgram.checkSessionKey({ openid, sessionKey: second.sessionKey })).toBe(false)
      expect(yield* fake.callCount("wxa/checksession")).toBe(5)
    }).pipe(Effect.provide(miniFake())))

  it.effect("sessionKeyRotation: when-expired keeps the key across logins until it expires", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "r" })
      yield* fake.setLifetimes({ sessionKey: 600 })
      const login = () => Effect.flatMap(fake.miniProgramLogin({ appId: MINI.appId, userId: user.id }), (code) => MiniProgram.code2Session(code))
      const a = yield* login()
      const b = yield* login()
      expect(Redacted.value(b.sessionKey)).toBe(Redacted.value(a.sessionKey))
      yield* TestClock.adjust("10 minutes")
      const c = yield* login()
      expect(Redacted.value(c.sessionKey)).not.toBe(Redacted.value(a.sessionKey))
      expect(yield* MiniProgram.checkSessionKey({ openid: c.openid, sessionKey: c.sessionKey })).toBe(true)
    }).pipe(Effect.provide(miniFake(MINI, { sessionKeyRotation: "when-expired" }))))

  it.effect("checksession as WeChat checks it: the HMAC-SHA256 of the empty string keyed by the key's text, lowercase hex; hmac_sha256 only", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "h" })
      const session = yield* MiniProgram.code2Session(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id }))
      const token = Redacted.value(yield* AccessTokenProvider.get)
      const ask = (query: Record<string, string>) =>
        Effect.map(fake.emulator.handle({ method: "GET", path: "/wxa/checksession", query: { access_token: token, openid: session.openid, ...query }, body: "", ip: "127.0.0.1", origin: "http://fake" }), (r) =>
          r._tag === "Response" ? (JSON.parse(r.body) as { errcode: number }).errcode : -999)
      const key = Redacted.value(session.sessionKey)
      const right = createHmac("sha256", key).update("").digest("hex")
      expect(yield* ask({ signature: right, sig_method: "hmac_sha256" })).toBe(0)
      expect(yield* ask({ signature: right.toUpperCase(), sig_method: "hmac_sha256" })).toBe(87009)
      expect(yield* ask({ signature: createHmac("sha256", Buffer.from(key, "base64")).update("").digest("hex"), sig_method: "hmac_sha256" })).toBe(87009)
      expect(yield* ask({ signature: createHmac("sha256", key).update(session.openid).digest("hex"), sig_method: "hmac_sha256" })).toBe(87009)
      expect(yield* ask({ signature: right, sig_method: "md5" })).toBe(87008)
    }).pipe(Effect.provide(miniFake())))
})

describe("FakeWechat: open data", () => {
  it.effect("encrypted as WeChat does, under the user's current key, with this app's watermark", () =>
    Effect.gen(function*() {
      const { fake, login, user } = yield* loggedIn({ nickname: "数据🐱", headImgUrl: "https://example.com/a.png" })
      const now = yield* fake.now
      const info = yield* MiniProgram.decryptFor(login.openid, yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: "userInfo" }), MiniProgram.UserInfo)
      expect(info.toJSON()).toEqual({
        openId: login.openid,
        nickName: "数据🐱",
        gender: 0,
        language: "zh_CN",
        city: "",
        province: "",
        country: "",
        avatarUrl: "https://example.com/a.png",
        unionId: user.unionid,
        watermark: { appid: MINI.appId, timestamp: Math.floor(now / 1000) }
      })
      const phone = yield* MiniProgram.decryptFor(login.openid, yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: "phoneNumber" }), MiniProgram.PhoneNumber)
      expect(phone.phoneNumber).toBe(user.phoneNumber)
      const run = yield* MiniProgram.decryptFor(login.openid, yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: "runData" }), MiniProgram.RunData)
      expect(run.stepInfoList).toHaveLength(31)
      const share = yield* MiniProgram.decryptFor(login.openid, yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: "shareInfo", watermark: false }), MiniProgram.ShareInfo)
      expect([share.openGId.length > 10, share.watermark]).toEqual([true, Option.none()])
      // any JSON, and a watermark the test chooses
      const custom = yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: { a: 1, watermark: { timestamp: 1, appid: OTHER_MINI.appId } } })
      const mismatch = yield* Effect.flip(MiniProgram.decryptFor(login.openid, custom))
      expect(mismatch._tag === "DecryptError" && mismatch.reason).toBe("watermark-mismatch")
      expect((yield* Effect.flip(fake.encryptedData({ appId: MINI.appId, userId: user.id, data: "profile" as "userInfo" }))).reason).toContain("one of")
    }).pipe(Effect.provide(miniFake())))

  it.effect("the bytes: AES-128-CBC, PKCS#7, a fresh 16-byte IV, standard base64, decrypted here with node:crypto", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "b" })
      const session = yield* MiniProgram.code2Session(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id }))
      const a = yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: { x: "y" } })
      const b = yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: { x: "y" } })
      expect(a.iv).not.toBe(b.iv)
      expect(Buffer.from(a.iv, "base64")).toHaveLength(16)
      const decipher = createDecipheriv("aes-128-cbc", Buffer.from(Redacted.value(session.sessionKey), "base64"), Buffer.from(a.iv, "base64"))
      const text = Buffer.concat([decipher.update(Buffer.from(a.encryptedData, "base64")), decipher.final()]).toString("utf8")
      expect(JSON.parse(text)).toEqual({ x: "y", watermark: { timestamp: Math.floor((yield* fake.now) / 1000), appid: MINI.appId } })
      // no session yet: the mini program logs in first
      const newcomer = yield* fake.addUser({ nickname: "n" })
      expect((yield* Effect.flip(fake.encryptedData({ appId: MINI.appId, userId: newcomer.id, data: "userInfo" }))).reason).toContain("logs in first")
    }).pipe(Effect.provide(miniFake())))
})

describe("FakeWechat: mini program over the HTTP control API", () => {
  const post = <T>(url: string, body: unknown) =>
    Effect.promise(() => fetch(url, { method: "POST", body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, json: (await r.json()) as T })))

  it.layer(Layer.provideMerge(AccessTokenProvider.layer(), Layer.merge(FakeWechat.layerServer(), TokenStore.layerMemory)))((it) => {
    it.effect("POST /__fake/phone-code and /__fake/encrypted-data give what the in-process calls give", () =>
      Effect.gen(function*() {
        const { url } = yield* FakeWechat.Address
        const appId = FakeWechat.testApp.appId
        const user = (yield* post<{ id: string; phoneNumber: string }>(`${url}/__fake/users`, { nickname: "http", phoneNumber: "13800138000" })).json
        expect(user.phoneNumber).toBe("13800138000")
        const { code } = (yield* post<{ code: string }>(`${url}/__fake/phone-code`, { appId, userId: user.id })).json
        expect((yield* MiniProgram.phoneNumber({ code })).purePhoneNumber).toBe("13800138000")
        const jscode = (yield* post<{ code: string }>(`${url}/__fake/jscode`, { appId, userId: user.id })).json.code
        const login = yield* MiniProgram.login(jscode)
        const data = (yield* post<{ encryptedData: string; iv: string }>(`${url}/__fake/encrypted-data`, { appId, userId: user.id, data: "phoneNumber" })).json
        expect((yield* MiniProgram.decryptFor(login.openid, data, MiniProgram.PhoneNumber)).phoneNumber).toBe("13800138000")
        const custom = (yield* post<{ encryptedData: string; iv: string }>(`${url}/__fake/encrypted-data`, { appId, userId: user.id, data: { steps: 3 }, watermark: false })).json
        expect(yield* MiniProgram.decryptFor(login.openid, custom)).toEqual({ steps: 3 })
        expect((yield* post(`${url}/__fake/encrypted-data`, { appId, userId: user.id, data: "nope" })).status).toBe(400)
        expect((yield* post<{ error: string }>(`${url}/__fake/phone-code`, { appId, userId: "nobody" })).json.error).toContain("unknown user")
        // a consent code is no phone code either
        const oauth = yield* FakeWechat.pipe(Effect.flatMap((f) => f.authorize({ appId, userId: user.id, scope: "snsapi_base" })))
        expect(yield* flipTag(MiniProgram.phoneNumber({ code: oauth }))).toEqual(["InvalidCode", 40029])
        expect(yield* flipTag(Sns.exchangeCode(code))).toEqual(["InvalidCode", 40029])
      }))
  })
})

describe("FakeWechat: a mini-program's IP whitelist", () => {
  const WHITELISTED_MINI: FakeWechat.AppInput = { ...MINI, ipWhitelist: ["10.0.0.1"] }
  const WHITELISTED_OA: FakeWechat.AppInput = { ...OA, ipWhitelist: ["10.0.0.1"] }

  it.effect("covers AppSecret-bearing calls only: token-only calls from anywhere are answered; an official account's covers them", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "ip" })
      yield* fake.setCallerIp("10.0.0.1")
      const session = yield* MiniProgram.code2Session(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id }))
      yield* AccessTokenProvider.get
      yield* fake.setCallerIp("10.9.9.9")
      // token-only: getuserphonenumber and checksession
      expect((yield* MiniProgram.phoneNumber({ code: yield* fake.phoneCode({ appId: MINI.appId, userId: user.id }) })).purePhoneNumber).toBe(user.purePhoneNumber)
      expect(yield* MiniProgram.checkSessionKey({ openid: session.openid, sessionKey: session.sessionKey })).toBe(true)
      // with the AppSecret: refused
      expect(yield* flipTag(MiniProgram.code2Session(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id })))).toEqual(["IpNotWhitelisted", 40164])

      // an official account's token, used from outside its whitelist: 40164 (wechat-api.md §4.2)
      const call = (ip: string, path: string, query: Record<string, string>) =>
        Effect.map(fake.emulator.handle({ method: "GET", path, query, body: "", ip, origin: "http://fake" }), (r) =>
          r._tag === "Response" ? JSON.parse(r.body) as { errcode?: number; access_token?: string } : {})
      const oaToken = (yield* call("10.0.0.1", "/cgi-bin/token", { grant_type: "client_credential", appid: OA.appId, secret: OA.appSecret })).access_token!
      expect((yield* call("10.0.0.1", "/cgi-bin/ticket/getticket", { access_token: oaToken, type: "jsapi" })).errcode).toBe(0)
      expect((yield* call("10.9.9.9", "/cgi-bin/ticket/getticket", { access_token: oaToken, type: "jsapi" })).errcode).toBe(40164)
    }).pipe(Effect.provide(AccessTokenProvider.layer().pipe(Layer.provideMerge(Layer.mergeAll(
      FakeWechat.layer({ apps: [WHITELISTED_MINI, WHITELISTED_OA] }),
      WechatConfig.layer({ appId: MINI.appId, appSecret: MINI.appSecret }),
      TokenStore.layerMemory
    ))))))
})
