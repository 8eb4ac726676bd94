/**
 * MiniProgram.login and decryptFor against FakeWechat: the session_key stays sealed on the
 * server under the openid, a newer login replaces it, and a decryption failure says what
 * can be known about a stale key.
 */
import * as Compat from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Option, Redacted } from "effect"
import { TestClock } from "#test-compat"
import { AccessTokenProvider, MiniProgram, TokenStore, WechatConfig } from "../src/index.js"
import { FakeWechat } from "../src/testing/index.js"
import { loggedIn, MINI } from "./testing/miniSetup.js"

/** The fake, the client as MINI and an AccessTokenProvider, over `store` (whose raw writes are recorded). */
const withStore = (store: TokenStore.Service) => {
  const writes: Array<{ key: string; value: string }> = []
  const recording: TokenStore.Service = { ...store, set: (key, value, ttl) => Effect.andThen(Effect.sync(() => writes.push({ key, value })), store.set(key, value, ttl)) }
  const layer = AccessTokenProvider.layer().pipe(Layer.provideMerge(Layer.mergeAll(
    FakeWechat.layer({ apps: [MINI] }),
    WechatConfig.layer({ appId: MINI.appId, appSecret: MINI.appSecret }),
    Layer.succeed(TokenStore.TokenStore, recording)
  )))
  return { writes, layer }
}
const fresh = () => withStore(Effect.runSync(TokenStore.makeMemory()))

/** The user's current session_key at the fake (what WeChat holds). */
const currentKey = (fake: FakeWechat.Service, userId: string) => fake.emulator.sessionKeys.get(`${MINI.appId} ${userId}`)!.key

const reasonOf = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (e) => (e._tag === "DecryptError" && "reason" in e ? e.reason : e._tag))

describe("MiniProgram.login", () => {
  it.effect("keeps the session_key sealed under the openid and returns only the ids", () => {
    const { layer, writes } = fresh()
    return Effect.gen(function*() {
      const { fake, login, user } = yield* loggedIn()
      expect(login).toBeInstanceOf(MiniProgram.MiniProgramLogin)
      expect(login.toJSON()).toEqual({ openid: yield* fake.openid({ appId: MINI.appId, userId: user.id }), unionid: user.unionid })
      expect(JSON.parse(JSON.stringify(login))).toEqual(login.toJSON())
      const key = currentKey(fake, user.id)
      expect(Object.keys(login)).not.toContain("sessionKey")
      // the store holds it sealed, under a key that names neither the user nor the openid
      expect(writes.length).toBeGreaterThan(0)
      for (const w of writes) {
        expect(w.value).not.toContain(key)
        expect(w.key).not.toContain(login.openid)
        expect(w.value).not.toContain(login.openid)
      }
      // and it is the key WeChat holds now
      expect(yield* MiniProgram.checkSessionKey({ openid: login.openid })).toBe(true)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a newer login replaces the kept key; a duplicate with the same binding costs no second exchange", () =>
    Effect.gen(function*() {
      const { fake, login, user } = yield* loggedIn()
      const code = yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id })
      const again = yield* MiniProgram.login(code, { binding: "request-1" })
      expect(yield* MiniProgram.login(code, { binding: "request-1" })).toEqual(again)
      expect((yield* Effect.flip(MiniProgram.login(code)))._tag).toBe("CodeAlreadyUsed")
      expect(yield* fake.callCount("sns/jscode2session")).toBe(2)
      expect(yield* MiniProgram.checkSessionKey({ openid: login.openid })).toBe(true)
      const data = yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: "phoneNumber" })
      expect((yield* MiniProgram.decryptFor(login.openid, data, MiniProgram.PhoneNumber)).phoneNumber).toBe(user.phoneNumber)
    }).pipe(Effect.provide(fresh().layer)))

  it.effect("a late duplicate of an older login does not bring back the key a newer login replaced", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "late" })
      const older = yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id })
      const { openid } = yield* MiniProgram.login(older, { binding: "request-1" })
      yield* MiniProgram.login(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id }))
      // the mini program's retry of the first request, within the duplicate window
      yield* MiniProgram.login(older, { binding: "request-1" })
      expect(yield* MiniProgram.checkSessionKey({ openid })).toBe(true)
      const data = yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: "userInfo" })
      expect((yield* MiniProgram.decryptFor(openid, data, MiniProgram.UserInfo)).nickName).toBe("late")
    }).pipe(Effect.provide(fresh().layer)))

  it.effect("two logins of one user at once: both keys are kept, neither write loses the other", () => {
    // a store whose writes take 100 ms, so that the two logins' reads and writes interleave
    const memory = Effect.runSync(TokenStore.makeMemory())
    const slow: TokenStore.Service = { ...memory, set: (key, value, ttl) => Effect.andThen(Effect.sleep("100 millis"), memory.set(key, value, ttl)) }
    const { layer } = withStore(slow)
    return Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "twice" })
      // lets the forked logins run (a real turn of the event loop) until n exchanges were made
      const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      const exchanged = (n: number) =>
        Effect.repeat(Effect.andThen(turn, fake.callCount("sns/jscode2session")), { until: (count) => count >= n, times: 1000 })
      // data made under each login's key (wx.login gives the user a new one each time)
      const first = yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id })
      const firstData = yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: "userInfo" })
      const a = yield* Compat.fork(MiniProgram.login(first))
      yield* exchanged(1)
      const second = yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id })
      const secondData = yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: "userInfo" })
      const b = yield* Compat.fork(MiniProgram.login(second))
      yield* exchanged(2)
      for (let i = 0; i < 20; i++) yield* TestClock.adjust("50 millis")
      const { openid } = yield* Fiber.join(a)
      yield* Fiber.join(b)
      // whichever login wrote last, the other's key is the one it replaced: each piece of
      // data either decrypts or is known to be stale, none is undecryptable
      const outcome = (data: MiniProgram.EncryptedData) =>
        Effect.match(MiniProgram.decryptFor(openid, data, MiniProgram.UserInfo), {
          onFailure: (e) => (e._tag === "DecryptError" ? e.reason : e._tag),
          onSuccess: () => "decrypted"
        })
      expect([yield* outcome(firstData), yield* outcome(secondData)].sort()).toEqual(["decrypted", "stale-session-key"])
    }).pipe(Effect.provide(layer))
  })

  it.effect("a storeKey rotation keeps users logged in while the old key is listed in previousStoreKeys", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const store = yield* TokenStore.TokenStore
      const OLD = "old-store-key-0123456789abcdef0123456789"
      const NEW = "new-store-key-0123456789abcdef0123456789"
      const as = (options: Pick<WechatConfig.Options, "storeKey" | "previousStoreKeys">) =>
        Effect.provide(Layer.mergeAll(
          WechatConfig.layer({ appId: MINI.appId, appSecret: MINI.appSecret, ...options }),
          Layer.succeed(TokenStore.TokenStore, store)
        ))
      const [first, second] = [yield* fake.addUser({ nickname: "a" }), yield* fake.addUser({ nickname: "b" })]
      const openids: Array<string> = []
      for (const user of [first, second]) {
        const code = yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id })
        openids.push((yield* MiniProgram.login(code).pipe(as({ storeKey: OLD }))).openid)
      }
      const dataOf = (userId: string) => fake.encryptedData({ appId: MINI.appId, userId, data: "userInfo" })
      // the new key alone finds nothing kept under the old one
      expect(yield* reasonOf(MiniProgram.decryptFor(openids[0]!, yield* dataOf(first.id)).pipe(as({ storeKey: NEW })))).toBe("no-session-key")
      // with the old key listed, both users' keys are found
      const rotated = as({ storeKey: NEW, previousStoreKeys: [Redacted.make(OLD)] })
      expect((yield* MiniProgram.decryptFor(openids[0]!, yield* dataOf(first.id), MiniProgram.UserInfo).pipe(rotated)).nickName).toBe("a")
      expect((yield* MiniProgram.decryptFor(openids[1]!, yield* dataOf(second.id), MiniProgram.UserInfo).pipe(rotated)).nickName).toBe("b")
      // a login after the rotation keeps its key under the new one, and the copy under the old key goes
      const again = yield* MiniProgram.login(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: first.id })).pipe(rotated)
      expect((yield* MiniProgram.decryptFor(again.openid, yield* dataOf(first.id), MiniProgram.UserInfo).pipe(as({ storeKey: NEW }))).nickName).toBe("a")
      expect(yield* reasonOf(MiniProgram.decryptFor(again.openid, yield* dataOf(first.id)).pipe(as({ storeKey: OLD })))).toBe("no-session-key")
      expect(yield* reasonOf(MiniProgram.decryptFor(openids[1]!, yield* dataOf(second.id)).pipe(as({ storeKey: NEW })))).toBe("no-session-key")
    }).pipe(Effect.provide(fresh().layer)))

  it.effect("after a rotation, an entry under the new key that does not open never brings back the one under the old key", () => {
    const { layer, writes } = fresh()
    return Effect.gen(function*() {
      const fake = yield* FakeWechat
      const store = yield* TokenStore.TokenStore
      const OLD = "old-store-key-0123456789abcdef0123456789"
      const NEW = "new-store-key-0123456789abcdef0123456789"
      const as = (options: Pick<WechatConfig.Options, "storeKey" | "previousStoreKeys">) =>
        Effect.provide(Layer.mergeAll(WechatConfig.layer({ appId: MINI.appId, appSecret: MINI.appSecret, ...options }), Layer.succeed(TokenStore.TokenStore, store)))
      const user = yield* fake.addUser({ nickname: "d" })
      const login = yield* MiniProgram.login(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id })).pipe(as({ storeKey: OLD }))
      // a login under the new key alone (the old key not listed yet), then its entry damaged
      yield* MiniProgram.login(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id })).pipe(as({ storeKey: NEW }))
      const damaged = writes.filter((w) => w.key.includes("session_key") && !w.key.endsWith(":lock")).at(-1)!.key
      yield* store.set(damaged, "s1.damaged", "1 hour")
      const data = yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: "userInfo" })
      expect(yield* reasonOf(MiniProgram.decryptFor(login.openid, data).pipe(as({ storeKey: NEW, previousStoreKeys: [OLD] })))).toBe("no-session-key")
    }).pipe(Effect.provide(layer))
  })

  it.effect("keepFor bounds how long the key is kept; a store that cannot keep it fails the login", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "k" })
      const login = yield* MiniProgram.login(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id }), { keepFor: "10 minutes" })
      const data = yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: "userInfo" })
      yield* TestClock.adjust("10 minutes")
      expect(yield* reasonOf(MiniProgram.decryptFor(login.openid, data))).toBe("no-session-key")
      expect(yield* reasonOf(MiniProgram.login("code", { keepFor: "31 days" }))).toBe("InvalidArgument")
      const broken: TokenStore.Service = { ...(yield* TokenStore.TokenStore), set: () => Effect.fail(new TokenStore.TokenStoreError({ operation: "set", detail: "down" })) }
      const failed = yield* Effect.flip(MiniProgram.login(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id })).pipe(Effect.provideService(TokenStore.TokenStore, broken)))
      expect(failed._tag).toBe("TokenStoreError")
    }).pipe(Effect.provide(fresh().layer)))

  it("MiniProgramSession's JSON form has no sessionKey", () => {
    const session = new MiniProgram.MiniProgramSession({ openid: "o1", sessionKey: Redacted.make("SENTINEL-KEY"), unionid: Option.none() })
    expect(JSON.stringify(session)).toBe(`{"openid":"o1","unionid":null}`)
  })
})

describe("MiniProgram.decryptFor", () => {
  it.effect("data made before the latest login: the replaced key opens it, so the reason is stale-session-key", () =>
    Effect.gen(function*() {
      const { fake, login, user } = yield* loggedIn()
      // the mini program reads the phone number, then calls wx.login again before sending it
      const data = yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: "phoneNumber" })
      yield* MiniProgram.login(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id }))
      const error = yield* Effect.flip(MiniProgram.decryptFor(login.openid, data, MiniProgram.PhoneNumber))
      expect([error._tag, error._tag === "DecryptError" && error.reason, error._tag === "DecryptError" && error.action]).toEqual(["DecryptError", "stale-session-key", "reauthorize"])
      expect(error.message).not.toContain(user.phoneNumber)
      // data made now decrypts
      const fresh = yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: "phoneNumber" })
      expect((yield* MiniProgram.decryptFor(login.openid, fresh, MiniProgram.PhoneNumber)).purePhoneNumber).toBe(user.purePhoneNumber)
    }).pipe(Effect.provide(fresh().layer)))

  it.effect("a wx.login the server never exchanged: a plain failure, unless checkSession asks WeChat", () =>
    Effect.gen(function*() {
      const { fake, login, user } = yield* loggedIn()
      yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id }) // the key changes at WeChat only
      const data = yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: "userInfo" })
      const plain = yield* Effect.flip(MiniProgram.decryptFor(login.openid, data, MiniProgram.UserInfo))
      expect(plain._tag === "DecryptError" && plain.reason).toBe("undecryptable")
      expect(plain.message).toContain("cannot prove a stale key")
      expect(yield* fake.callCount("wxa/checksession")).toBe(0)
      const asked = yield* Effect.flip(MiniProgram.decryptFor(login.openid, data, MiniProgram.UserInfo, { checkSession: true }))
      expect(asked._tag === "DecryptError" && asked.reason).toBe("stale-session-key")
      expect(yield* fake.callCount("wxa/checksession")).toBe(1)
    }).pipe(Effect.provide(fresh().layer)))

  it.effect("checkSession with a key WeChat still holds: the data itself is wrong, and the error says so", () =>
    Effect.gen(function*() {
      const { fake, login, user } = yield* loggedIn()
      const data = yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: "userInfo" })
      const damaged = { ...data, iv: Buffer.alloc(16, 7).toString("base64") }
      const error = yield* Effect.flip(MiniProgram.decryptFor(login.openid, damaged, MiniProgram.UserInfo, { checkSession: true }))
      expect(error._tag === "DecryptError" && error.reason).toBe("undecryptable")
      expect(error.message).toContain("still valid")
      // other failures are not a key problem: no checksession call
      const foreign = yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: { watermark: { timestamp: 1, appid: "wx1a94dcdb3490a778" } } })
      expect(yield* reasonOf(MiniProgram.decryptFor(login.openid, foreign, undefined, { checkSession: true }))).toBe("watermark-mismatch")
      expect(yield* fake.callCount("wxa/checksession")).toBe(1)
    }).pipe(Effect.provide(fresh().layer)))

  it.effect("no key kept for the openid: no-session-key, without a request", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "never" })
      yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id })
      const data = yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: "userInfo" })
      const openid = yield* fake.openid({ appId: MINI.appId, userId: user.id })
      expect(yield* reasonOf(MiniProgram.decryptFor(openid, data))).toBe("no-session-key")
      expect(yield* reasonOf(MiniProgram.decryptFor("bad openid!", data))).toBe("InvalidArgument")
      expect(yield* reasonOf(MiniProgram.decryptFor(openid, { encryptedData: data.encryptedData } as MiniProgram.EncryptedData))).toBe("InvalidArgument")
      expect((yield* fake.state).calls).toEqual({})
    }).pipe(Effect.provide(fresh().layer)))
})
