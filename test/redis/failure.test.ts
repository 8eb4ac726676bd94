/**
 * Redis stopped mid-run: a typed TokenStoreError within the configured timeout, and
 * calls recover when Redis is back on the same port.
 */
import type { HttpClient } from "@effect/platform"
import { Context, Effect, Either, Exit, Layer, Scope } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { AccessTokenProvider, Sns, TokenStore, WechatConfig } from "../../src/index.js"
import { RedisTokenStore } from "../../src/redis/index.js"
import { FakeWechat } from "../../src/testing/index.js"
import { type RedisServer, startRedis } from "../support/redisServer.js"

let redis: RedisServer | undefined

afterAll(async () => {
  await redis?.stop()
})

const APP = { appId: "wx0000000000000016", appSecret: "failure-secret-1" }

describe("Redis failures", () => {
  it("stopped mid-run → TokenStoreError within the timeout; recovers when Redis is back", async () => {
    redis = await startRedis()
    const port = redis.port
    const scope = Effect.runSync(Scope.make())
    const layer = Layer.mergeAll(
      FakeWechat.layer({ apps: [APP] }),
      WechatConfig.layer(APP),
      RedisTokenStore.layer({ url: redis.url, timeout: "500 millis" })
    )
    const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
    const store = Context.get(context, TokenStore.TokenStore)
    const run = <A, E>(effect: Effect.Effect<A, E, TokenStore.TokenStore | FakeWechat | WechatConfig.WechatConfig | HttpClient.HttpClient>) =>
      Effect.runPromise(Effect.either(Effect.provide(effect, context)))

    // a fresh classic provider must go to the store (stable ones degrade: see degraded.test.ts)
    const fresh = () => run(Effect.scoped(Effect.flatMap(AccessTokenProvider.make({ source: "classic" }), (p) => p.get)))
    expect(Either.isRight(await fresh())).toBe(true)

    await redis.stop()
    for (const operation of [store.get("effect-wechat:x:y"), store.set("effect-wechat:x:y", "v", "1 minute")]) {
      const started = Date.now()
      const result = await run(operation as Effect.Effect<unknown, TokenStore.TokenStoreError>)
      const elapsed = Date.now() - started
      expect(Either.isLeft(result) && result.left._tag).toBe("TokenStoreError")
      expect(elapsed).toBeLessThan(1500)
    }
    const down = await fresh()
    expect(Either.isLeft(down) && down.left._tag).toBe("TokenStoreError")
    expect(Either.isLeft(down) && down.left.message).toMatch(/^Token store (get|acquireLock) failed: redis redis:\/\/127\.0\.0\.1:\d+: /)

    redis = await startRedis(port)
    let recovered = false
    for (let i = 0; i < 100 && !recovered; i++) {
      recovered = Either.isRight(await fresh())
      if (!recovered) await new Promise((r) => setTimeout(r, 100))
    }
    expect(recovered).toBe(true)
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }, 60_000)

  it("Redis stopped in the middle of a code exchange: the user still gets the token", async () => {
    const server = await startRedis()
    const scope = Effect.runSync(Scope.make())
    try {
      const layer = Layer.mergeAll(
        FakeWechat.layer({ apps: [APP] }),
        WechatConfig.layer(APP),
        RedisTokenStore.layer({ url: server.url, timeout: "300 millis" })
      )
      const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
      const fake = Context.get(context, FakeWechat)
      const user = await Effect.runPromise(fake.addUser({ nickname: "mid" }))
      const code = await Effect.runPromise(fake.authorize({ appId: APP.appId, userId: user.id, scope: "snsapi_base" }))
      // WeChat takes a moment to answer; Redis dies while the request is under way
      await Effect.runPromise(fake.inject("sns/oauth2/access_token", { fault: "latency", millis: 500 }))
      const exchange = Effect.runPromise(Effect.either(Effect.provide(Sns.exchangeCode(code, { binding: "mid-session" }), context)))
      await new Promise((r) => setTimeout(r, 150))
      await server.stop()
      const result = await exchange
      expect(Either.isRight(result) && result.right.openid.length).toBeGreaterThan(0)
      expect(await Effect.runPromise(fake.callCount("sns/oauth2/access_token"))).toBe(1)
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await server.stop()
    }
  }, 30_000)
})
