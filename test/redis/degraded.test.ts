/**
 * Degraded, not down: while Redis is unreachable, the stable token source (and its JS-SDK
 * tickets) keep working from the process's own cache with one fetch per token life; the
 * classic source, which would rotate other processes' tokens, keeps failing typed.
 */
import * as Compat from "#compat"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { AccessTokenProvider, JsSdk, WechatConfig } from "../../src/index.js"
import { RedisTokenStore } from "../../src/redis/index.js"
import { FakeWechat } from "../../src/testing/index.js"
import { type RedisServer, startRedis } from "../support/redisServer.js"
import { failureOf, isFailure } from "../support/result.js"
import { captureLogs, makeScope } from "#test-compat"

let redis: RedisServer | undefined

afterAll(async () => {
  await redis?.stop()
})

const APP = { appId: "wx00000000000000d1", appSecret: "degraded-secret-01" }

describe("Redis down: degraded, not down", () => {
  it("stable: no TokenStoreError reaches a caller while Redis is stopped and restarted under load; one fetch per token life", async () => {
    redis = await startRedis()
    const port = redis.port
    const scope = Effect.runSync(makeScope)
    const warnings: Array<string> = []
    const logger = captureLogs(({ level, message }) => {
      if (level === "WARN") warnings.push(String(Array.isArray(message) ? message.join(" ") : message))
    })
    const base = Layer.mergeAll(
      FakeWechat.layer({ apps: [APP], lifetimes: { basicToken: 4, overlap: 1 } }),
      WechatConfig.layer(APP),
      RedisTokenStore.layer({ url: redis.url, timeout: "200 millis" })
    )
    const stable = JsSdk.layerTicketProvider().pipe(
      Layer.provideMerge(AccessTokenProvider.layer({ source: "stable", refreshMargin: "1 second" })),
      Layer.provideMerge(base)
    )
    const context = await Effect.runPromise(Layer.buildWithScope(stable, scope))
    const fake = Context.get(context, FakeWechat)
    const errors: Record<string, number> = {}
    let calls = 0
    const call = AccessTokenProvider.use((accessToken) => JsSdk.getTicket({ accessToken })).pipe(
      Effect.andThen(JsSdk.signPage("https://example.com/page")),
      Compat.result,
      Effect.map((r) => {
        calls++
        if (isFailure(r)) errors[failureOf(r)!._tag] = (errors[failureOf(r)!._tag] ?? 0) + 1
      }),
      Effect.provide(context),
      Effect.provide(logger)
    )
    // 8 callers, one call every 20 ms each, for 9 s: Redis down from 1.5 s to 6 s (the 4 s token expires meanwhile)
    let running = true
    const load = Promise.all(Array.from({ length: 8 }, async () => {
      while (running) {
        await Effect.runPromise(call)
        await new Promise((r) => setTimeout(r, 20))
      }
    }))
    await new Promise((r) => setTimeout(r, 1500))
    await redis.stop()
    await new Promise((r) => setTimeout(r, 4500))
    redis = await startRedis(port)
    await new Promise((r) => setTimeout(r, 3000))
    running = false
    await load
    await Effect.runPromise(Scope.close(scope, Exit.void))

    expect(calls).toBeGreaterThan(500)
    expect(errors).toEqual({})
    // one stable_token fetch per token life (4 s) for this process over ~9 s, never one per caller
    const fetches = await Effect.runPromise(fake.callCount("cgi-bin/stable_token"))
    expect(fetches).toBeGreaterThanOrEqual(2)
    expect(fetches).toBeLessThanOrEqual(4)
    expect(warnings.some((w) => w.includes("unavailable"))).toBe(true)
    expect(warnings.some((w) => w.includes("is back"))).toBe(true)
    // logged once per outage and once per recovery, per credential (token, ticket)
    expect(warnings.filter((w) => w.includes("unavailable")).length).toBeLessThanOrEqual(2)
  }, 60_000)

  it("classic: keeps failing typed while Redis is down (fetching would rotate other processes' tokens)", async () => {
    const server = await startRedis()
    const scope = Effect.runSync(makeScope)
    try {
      const classic = AccessTokenProvider.layer({ source: "classic" }).pipe(
        Layer.provideMerge(Layer.mergeAll(
          FakeWechat.layer({ apps: [APP] }),
          WechatConfig.layer(APP),
          RedisTokenStore.layer({ url: server.url, timeout: "200 millis" })
        ))
      )
      const context = await Effect.runPromise(Layer.buildWithScope(classic, scope))
      await server.stop()
      const result = await Effect.runPromise(Compat.result(Effect.provide(AccessTokenProvider.get, context)))
      expect(failureOf(result)?._tag).toBe("TokenStoreError")
      expect(await Effect.runPromise(Context.get(context, FakeWechat).callCount("cgi-bin/token"))).toBe(0)
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await server.stop()
    }
  }, 30_000)
})
