/**
 * exchangeCode / code2Session are idempotent per code for the same binding only: WeChat
 * delivers callbacks twice, but a replayed callback URL must log no one in.
 */
import * as Compat from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { TestClock } from "#test-compat"
import { MiniProgram, Sns, TokenStore, WechatConfig } from "../src/index.js"
import { FakeWechat } from "../src/testing/index.js"
import { BOUND, fakeFor } from "./testing/fakeSetup.js"
import { failureOf, isSuccess } from "./support/result.js"

const newCode = Effect.gen(function*() {
  const fake = yield* FakeWechat
  const user = yield* fake.addUser({ nickname: "dup" })
  return yield* fake.authorize({ appId: BOUND.appId, userId: user.id, scope: "snsapi_userinfo" })
})
const exchanges = Effect.flatMap(FakeWechat, (f) => f.callCount("sns/oauth2/access_token"))
const session = { binding: "session-A-0123456789" }
const other = { binding: "session-B-9876543210" }

describe("idempotent code exchange, bound to the caller", () => {
  it.effect("concurrent duplicates with the same binding make one request and all get the same token", () =>
    Effect.gen(function*() {
      const code = yield* newCode
      const tokens = yield* Effect.all(Array.from({ length: 50 }, () => Sns.exchangeCode(code, session)), { concurrency: "unbounded" })
      expect(new Set(tokens.map((t) => Redacted.value(t.accessToken))).size).toBe(1)
      expect(yield* exchanges).toBe(1)
    }).pipe(Effect.provide(fakeFor())))

  it.effect("the same binding twice gets the same token within the duplicate window; one upstream call", () =>
    Effect.gen(function*() {
      const code = yield* newCode
      const first = yield* Sns.exchangeCode(code, session)
      yield* TestClock.adjust("59 seconds")
      const again = yield* Sns.exchangeCode(code, session)
      expect(Redacted.value(again.accessToken)).toBe(Redacted.value(first.accessToken))
      expect(again.openid).toBe(first.openid)
      expect(yield* exchanges).toBe(1)
    }).pipe(Effect.provide(fakeFor())))

  it.effect("another binding, or none, gets CodeAlreadyUsed without a call to WeChat", () =>
    Effect.gen(function*() {
      const code = yield* newCode
      yield* Sns.exchangeCode(code, session)
      const replayed = yield* Effect.flip(Sns.exchangeCode(code, other))
      expect([replayed._tag, replayed._tag === "CodeAlreadyUsed" && replayed.action]).toEqual(["CodeAlreadyUsed", "reauthorize"])
      const unbound = yield* Effect.flip(Sns.exchangeCode(code))
      expect(unbound._tag).toBe("CodeAlreadyUsed")
      expect(yield* exchanges).toBe(1)
    }).pipe(Effect.provide(fakeFor())))

  it.effect("concurrent callers with different bindings: one request, only the first binding gets the token", () =>
    Effect.gen(function*() {
      const code = yield* newCode
      const [a, b] = yield* Effect.all([Compat.result(Sns.exchangeCode(code, session)), Compat.result(Sns.exchangeCode(code, other))], {
        concurrency: "unbounded"
      })
      expect(isSuccess(a)).toBe(true)
      expect(failureOf(b)?._tag).toBe("CodeAlreadyUsed")
      expect(yield* exchanges).toBe(1)
    }).pipe(Effect.provide(fakeFor())))

  it.effect("a caller without a binding gets its own token once; every duplicate gets CodeAlreadyUsed", () =>
    Effect.gen(function*() {
      const code = yield* newCode
      const token = yield* Sns.exchangeCode(code)
      expect(token.openid.length).toBeGreaterThan(0)
      expect((yield* Effect.flip(Sns.exchangeCode(code)))._tag).toBe("CodeAlreadyUsed")
      expect((yield* Effect.flip(Sns.exchangeCode(code, session)))._tag).toBe("CodeAlreadyUsed")
      expect(yield* exchanges).toBe(1)
    }).pipe(Effect.provide(fakeFor())))

  it.effect("after the duplicate window (60 s) even the same binding gets CodeAlreadyUsed, from WeChat", () =>
    Effect.gen(function*() {
      const code = yield* newCode
      yield* Sns.exchangeCode(code, session)
      yield* TestClock.adjust("60 seconds")
      const error = yield* Effect.flip(Sns.exchangeCode(code, session))
      expect(error._tag).toBe("CodeAlreadyUsed")
      expect(yield* exchanges).toBe(2)
    }).pipe(Effect.provide(fakeFor())))

  it.effect("the window is configurable (WechatConfig.duplicateWindow)", () =>
    Effect.gen(function*() {
      const code = yield* newCode
      yield* Sns.exchangeCode(code, session)
      yield* TestClock.adjust("9 seconds")
      yield* Sns.exchangeCode(code, session)
      yield* TestClock.adjust("1 second")
      expect((yield* Effect.flip(Sns.exchangeCode(code, session)))._tag).toBe("CodeAlreadyUsed")
      expect(yield* exchanges).toBe(2)
    }).pipe(Effect.provide(Layer.mergeAll(
      FakeWechat.layer({ apps: [BOUND] }),
      WechatConfig.layer({ appId: BOUND.appId, appSecret: BOUND.appSecret, duplicateWindow: "10 seconds" }),
      TokenStore.layerMemory
    ))))

  it.effect("a transient failure is not cached; the next call redeems the code", () =>
    Effect.gen(function*() {
      const code = yield* newCode
      const fake = yield* FakeWechat
      yield* fake.inject("sns/oauth2/access_token", { fault: "status", status: 502 })
      const failed = yield* Effect.flip(Sns.exchangeCode(code, session))
      // the request reached WeChat's side: the code may be spent, so the action is to consent again
      expect(failed._tag === "WechatTransportError" && [failed.sent, failed.action]).toEqual([true, "reauthorize"])
      const token = yield* Sns.exchangeCode(code, session)
      expect(token.scope).toEqual(["snsapi_userinfo"])
      expect(yield* exchanges).toBe(2)
    }).pipe(Effect.provide(fakeFor())))

  it.effect("InvalidCode and CodeAlreadyUsed are kept for 10 seconds", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 3; i++) expect((yield* Effect.flip(Sns.exchangeCode("forged-code", session)))._tag).toBe("InvalidCode")
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
      const sessions = yield* Effect.all(Array.from({ length: 20 }, () => MiniProgram.code2Session(code, session)), { concurrency: "unbounded" })
      expect(new Set(sessions.map((s) => Redacted.value(s.sessionKey))).size).toBe(1)
      const later = yield* MiniProgram.code2Session(code, session)
      expect(Redacted.value(later.sessionKey)).toBe(Redacted.value(sessions[0]!.sessionKey))
      expect((yield* Effect.flip(MiniProgram.code2Session(code, other)))._tag).toBe("CodeAlreadyUsed")
      expect((yield* Effect.flip(MiniProgram.code2Session(code)))._tag).toBe("CodeAlreadyUsed")
      expect(yield* fake.callCount("sns/jscode2session")).toBe(1)
    }).pipe(Effect.provide(fakeFor())))

  it.effect("an empty binding is refused before anything is sent", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Sns.exchangeCode("some-code", { binding: " " }))
      expect(error._tag === "InvalidArgument" && error.argument).toBe("binding")
      expect(yield* exchanges).toBe(0)
    }).pipe(Effect.provide(fakeFor())))
})
