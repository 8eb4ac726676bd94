/**
 * Store states that used to never heal, and clocks that disagree: a wrong-type value or a
 * lock without a TTL at one of our keys is replaced (logged once), and expiry read from
 * Redis is counted from the reader's clock (PTTL), not the writer's.
 */
import { describe, expect, inject, it } from "@effect/vitest"
import { Context, Effect, Layer, Redacted } from "effect"
import { Redis } from "ioredis"
import { randomBytes } from "node:crypto"
import { AccessTokenProvider, JsSdk, TokenStore, WechatConfig } from "../../src/index.js"
import { RedisTokenStore } from "../../src/redis/index.js"
import { FakeWechat } from "../../src/testing/index.js"
import { fastForwardClock } from "../helpers.js"
import { captureLogs, withClock } from "#test-compat"

const url = inject("redisUrl")
const newApp = () => ({ appId: `wx${randomBytes(8).toString("hex")}`, appSecret: "heal-secret-0001" })

const withRedis = <A>(f: (client: Redis) => Promise<A>) =>
  Effect.acquireUseRelease(Effect.sync(() => new Redis(url)), (c) => Effect.promise(() => f(c)), (c) => Effect.sync(() => c.disconnect()))

const capturingLogger = () => {
  const warnings: Array<string> = []
  const logger = captureLogs(({ level, message }) => {
    if (level === "WARN") warnings.push(String(Array.isArray(message) ? message.join(" ") : message))
  })
  return { warnings, layer: logger }
}

describe("Redis store states heal", () => {
  it.live("a hash at the token key is replaced, with one Warning; calls work again at once", () =>
    Effect.gen(function*() {
      const app = newApp()
      const key = TokenStore.key(app.appId, "access_token", "classic")
      yield* withRedis((c) => c.hset(key, "field", "value"))
      const { layer, warnings } = capturingLogger()
      const token = yield* AccessTokenProvider.get.pipe(
        Effect.provide(AccessTokenProvider.layer({ source: "classic" }).pipe(
          Layer.provideMerge(Layer.mergeAll(FakeWechat.layer({ apps: [app] }), WechatConfig.layer(app), RedisTokenStore.layer({ url })))
        )),
        Effect.provide(layer)
      )
      expect(Redacted.value(token).length).toBeGreaterThan(20)
      expect(warnings.filter((w) => w.includes(key)).length).toBe(1)
      expect(yield* withRedis((c) => c.type(key))).toBe("string")
    }))

  it.live("a lock without a TTL is taken over instead of blocking every refresh for lockWait", () =>
    Effect.gen(function*() {
      const app = newApp()
      const lock = `${TokenStore.key(app.appId, "access_token", "classic")}:lock`
      yield* withRedis((c) => c.set(lock, "a-crashed-holder-without-ttl"))
      const { layer, warnings } = capturingLogger()
      const started = Date.now()
      yield* AccessTokenProvider.get.pipe(
        Effect.provide(AccessTokenProvider.layer({ source: "classic", lockWait: "5 seconds" }).pipe(
          Layer.provideMerge(Layer.mergeAll(FakeWechat.layer({ apps: [app] }), WechatConfig.layer(app), RedisTokenStore.layer({ url })))
        )),
        Effect.provide(layer)
      )
      expect(Date.now() - started).toBeLessThan(2000)
      expect(warnings.filter((w) => w.includes(lock)).length).toBe(1)
      // the lock it took was released, with no TTL-less key left behind
      expect(yield* withRedis((c) => c.exists(lock))).toBe(0)
    }))
})

describe("clock skew between processes", () => {
  it.live("a process 10 minutes ahead writes the token; a process on time never serves it past its real life", () =>
    Effect.gen(function*() {
      const app = newApp()
      const fake = yield* Layer.build(FakeWechat.layerControl({ apps: [app], lifetimes: { basicToken: 3, overlap: 0 } }))
      const address = yield* FakeWechat.serve().pipe(Effect.provide(fake))
      const config = WechatConfig.layer({ ...app, apiBaseUrl: address.url })
      const { FetchHttpClient } = yield* Effect.promise(() => import("#compat"))
      const processLayer = AccessTokenProvider.layer({ source: "classic", refreshMargin: "500 millis" }).pipe(
        Layer.provideMerge(Layer.mergeAll(config, FetchHttpClient.layer, RedisTokenStore.layer({ url })))
      )
      // two processes: their own providers, Redis clients and clocks
      const ahead = fastForwardClock()
      ahead.advance(10 * 60 * 1000)
      const early = yield* Layer.build(processLayer).pipe(((e) => withClock(e, ahead)))
      const onTime = yield* Layer.build(processLayer)
      const use = (context: Context.Context<AccessTokenProvider.AccessTokenProvider | WechatConfig.WechatConfig | import("#compat").HttpClient.HttpClient>) =>
        AccessTokenProvider.use((accessToken) => JsSdk.getTicket({ accessToken })).pipe(Effect.provide(context), Effect.as(true))

      const first = yield* AccessTokenProvider.get.pipe(Effect.provide(early), ((e) => withClock(e, ahead)))
      // the on-time process reads the same token from Redis
      const shared = yield* AccessTokenProvider.get.pipe(Effect.provide(onTime))
      expect(Redacted.value(shared)).toBe(Redacted.value(first))
      // after its real life (3 s) WeChat refuses it: the on-time process must have moved on
      yield* Effect.sleep("3500 millis")
      const later = yield* AccessTokenProvider.get.pipe(Effect.provide(onTime))
      expect(Redacted.value(later)).not.toBe(Redacted.value(first))
      expect(yield* use(onTime)).toBe(true)
      // and no call from it ever met a dead token
      const control = Context.get(fake, FakeWechat)
      expect(yield* control.callCount("cgi-bin/ticket/getticket")).toBe(1)
    }).pipe(Effect.scoped))
})
