import { describe, expect, inject, it } from "@effect/vitest"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { randomBytes } from "node:crypto"
import { Redis } from "ioredis"
import { AccessTokenProvider, JsSdk, MiniProgram, Sns, TokenStore, WechatConfig } from "../../src/index.js"
import { RedisTokenStore } from "../../src/redis/index.js"
import { FakeWechat } from "../../src/testing/index.js"
import { scopedLive } from "#test-compat"
import { freePort } from "../support/redisServer.js"

const url = inject("redisUrl")
const redis = () => RedisTokenStore.layer({ url })
const ns = () => `wx${randomBytes(8).toString("hex")}`

/** A provider as another process would have it: its own Redis client, alive for the test's scope. */
const processProvider = (config: Layer.Layer<WechatConfig.WechatConfig, unknown>) =>
  Layer.build(AccessTokenProvider.layer({ source: "classic" }).pipe(Layer.provide(Layer.merge(config, redis())))).pipe(
    Effect.map(Context.get(AccessTokenProvider.AccessTokenProvider))
  )

describe("RedisTokenStore", () => {
  it.live("is shared, and entries expire with a Redis TTL", () =>
    Effect.gen(function*() {
      const store = yield* TokenStore.TokenStore
      expect(store.shared).toBe(true)
      const k = TokenStore.key(ns(), "x")
      yield* store.set(k, "v1", "300 millis")
      expect(yield* store.get(k)).toEqual(Option.some("v1"))
      yield* Effect.sleep("400 millis")
      expect(yield* store.get(k)).toEqual(Option.none())
    }).pipe(Effect.provide(redis())))

  it.live("compareAndDelete and the lock: one holder, holder-only release/extend, expiry", () =>
    Effect.gen(function*() {
      const store = yield* TokenStore.TokenStore
      const k = TokenStore.key(ns(), "x")
      yield* store.set(k, "new", "1 minute")
      expect(yield* store.compareAndDelete(k, "old")).toBe(false)
      expect(yield* store.compareAndDelete(k, "new")).toBe(true)
      expect(yield* store.get(k)).toEqual(Option.none())

      const lock = `${k}:lock`
      const a = Option.getOrThrow(yield* store.acquireLock(lock, "300 millis"))
      expect(yield* store.acquireLock(lock, "300 millis")).toEqual(Option.none())
      expect(yield* store.releaseLock(lock, "intruder")).toBe(false)
      expect(yield* store.extendLock(lock, "intruder", "10 seconds")).toBe(false)
      expect(yield* store.extendLock(lock, a, "600 millis")).toBe(true)
      yield* Effect.sleep("400 millis")
      expect(yield* store.acquireLock(lock, "300 millis")).toEqual(Option.none()) // extended
      yield* Effect.sleep("300 millis")
      const b = Option.getOrThrow(yield* store.acquireLock(lock, "1 second")) // a's lock expired: a holder that died releases
      expect(yield* store.releaseLock(lock, a)).toBe(false)
      expect(yield* store.releaseLock(lock, b)).toBe(true)
    }).pipe(Effect.provide(redis())))

  it.live("two processes' providers (separate Redis clients) make one classic fetch between them", () =>
    Effect.gen(function*() {
      const appId = ns()
      const fake = yield* FakeWechat
      yield* fake.addApp({ appId, appSecret: "redis-secret-1" })
      const config = WechatConfig.layer({ appId, appSecret: "redis-secret-1" })
      const providers = yield* Effect.all([processProvider(config), processProvider(config)])
      const tokens = yield* Effect.all(
        Array.from({ length: 2000 }, (_, i) => providers[i % 2]!.get),
        { concurrency: "unbounded" }
      )
      expect(new Set(tokens.map(Redacted.value)).size).toBe(1)
      expect(yield* fake.callCount("cgi-bin/token")).toBe(1)
      // a stored value that fails to decode is absent, not a defect
      const store = yield* TokenStore.TokenStore
      yield* store.set(TokenStore.key(appId, "access_token", "classic"), "garbage", "1 hour")
      const third = yield* processProvider(config)
      yield* third.get
      expect(yield* fake.callCount("cgi-bin/token")).toBe(2)
    }).pipe(Effect.provide(Layer.merge(FakeWechat.layer(), redis())), Effect.scoped))

  it.live("duplicate code exchanges through two Redis clients make one upstream request", () =>
    Effect.gen(function*() {
      const appId = ns()
      const fake = yield* FakeWechat
      yield* fake.addApp({ appId, appSecret: "redis-secret-2" })
      const user = yield* fake.addUser({ nickname: "r" })
      const code = yield* fake.authorize({ appId, userId: user.id, scope: "snsapi_base" })
      yield* fake.inject("sns/oauth2/access_token", { fault: "latency", millis: 200 })
      const config = WechatConfig.layer({ appId, appSecret: "redis-secret-2" })
      const tokens = yield* Effect.all(
        [1, 2, 3].map(() => Sns.exchangeCode(code, { binding: "login-session-1" }).pipe(Effect.provide(Layer.merge(config, redis())))),
        { concurrency: "unbounded" }
      )
      expect(new Set(tokens.map((t) => Redacted.value(t.accessToken))).size).toBe(1)
      expect(yield* fake.callCount("sns/oauth2/access_token")).toBe(1)
    }).pipe(Effect.provide(FakeWechat.layer())))

  it.live("raw Redis values are sealed: no token, ticket, session_key or code in them", () =>
    Effect.gen(function*() {
      const appId = ns()
      const secrets = { appSecret: "redis-raw-SENTINEL-app-secret" }
      const fake = yield* FakeWechat
      yield* fake.addApp({ appId, appSecret: secrets.appSecret })
      const user = yield* fake.addUser({ nickname: "raw" })
      const code = yield* fake.authorize({ appId, userId: user.id, scope: "snsapi_userinfo" })
      const jsCode = yield* fake.miniProgramLogin({ appId, userId: user.id })
      const config = WechatConfig.layer({ appId, appSecret: secrets.appSecret })
      const seen = yield* Effect.gen(function*() {
        const token = yield* Sns.exchangeCode(code, { binding: "raw-session-SENTINEL" })
        const session = yield* MiniProgram.code2Session(jsCode, { binding: "raw-session-SENTINEL" })
        yield* JsSdk.signPage("https://example.com/")
        const basic = yield* AccessTokenProvider.get
        const ticket = yield* Effect.flatMap(JsSdk.TicketProvider, (p) => p.get)
        return [Redacted.value(token.accessToken), Redacted.value(token.refreshToken), Redacted.value(session.sessionKey), Redacted.value(basic), Redacted.value(ticket), code, jsCode]
      }).pipe(
        Effect.provide(JsSdk.layerTicketProvider().pipe(Layer.provideMerge(AccessTokenProvider.layer()), Layer.provideMerge(Layer.merge(config, redis())))),
        Effect.scoped
      )
      const client = new Redis(url)
      try {
        const keys = yield* Effect.promise(() => client.keys(`effect-wechat:${appId}:*`))
        expect(keys.length).toBe(4) // the exchange, the mini-program session, the token, the ticket
        for (const key of keys) {
          const raw = (yield* Effect.promise(() => client.get(key))) ?? ""
          expect(raw).toMatch(/^s1\./)
          for (const secret of [...seen, secrets.appSecret, "raw-session-SENTINEL"]) {
            expect(raw.includes(secret) || key.includes(secret), `${key} holds a secret`).toBe(false)
          }
        }
      } finally {
        client.disconnect()
      }
    }).pipe(Effect.provide(FakeWechat.layer())))

  // user-info ends at the last "@": a password holding one leaked its tail past the first
  scopedLive("an error names the Redis URL without any part of its password", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(freePort) // closed: nothing listens there
      const cases = [
        { password: "hunter2@Pa55word", url: `redis://app:hunter2@Pa55word@127.0.0.1:${port}/0`, shown: `redis://app:<redacted>@127.0.0.1:${port}/0` },
        { password: "hunter2@Pa55word", url: `redis://:hunter2@Pa55word@127.0.0.1:${port}`, shown: `redis://:<redacted>@127.0.0.1:${port}` },
        { password: "lone-s3cret", url: `redis://lone-s3cret@127.0.0.1:${port}/2`, shown: `redis://<redacted>@127.0.0.1:${port}/2` }
      ]
      for (const { password, shown, url } of cases) {
        const store = yield* RedisTokenStore.make({ url, timeout: "200 millis" })
        const error = yield* Effect.flip(store.get("effect-wechat:x:y"))
        for (const part of [password, ...password.split(/[@-]/)]) expect(error.message).not.toContain(part)
        expect(error.message).toContain(`redis ${shown}: `)
      }
    }))
})
