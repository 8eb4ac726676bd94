import * as Compat from "#compat"
import { HttpClient, HttpClientResponse } from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Layer, Schedule } from "effect"
import { advanceUntil, pollUnsafe, TestClock } from "#test-compat"
import { BasicToken, Sns, TokenStore, WechatConfig, WechatRetry } from "../src/index.js"
import { failureOf, isFailure, isSuccess } from "./support/result.js"

type Answer = string | "refuse"

/** A client answering a script of bodies in order, recording when each request came. */
const scripted = (answers: ReadonlyArray<Answer>) => {
  const times: Array<number> = []
  const client = HttpClient.make((request) =>
    Effect.gen(function*() {
      times.push(yield* Clock.currentTimeMillis)
      const answer = answers[Math.min(times.length - 1, answers.length - 1)]!
      if (answer === "refuse") {
        return yield* Effect.fail(Compat.transportError(request, Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })))
      }
      return HttpClientResponse.fromWeb(request, new Response(answer, { headers: { "content-type": "text/plain" } }))
    })
  )
  return { times, layer: Layer.succeed(HttpClient.HttpClient, client) }
}

const BUSY = `{"errcode":-1,"errmsg":"system error"}`
const PROFILE = `{"openid":"O","nickname":"N","sex":0,"province":"","city":"","country":"","headimgurl":"","privilege":[]}`
const TOKEN = `{"access_token":"AT","expires_in":7200,"refresh_token":"RT","openid":"O","scope":"snsapi_base"}`
const err = (code: number, msg: string) => JSON.stringify({ errcode: code, errmsg: `${msg} rid: 0a1b2c3d-0a1b2c3d-0a1b2c3d` })

/** Advances the test clock to each pending sleep until the fiber is done. */
const runClock = <A, E>(fiber: Compat.RuntimeFiber<A, E>) => advanceUntil(() => pollUnsafe(fiber) !== null)

/** Runs `effect` with the policy under the test clock. */
const drive = <A, E>(effect: Effect.Effect<A, E, HttpClient.HttpClient | WechatConfig.WechatConfig>, answers: ReadonlyArray<Answer>, policy = WechatRetry.policy, startAt = 0) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(startAt)
    const script = scripted(answers)
    const fiber = yield* effect.pipe(
      Effect.provide(Layer.mergeAll(script.layer, WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s3cret" }), TokenStore.layerMemory, WechatRetry.layer(policy))),
      Compat.result,
      Compat.fork
    )
    yield* runClock(fiber)
    const result = yield* Fiber.join(fiber)
    return { result, gaps: script.times.slice(1).map((t, i) => t - script.times[i]!), times: script.times.map((t) => t - startAt) }
  })

const userInfo = Sns.userInfo({ accessToken: "AT", openid: "O" })

describe("WechatRetry.policy", () => {
  it.effect("SystemBusy: exponential backoff from 200 ms with ±20% jitter", () =>
    Effect.gen(function*() {
      const { gaps, result } = yield* drive(userInfo, [BUSY, BUSY, BUSY, PROFILE])
      expect(isSuccess(result)).toBe(true)
      expect(gaps).toHaveLength(3)
      const bases = [200, 400, 800]
      gaps.forEach((gap, i) => {
        expect(gap).toBeGreaterThanOrEqual(bases[i]! * 0.8)
        expect(gap).toBeLessThanOrEqual(bases[i]! * 1.2)
      })
    }))

  it.effect("gives up after 4 retries with the typed error", () =>
    Effect.gen(function*() {
      const { gaps, result } = yield* drive(userInfo, [BUSY])
      expect(gaps).toHaveLength(4)
      expect(failureOf(result)?._tag).toBe("SystemBusy")
    }))

  it.effect("bounded total time: no retry starts after maxElapsed", () =>
    Effect.gen(function*() {
      const { gaps, result } = yield* drive(userInfo, [BUSY], WechatRetry.make({ base: "1 second", maxRetries: 10, maxElapsed: "5 seconds" }))
      expect(isFailure(result)).toBe(true)
      expect(gaps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(5000 + 4000 * 1.2 + 20)
      expect(gaps.length).toBeLessThan(10)
    }))

  it.effect("a 5xx or a refused connection is retried", () =>
    Effect.gen(function*() {
      const refused = yield* drive(BasicToken.fetch(), ["refuse", "refuse", `{"access_token":"T","expires_in":7200}`])
      expect(isSuccess(refused.result)).toBe(true)
      expect(refused.times).toHaveLength(3)
    }))

  it.effect("the minute quota waits for the next minute, once", () =>
    Effect.gen(function*() {
      const ok = yield* drive(userInfo, [err(45011, "api minute-quota reach limit"), PROFILE], WechatRetry.policy, 45_000)
      expect(isSuccess(ok.result)).toBe(true)
      expect(ok.times[0]).toBe(0)
      expect(ok.times[1]).toBeGreaterThanOrEqual(15_000)
      expect(ok.times[1]).toBeLessThan(15_500)
      const twice = yield* drive(userInfo, [err(45011, "api minute-quota reach limit")], WechatRetry.policy, 45_000)
      expect(twice.times).toHaveLength(2)
      expect(failureOf(twice.result)?._tag).toBe("RateLimited")
    }))

  for (const [name, body, tag] of [
    ["daily quota", err(45009, "reach max api daily quota limit"), "RateLimited"],
    ["bad secret", err(40125, "invalid appsecret"), "AppMisconfigured"],
    ["stale token", err(40001, "invalid credential"), "AccessTokenInvalid"],
    ["base scope", err(48001, "api unauthorized"), "ApiUnauthorized"],
    ["unreadable body", "", "WechatDecodeError"]
  ] as const) {
    it.effect(`never retries: ${name}`, () =>
      Effect.gen(function*() {
        const { result, times } = yield* drive(userInfo, [body, PROFILE])
        expect(times).toHaveLength(1)
        expect(failureOf(result)?._tag).toBe(tag)
      }))
  }

  it.effect("exchangeCode is never re-sent once it may have reached WeChat", () =>
    Effect.gen(function*() {
      for (const answer of [BUSY, err(45011, "api minute-quota reach limit")]) {
        const { result, times } = yield* drive(Sns.exchangeCode("C0DE-1"), [answer, TOKEN])
        expect(times).toHaveLength(1)
        expect(isFailure(result)).toBe(true)
      }
      // a refused connection never reached WeChat: safe to repeat
      const refused = yield* drive(Sns.exchangeCode("C0DE-2"), ["refuse", TOKEN])
      expect(refused.times).toHaveLength(2)
      expect(isSuccess(refused.result)).toBe(true)
    }))

  it.effect("a schedule of the app's own that retries everything still never re-sends a code", () =>
    Effect.gen(function*() {
      const everything = Schedule.recurs(3)
      for (const answer of [BUSY, err(45011, "api minute-quota reach limit")]) {
        const { result, times } = yield* drive(Sns.exchangeCode("C0DE-4"), [answer, TOKEN], everything)
        expect(times).toHaveLength(1)
        expect(isFailure(result)).toBe(true)
      }
      // a refused connection never reached WeChat: repeated by that schedule
      const refused = yield* drive(Sns.exchangeCode("C0DE-5"), ["refuse", TOKEN], everything)
      expect(refused.times).toHaveLength(2)
      expect(isSuccess(refused.result)).toBe(true)
      // any other endpoint follows the app's schedule
      expect((yield* drive(userInfo, [BUSY, BUSY, PROFILE], everything)).times).toHaveLength(3)
    }))

  it.effect("a timeout on exchangeCode is not retried; on userInfo it is", () =>
    Effect.gen(function*() {
      let calls = 0
      const counting = HttpClient.make(() => {
        calls++
        return Effect.never
      })
      const run = (effect: Effect.Effect<unknown, unknown, HttpClient.HttpClient | WechatConfig.WechatConfig>) =>
        Effect.gen(function*() {
          calls = 0
          const fiber = yield* effect.pipe(
            Effect.provide(Layer.mergeAll(Layer.succeed(HttpClient.HttpClient, counting), WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s3cret", timeout: "1 second" }), TokenStore.layerMemory, WechatRetry.layer(WechatRetry.policy))),
            Compat.result,
            Compat.fork
          )
          yield* runClock(fiber)
          yield* Fiber.join(fiber)
          return calls
        })
      expect(yield* run(Sns.exchangeCode("C0DE-3"))).toBe(1)
      expect(yield* run(userInfo)).toBe(5)
    }))

  it.effect("maxElapsed is a strict bound: 0 means no retry, on both editions", () =>
    Effect.gen(function*() {
      expect((yield* drive(userInfo, [BUSY, PROFILE], WechatRetry.make({ maxElapsed: 0 }))).times).toHaveLength(1)
      expect((yield* drive(userInfo, [BUSY, PROFILE], WechatRetry.make({ maxElapsed: "1 minute" }))).times).toHaveLength(2)
    }))

  it.effect("the default is no retry", () =>
    Effect.gen(function*() {
      const script = scripted([BUSY, PROFILE])
      const result = yield* Compat.result(userInfo.pipe(Effect.provide(Layer.merge(script.layer, WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s3cret" })))))
      expect(failureOf(result)?._tag).toBe("SystemBusy")
      expect(script.times).toHaveLength(1)
    }))

  it("schedules compose with users' own", () => {
    const composed = Compat.both(WechatRetry.transient, Schedule.recurs(1))
    expect(Schedule.isSchedule(composed)).toBe(true)
  })
})
