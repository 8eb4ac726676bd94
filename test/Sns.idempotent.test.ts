/**
 * exchangeCode / code2Session are idempotent per code: WeChat delivers callbacks twice.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, TestClock } from "effect"
import { MiniProgram, Sns } from "../src/index.js"
import { FakeWechat } from "../src/testing/index.js"
import { BOUND, fakeFor } from "./testing/fakeSetup.js"

const newCode = Effect.gen(function*() {
  const fake = yield* FakeWechat
  const user = yield* fake.addUser({ nickname: "dup" })
  return yield* fake.authorize({ appId: BOUND.appId, userId: user.id, scope: "snsapi_userinfo" })
})
const exchanges = Effect.flatMap(FakeWechat, (f) => f.callCount("sns/oauth2/access_token"))

describe("idempotent code exchange", () => {
  it.effect("concurrent duplicates make one request and all get the same token", () =>
    Effect.gen(function*() {
      const code = yield* newCode
      const tokens = yield* Effect.all(Array.from({ length: 50 }, () => Sns.exchangeCode(code)), { concurrency: "unbounded" })
      expect(new Set(tokens.map((t) => Redacted.value(t.accessToken))).size).toBe(1)
      expect(yield* exchanges).toBe(1)
    }).pipe(Effect.provide(fakeFor())))

  it.effect("a sequential duplicate inside the code's lifetime gets the same token", () =>
    Effect.gen(function*() {
      const code = yield* newCode
      const first = yield* Sns.exchangeCode(code)
      yield* TestClock.adjust("4 minutes")
      const again = yield* Sns.exchangeCode(code)
      expect(Redacted.value(again.accessToken)).toBe(Redacted.value(first.accessToken))
      expect(again.openid).toBe(first.openid)
      expect(yield* exchanges).toBe(1)
    }).pipe(Effect.provide(fakeFor())))

  it.effect("the cached result lives no longer than the code (5 minutes)", () =>
    Effect.gen(function*() {
      const code = yield* newCode
      yield* Sns.exchangeCode(code)
      yield* TestClock.adjust("5 minutes")
      const error = yield* Effect.flip(Sns.exchangeCode(code))
      expect(["InvalidCode", "CodeAlreadyUsed"]).toContain(error._tag)
      expect(yield* exchanges).toBe(2)
    }).pipe(Effect.provide(fakeFor())))

  it.effect("a transient failure is not cached; the next call redeems the code", () =>
    Effect.gen(function*() {
      const code = yield* newCode
      const fake = yield* FakeWechat
      yield* fake.inject("sns/oauth2/access_token", { fault: "status", status: 502 })
      expect((yield* Effect.flip(Sns.exchangeCode(code)))._tag).toBe("WechatTransportError")
      const token = yield* Sns.exchangeCode(code)
      expect(token.scope).toEqual(["snsapi_userinfo"])
      expect(yield* exchanges).toBe(2)
    }).pipe(Effect.provide(fakeFor())))

  it.effect("InvalidCode and CodeAlreadyUsed are kept for 10 seconds", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 3; i++) expect((yield* Effect.flip(Sns.exchangeCode("forged-code")))._tag).toBe("InvalidCode")
      expect(yield* exchanges).toBe(1)
      yield* TestClock.adjust("10 seconds")
      expect((yield* Effect.flip(Sns.exchangeCode("forged-code")))._tag).toBe("InvalidCode")
      expect(yield* exchanges).toBe(2)
    }).pipe(Effect.provide(fakeFor())))

  it.effect("code2Session too", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "mini" })
      const code = yield* fake.miniProgramLogin({ appId: BOUND.appId, userId: user.id })
      const sessions = yield* Effect.all(Array.from({ length: 20 }, () => MiniProgram.code2Session(code)), { concurrency: "unbounded" })
      expect(new Set(sessions.map((s) => Redacted.value(s.sessionKey))).size).toBe(1)
      const later = yield* MiniProgram.code2Session(code)
      expect(Redacted.value(later.sessionKey)).toBe(Redacted.value(sessions[0]!.sessionKey))
      expect(yield* fake.callCount("sns/jscode2session")).toBe(1)
    }).pipe(Effect.provide(fakeFor())))
})
