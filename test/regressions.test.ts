/**
 * Regression tests for defects found in review: shared failures, lock renewal,
 * interrupted first callers, the leaked-token rule, Recorder masking, odd statuses,
 * and a hostile errmsg.
 */
import * as Compat from "#compat"
import { FetchHttpClient } from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Option, Redacted, Scope } from "effect"
import { inScope, isInterrupted, makeScope, scoped, TestClock } from "#test-compat"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AccessTokenProvider, BasicToken, JsSdk, Sns, TokenStore, WechatConfig, WechatError } from "../src/index.js"
import { FakeWechat, Recorder } from "../src/testing/index.js"
import { answeringServer } from "./support/loopback.js"
import { BOUND, fakeFor } from "./testing/fakeSetup.js"
import { failureOf } from "./support/result.js"

describe("AccessTokenProvider under failure", () => {
  it.effect("concurrent callers share one failed fetch instead of each calling WeChat", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      yield* fake.inject("cgi-bin/stable_token", { fault: "busy", probability: 1 })
      const results = yield* Effect.all(Array.from({ length: 200 }, () => Compat.result(AccessTokenProvider.get)), { concurrency: "unbounded" })
      expect(results.every((r) => failureOf(r)?._tag === "SystemBusy")).toBe(true)
      expect(yield* fake.callCount("cgi-bin/stable_token")).toBe(1)
    }).pipe(Effect.provide(AccessTokenProvider.layer().pipe(Layer.provideMerge(fakeFor())))))

  it.effect("the refresh lock is renewed while a slow fetch runs, so a second process waits instead of fetching", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const store = yield* TokenStore.TokenStore
      const config = WechatConfig.layer({ appId: BOUND.appId, appSecret: BOUND.appSecret })
      const [p1, p2] = yield* Effect.all([
        AccessTokenProvider.make({ source: "classic", singleProcess: true, lockTtl: "1 second" }),
        AccessTokenProvider.make({ source: "classic", singleProcess: true, lockTtl: "1 second" })
      ]).pipe(Effect.provide(Layer.merge(config, Layer.succeed(TokenStore.TokenStore, store))))
      yield* fake.inject("cgi-bin/token", { fault: "latency", millis: 3000 })
      const first = yield* Compat.fork(p1!.get)
      // past the lock's first lifetime, in steps: Effect 4's TestClock.adjust does not run the
      // sleeps that the heartbeat registers while one adjustment is under way
      for (let i = 0; i < 15; i++) yield* TestClock.adjust("100 millis")
      const second = yield* Compat.fork(p2!.get)
      yield* TestClock.adjust("2 seconds")
      const [a, b] = [yield* Fiber.join(first), yield* Fiber.join(second)]
      expect(Redacted.value(b)).toBe(Redacted.value(a))
      expect(yield* fake.callCount("cgi-bin/token")).toBe(1)
    }).pipe(Effect.provide(fakeFor()), Effect.scoped))
})

describe("idempotent exchange under interruption", () => {
  it.effect("interrupting the first caller does not fail a concurrent duplicate, and the result is kept", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "i" })
      const code = yield* fake.authorize({ appId: BOUND.appId, userId: user.id, scope: "snsapi_base" })
      yield* fake.inject("sns/oauth2/access_token", { fault: "latency", millis: 1000 })
      const first = yield* Compat.fork(Sns.exchangeCode(code, { binding: "session-1" }))
      const second = yield* Compat.fork(Sns.exchangeCode(code, { binding: "session-1" }))
      yield* TestClock.adjust("100 millis")
      yield* Fiber.interrupt(first)
      yield* TestClock.adjust("1 second")
      const token = yield* Fiber.join(second)
      const later = yield* Sns.exchangeCode(code, { binding: "session-1" })
      expect(Redacted.value(later.accessToken)).toBe(Redacted.value(token.accessToken))
      expect(yield* fake.callCount("sns/oauth2/access_token")).toBe(1)
    }).pipe(Effect.provide(fakeFor())))
})

describe("FakeWechat leak rule", () => {
  it.effect("two force refreshes 30 s apart kill the leaked stable token", () =>
    Effect.gen(function*() {
      const leaked = yield* BasicToken.fetchStable()
      yield* BasicToken.fetchStable({ forceRefresh: true })
      yield* JsSdk.getTicket({ accessToken: leaked.accessToken }) // still in its overlap
      yield* TestClock.adjust("30 seconds")
      yield* BasicToken.fetchStable({ forceRefresh: true })
      const dead = yield* Effect.flip(JsSdk.getTicket({ accessToken: leaked.accessToken }))
      expect(dead._tag === "AccessTokenInvalid" && dead.errcode).toBe(40001)
    }).pipe(Effect.provide(fakeFor())))
})

describe("test kit edge cases", () => {
  scoped("Recorder masks secret fields of a body that is not valid JSON", () =>
    Effect.gen(function*() {
      const server = yield* answeringServer(`{"access_token":"99_LEAKED-TOKEN-VALUE","expires_in":72`)
      const path = join(mkdtempSync(join(tmpdir(), "rec-")), "c.json")
      const error = yield* Effect.flip(BasicToken.fetch().pipe(
        Effect.provide(Layer.merge(Recorder.layer(path).pipe(Layer.provide(FetchHttpClient.layer)), WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "record-secret", apiBaseUrl: server.url })))
      ))
      expect(error._tag).toBe("WechatDecodeError")
      const text = readFileSync(path, "utf8")
      expect(text).not.toContain("LEAKED-TOKEN-VALUE")
      expect(text).toContain(`\\"access_token\\":\\"<redacted:2>\\"`)
    }))

  it.effect("status faults outside 200-599 are refused; a 304 is a typed transport error (a 3xx, never followed)", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      expect((yield* Effect.flip(fake.inject("cgi-bin/token", { fault: "status", status: 100 })))._tag).toBe("FakeWechatError")
      yield* fake.inject("cgi-bin/token", { fault: "status", status: 304 })
      const error = yield* Effect.flip(BasicToken.fetch())
      expect(error._tag === "WechatTransportError" && [error.reason, error.status, error.action]).toEqual(["redirect", 304, "stop"])
    }).pipe(Effect.provide(fakeFor())))

  it("a long hostile errmsg is split by its tail", () => {
    const hostile = "hints: [ ".repeat(20_000) + " ".repeat(50_000) + "x, rid: 0a1b2c3d-0a1b2c3d-0a1b2c3d"
    const { rid, text } = WechatError.splitErrmsg(hostile)
    expect(rid).toBe("0a1b2c3d-0a1b2c3d-0a1b2c3d")
    expect(text.endsWith("x")).toBe(true)
  })
})

describe("provider lifetime", () => {
  it.effect("closing the provider's scope interrupts a refresh under way", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      yield* fake.inject("cgi-bin/stable_token", { fault: "latency", millis: 10_000 })
      const scope = yield* makeScope
      const provider = yield* inScope(AccessTokenProvider.make(), scope)
      const waiting = yield* Compat.fork(provider.get)
      yield* TestClock.adjust("1 second")
      yield* Scope.close(scope, Exit.void)
      const exit = yield* Fiber.await(waiting)
      expect(isInterrupted(exit)).toBe(true)
      yield* TestClock.adjust("20 seconds")
      // the interrupted refresh stored nothing
      const store = yield* TokenStore.TokenStore
      expect(Option.isNone(yield* store.get(TokenStore.key(BOUND.appId, "access_token", "stable")))).toBe(true)
    }).pipe(Effect.provide(fakeFor())))
})
