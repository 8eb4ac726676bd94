/**
 * WechatClient: one wiring whose store serves every feature; and the Warning when a
 * feature runs on the process-local store while a shared one was built elsewhere.
 */
import { HttpClient } from "#compat"
import { describe, expect, inject, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Redis } from "ioredis"
import { randomBytes } from "node:crypto"
import { AccessTokenProvider, JsSdk, Sns, WechatClient, WechatConfig } from "../../src/index.js"
import { RedisTokenStore } from "../../src/redis/index.js"
import { FakeWechat } from "../../src/testing/index.js"
import { captureLogs } from "#test-compat"

const url = inject("redisUrl")
const newApp = () => ({ appId: `wx${randomBytes(8).toString("hex")}`, appSecret: "client-secret-0001", authorizedDomains: ["example.com"] })

const keysIn = (appId: string) =>
  Effect.acquireUseRelease(Effect.sync(() => new Redis(url)), (c) => Effect.promise(() => c.keys(`effect-wechat:${appId}:*`)), (c) =>
    Effect.sync(() => c.disconnect()))

const warningsLogger = () => {
  const warnings: Array<string> = []
  const layer = captureLogs(({ level, message }) => {
    if (level === "WARN") warnings.push(String(Array.isArray(message) ? message.join(" ") : message))
  })
  return { warnings, layer }
}

describe("WechatClient.layer", () => {
  it.live("with Redis: the exchange, the token and the ticket all land in Redis", () =>
    Effect.gen(function*() {
      const app = newApp()
      const fake = yield* FakeWechat.make({ apps: [app], users: [{ id: "u1", nickname: "Ann" }] })
      const code = yield* fake.authorize({ appId: app.appId, userId: "u1", scope: "snsapi_userinfo" })
      const live = WechatClient.layer({ appId: app.appId, appSecret: app.appSecret }, {
        store: RedisTokenStore.layer({ url }),
        httpClient: Layer.succeed(HttpClient.HttpClient, FakeWechat.httpClient(fake))
      })
      yield* Effect.gen(function*() {
        yield* Sns.exchangeCode(code, { binding: "session-1" })
        yield* JsSdk.signPage("https://example.com/page")
      }).pipe(Effect.provide(live))
      const keys = yield* keysIn(app.appId)
      expect(keys.some((k) => k.includes(":code:"))).toBe(true)
      expect(keys).toContain(`effect-wechat:${app.appId}:access_token:stable`)
      expect(keys).toContain(`effect-wechat:${app.appId}:ticket:jsapi`)
    }))

  it.live("the old wiring (Layer.provide of Redis to the token provider only): the exchange warns, once, naming the fix", () =>
    Effect.gen(function*() {
      const app = newApp()
      const fake = yield* FakeWechat.make({ apps: [app], users: [{ id: "u1", nickname: "Ann" }] })
      const { layer: logger, warnings } = warningsLogger()
      const base = Layer.merge(WechatConfig.layer(app), Layer.succeed(HttpClient.HttpClient, FakeWechat.httpClient(fake)))
      const hidden = AccessTokenProvider.layer().pipe(Layer.provide(RedisTokenStore.layer({ url })), Layer.provideMerge(base))
      yield* Effect.gen(function*() {
        for (let i = 0; i < 3; i++) {
          const code = yield* fake.authorize({ appId: app.appId, userId: "u1", scope: "snsapi_base" })
          yield* Sns.exchangeCode(code, { binding: `session-${i}` })
        }
      }).pipe(Effect.provide(hidden), Effect.provide(logger))
      const about = warnings.filter((w) => w.includes("Sns.exchangeCode"))
      expect(about.length).toBe(1)
      expect(about[0]).toContain("Layer.provideMerge(RedisTokenStore.layer")
      // the exchange never reached Redis
      expect((yield* keysIn(app.appId)).some((k) => k.includes(":code:"))).toBe(false)
    }))

  it.live("processes: \"many\" with a process-local store warns too", () =>
    Effect.gen(function*() {
      const app = newApp()
      const fake = yield* FakeWechat.make({ apps: [app], users: [{ id: "u1", nickname: "Ann" }] })
      const { layer: logger, warnings } = warningsLogger()
      const code = yield* fake.authorize({ appId: app.appId, userId: "u1", scope: "snsapi_base" })
      yield* Sns.exchangeCode(code, { binding: "s" }).pipe(
        Effect.provide(WechatClient.layer({ appId: app.appId, appSecret: app.appSecret }, {
          processes: "many",
          httpClient: Layer.succeed(HttpClient.HttpClient, FakeWechat.httpClient(fake))
        })),
        Effect.provide(logger)
      )
      expect(warnings.some((w) => w.includes("Sns.exchangeCode") && w.includes("one of many"))).toBe(true)
    }))

  it.effect("a bad option of any part fails the layer typed", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Layer.build(WechatClient.layer({ appId: "wx00000000000000e1", appSecret: "s" }, { tokens: { lockTtl: 0 } })))
      expect(error._tag === "InvalidArgument" && error.argument).toBe("lockTtl")
    }).pipe(Effect.scoped))
})
