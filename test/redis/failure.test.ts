/**
 * Redis stopped mid-run: a typed TokenStoreError within the configured timeout, and
 * calls recover when Redis is back on the same port.
 */
import * as Compat from "#compat"
import type { HttpClient } from "#compat"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { AccessTokenProvider, Sns, TokenStore, WechatConfig } from "../../src/index.js"
import { RedisTokenStore } from "../../src/redis/index.js"
import { FakeWechat } from "../../src/testing/index.js"
import { type RedisServer, startRedis } from "../support/redisServer.js"
import { failureOf, successOf, isSuccess } from "../support/result.js"
import { makeScope } from "#test-compat"

let redis: RedisServer | undefined

afterAll(async () => {
  await redis?.stop()
})

const APP = { appId: "wx0000000000000016", appSecret: "failure-secret-1" }

describe("Redis failures", () => {
  it("stopped mid-run → TokenStoreError within the timeout; recovers when Redis is back", async () => {
    redis = await startRedis()
    const port = redis.port
    const scope = Effect.runSync(makeScope)
    const layer = Layer.mergeAll(
      FakeWechat.layer({ apps: [APP] }),
      WechatConfig.layer(APP),
      RedisTokenStore.layer({ url: redis.url, timeout: "500 millis" })
    )
    const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
    const store = Context.get(context, TokenStore.TokenStore)
    const run = <A, E>(effect: Effect.Effect<A, E, Compat.RefId<TokenStore.TokenStore> | FakeWechat | WechatConfig.WechatConfig | HttpClient.HttpClient>) =>
      Effect.runPromise(Compat.result(Effect.provide(effect, context)))

    // a fresh classic provider must go to the store (stable ones degrade: see degraded.test.ts)
    const fresh = () => run(Effect.scoped(Effect.flatMap(AccessTokenProvider.make({ source: "classic" }), (p) => p.get)))
    expect(isSuccess(await fresh())).toBe(true)

    await redis.stop()
    for (const operation of [store.get("effect-wechat:x:y"), store.set("effect-wechat:x:y", "v", "1 minute")]) {
      const started = Date.now()
      const result = await run(operation as Effect.Effect<unknown, TokenStore.TokenStoreError>)
      const elapsed = Date.now() - started
      expect(failureOf(result)?._tag).toBe("TokenStoreError")
      expect(elapsed).toBeLessThan(1500)
    }
    const down = await fresh()
    expect(failureOf(down)?._tag).toBe("TokenStoreError")
    expect(failureOf(down)?.message).toMatch(/^Token store (get|acquireLock) failed: redis redis:\/\/127\.0\.0\.1:\d+: .*\[next: retry\]$/)
    expect(failureOf(down)?.action).toBe("retry")

    redis = await startRedis(port)
    let recovered = false
    for (let i = 0; i < 100 && !recovered; i++) {
      recovered = isSuccess(await fresh())
      if (!recovered) await new Promise((r) => setTimeout(r, 100))
    }
    expect(recovered).toBe(true)
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }, 60_000)

  it("Redis stopped in the middle of a code exchange: the user still gets the token", async () => {
    const server = await startRedis()
    const scope = Effect.runSync(makeScope)
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
      const exchange = Effect.runPromise(Compat.result(Effect.provide(Sns.exchangeCode(code, { binding: "mid-session" }), context)))
      await new Promise((r) => setTimeout(r, 150))
      await server.stop()
      const result = await exchange
      expect(successOf(result)?.openid.length).toBeGreaterThan(0)
      expect(await Effect.runPromise(fake.callCount("sns/oauth2/access_token"))).toBe(1)
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await server.stop()
    }
  }, 30_000)
})
