/**
 * Where requests go when a WeChat API host stops answering (src/internal/hosts.ts,
 * docs/robustness.md "When a host stops answering"): a scripted client answers per host,
 * records which host each request went to, and `TestClock` drives the timeouts.
 */
import * as Compat from "#compat"
import { HttpClient, HttpClientResponse } from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Redacted } from "effect"
import { captureLogs, scopedLive, TestClock } from "#test-compat"
import { BasicToken, Sns, TokenStore, WechatConfig, WechatRetry } from "../src/index.js"
import { fixture } from "./helpers.js"
import { answeringServer, loopbackServer } from "./support/loopback.js"

const API = "api.weixin.qq.com"
const API2 = "api2.weixin.qq.com"
const token = fixture("cgi_bin_token.success.json")
type Answer = "hang" | "reset" | "refuse" | "503" | number

/**
 * A client that answers each request as `plan(host, n)` says: never, a reset after
 * sending, a refused connection, HTTP 503, or the token after that many ms.
 */
const scripted = (plan: (host: string, n: number) => Answer) => {
  const hosts: Array<string> = []
  const client = HttpClient.make((request) => {
    const host = new URL(request.url).host
    const answer = plan(host, hosts.length)
    hosts.push(host)
    if (answer === "hang") return Effect.never
    if (answer === "reset") return Effect.fail(Compat.transportError(request, Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })))
    if (answer === "refuse") return Effect.fail(Compat.transportError(request, Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })))
    if (answer === "503") return Effect.succeed(HttpClientResponse.fromWeb(request, new Response("busy", { status: 503 })))
    if (answer === 0) return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(token, { headers: { "content-type": "text/plain" } })))
    return Effect.as(Effect.sleep(answer), HttpClientResponse.fromWeb(request, new Response(token, { headers: { "content-type": "text/plain" } })))
  })
  return { hosts, layer: Layer.succeed(HttpClient.HttpClient, client) }
}

/** The Warnings logged where `layer` is provided, as text. */
const warnings = () => {
  const lines: Array<string> = []
  const layer = captureLogs(({ level, message }) => {
    if (level === "WARN") lines.push(String(Array.isArray(message) ? message.join(" ") : message))
  })
  return { lines, layer }
}

const API3 = "api3.example.com"
const app = { appId: "wx0000000000000001", appSecret: "s" }
const threeHosts = { ...app, fallbackApiBaseUrls: [`https://${API2}`, `https://${API3}`] }
/** `effect` on `client`, with `extra` (a logger, a retry policy) provided too. */
const run = <A, E, X>(
  effect: Effect.Effect<A, E, HttpClient.HttpClient | WechatConfig.WechatConfig>,
  client: Layer.Layer<HttpClient.HttpClient>,
  extra: Layer.Layer<X> = Layer.empty as Layer.Layer<never> as Layer.Layer<X>,
  options: WechatConfig.Options = app
) => Effect.provide(Effect.provide(effect, Layer.mergeAll(TokenStore.layerMemory, WechatConfig.layer(options), client)), extra)

/** Starts a call, moves the clock by `millis`, and returns how it ended. */
const callFor = (millis: number): Effect.Effect<Exit.Exit<unknown, unknown>, never, HttpClient.HttpClient | WechatConfig.WechatConfig> =>
  Effect.flatMap(Compat.fork(Effect.exit(BasicToken.fetch())), (call) => Effect.andThen(TestClock.adjust(millis), Fiber.join(call)))

/** The Warning of a switch to `to` (a base URL), for the reason `why`. */
const goesTo = (to: string, why: string) => `WeChat API: requests go to ${to} for the next 60 s (${why}; ${to} answered)`
const struck = (from: string) => `${from} failed 2 requests in a row: no answer in time, or the connection lost`
const SWITCHED = goesTo(`https://${API2}`, struck(`https://${API}`))

describe("a host that takes requests and never answers (a blackholed link)", () => {
  it.effect("two timeouts in a row at api: the next request probes api2, and once it answered requests go there", () =>
    Effect.gen(function*() {
      const logs = warnings()
      const c = scripted((host) => (host === API ? "hang" : 10))
      const exits = yield* run(
        Effect.gen(function*() {
          const out = [yield* callFor(5000), yield* callFor(5000)]
          for (let i = 0; i < 3; i++) out.push(yield* callFor(100))
          return out
        }),
        c.layer,
        logs.layer
      )
      // the two that timed out are never sent again, anywhere
      expect(exits.map(Exit.isSuccess)).toEqual([false, false, true, true, true])
      expect(c.hosts).toEqual([API, API, API2, API2, API2])
      expect(logs.lines).toEqual([SWITCHED])
    }))

  it.effect("one slow answer or one reset moves nothing", () =>
    Effect.gen(function*() {
      const logs = warnings()
      // api2 is dropped by the network: the traffic must never go there
      const c = scripted((host, n) => (host === API2 ? "hang" : n === 0 ? 6000 : n === 2 ? "reset" : 10))
      const exits = yield* run(
        Effect.gen(function*() {
          const out = [yield* callFor(5000), yield* callFor(100), yield* callFor(100)]
          for (let i = 0; i < 3; i++) out.push(yield* callFor(100))
          return out
        }),
        c.layer,
        logs.layer
      )
      expect(exits.map(Exit.isSuccess)).toEqual([false, true, false, true, true, true])
      expect(c.hosts).toEqual([API, API, API, API, API, API])
      expect(logs.lines).toEqual([])
    }))

  it.effect("a fallback the network drops never takes the traffic: its probe fails, and the next probe waits a minute", () =>
    Effect.gen(function*() {
      const logs = warnings()
      const c = scripted(() => "hang")
      yield* run(
        Effect.gen(function*() {
          for (let i = 0; i < 6; i++) yield* callFor(5000) // api, api, probe api2, api, api, api
          yield* TestClock.adjust("50 seconds")
          yield* callFor(5000) // the minute since the failed probe has passed: this failure (the 6th in a row) starts the next probe
          yield* callFor(5000)
        }),
        c.layer,
        logs.layer
      )
      expect(c.hosts).toEqual([API, API, API2, API, API, API, API, API2])
      expect(logs.lines).toEqual([])
    }))

  it.effect("a minute later one request probes api again; the others stay on api2 until it answered", () =>
    Effect.gen(function*() {
      const logs = warnings()
      // api is dead until 70 s, then answers in 1 s
      let apiBack = false
      const recovering = scripted((host) => (host === API2 ? 10 : apiBack ? 1000 : "hang"))
      const exits = yield* run(
        Effect.gen(function*() {
          yield* callFor(5000)
          yield* callFor(5000) // 10 s
          yield* callFor(100) // the probe: api2 answered at 10.1 s, requests go there until 70.1 s
          yield* TestClock.adjust("60 seconds") // 70.1 s
          apiBack = true
          const probe = yield* Compat.fork(Effect.exit(BasicToken.fetch())) // to api: answers at 71.1 s
          const others: Array<Fiber.Fiber<Exit.Exit<unknown, unknown>>> = []
          const out: Array<Exit.Exit<unknown, unknown>> = []
          for (let i = 0; i < 5; i++) {
            others.push(yield* Compat.fork(Effect.exit(BasicToken.fetch())))
            yield* TestClock.adjust("100 millis")
          }
          yield* TestClock.adjust("1 second")
          out.push(yield* Fiber.join(probe))
          for (const f of others) out.push(yield* Fiber.join(f))
          out.push(yield* callFor(1000)) // after the probe answered: api
          return out
        }),
        recovering.layer,
        logs.layer
      )
      expect(exits.every(Exit.isSuccess)).toBe(true)
      expect(recovering.hosts).toEqual([API, API, API2, API, API2, API2, API2, API2, API2, API])
      expect(logs.lines).toEqual([SWITCHED, `WeChat API: requests go to https://${API} again (it answered)`])
    }))

  it.effect("when the probe of api times out, requests stay on api2 another minute: one failed call a minute, not one per request", () =>
    Effect.gen(function*() {
      const c = scripted((host) => (host === API ? "hang" : 10))
      const failedAfterSwitch = yield* run(
        Effect.gen(function*() {
          yield* callFor(5000)
          yield* callFor(5000)
          yield* callFor(100) // on api2 from 10.1 s
          yield* TestClock.adjust("60 seconds")
          // 20 calls over the probe's timeout and beyond, 2.5 a second
          const calls: Array<Fiber.Fiber<Exit.Exit<unknown, unknown>>> = []
          for (let i = 0; i < 20; i++) {
            calls.push(yield* Compat.fork(Effect.exit(BasicToken.fetch())))
            yield* TestClock.adjust("400 millis")
          }
          yield* TestClock.adjust("5 seconds")
          let failed = 0
          for (const f of calls) if (Exit.isFailure(yield* Fiber.join(f))) failed++
          return failed
        }),
        c.layer
      )
      expect(failedAfterSwitch).toBe(1)
      expect(c.hosts.slice(3).filter((h) => h === API)).toHaveLength(1)
    }))

  it.effect("an api2 answer that arrives after the switch ended does not pin api2 again", () =>
    Effect.gen(function*() {
      let apiBack = false
      const c = scripted((host, n) => (host === API ? (apiBack ? 10 : "hang") : n === 3 ? 2000 : 10))
      yield* run(
        Effect.gen(function*() {
          yield* callFor(5000)
          yield* callFor(5000)
          yield* callFor(100) // on api2 from 10.1 s to 70.1 s
          yield* TestClock.adjust("59 seconds") // 69.1 s
          const slow = yield* Compat.fork(BasicToken.fetch()) // to api2, answers at 71.1 s
          yield* TestClock.adjust("1 second") // 70.1 s
          apiBack = true
          yield* callFor(100) // the probe: api answered, requests go back
          yield* TestClock.adjust("2 seconds")
          yield* Fiber.join(slow)
          yield* callFor(100)
        }),
        c.layer
      )
      expect(c.hosts).toEqual([API, API, API2, API2, API, API])
    }))

  it.effect("a retry policy's attempts follow the route: a call that met a dead api succeeds on api2", () =>
    Effect.gen(function*() {
      const c = scripted((host) => (host === API ? "hang" : 10))
      const exit = yield* run(
        Effect.gen(function*() {
          const call = yield* Compat.fork(Effect.exit(BasicToken.fetch()))
          // two attempts time out at api (each after 5 s, a backoff between); the third is the probe of api2
          for (const step of ["5 seconds", "1 second", "5 seconds", "1 second", "1 second"] as const) yield* TestClock.adjust(step)
          return yield* Fiber.join(call)
        }),
        c.layer,
        Layer.merge(WechatRetry.layer(WechatRetry.make({ maxRetries: 2, base: "100 millis" })), Layer.empty)
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(c.hosts).toEqual([API, API, API2])
    }))

  it.effect("a code exchange that timed out is never sent again, to any host", () =>
    Effect.gen(function*() {
      const c = scripted((host) => (host === API ? "hang" : 10))
      const errors = yield* run(
        Effect.gen(function*() {
          const out = []
          for (let i = 0; i < 2; i++) {
            const exchange = yield* Compat.fork(Effect.flip(Sns.exchangeCode(`CODE${i}`, { binding: "session" })))
            yield* TestClock.adjust("5 seconds")
            out.push(yield* Fiber.join(exchange))
          }
          return out
        }),
        c.layer,
        WechatRetry.layer(WechatRetry.policy)
      )
      expect(errors.map((e) => e._tag === "WechatTransportError" && [e.reason, e.action])).toEqual([["timeout", "reauthorize"], ["timeout", "reauthorize"]])
      expect(c.hosts).toEqual([API, API])
    }))

  it.effect("an errcode or an HTTP status moves nothing: the host answered", () =>
    Effect.gen(function*() {
      const answers = [fixture("cgi_bin_token.err_40164.json"), "busy", fixture("cgi_bin_token.err_40164.json"), "busy", token]
      const hosts: Array<string> = []
      const client = HttpClient.make((request) => {
        hosts.push(new URL(request.url).host)
        const body = answers[hosts.length - 1]!
        return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(body, { status: body === "busy" ? 503 : 200 })))
      })
      for (let i = 0; i < 4; i++) yield* run(Effect.flip(BasicToken.fetch()), Layer.succeed(HttpClient.HttpClient, client))
      yield* run(BasicToken.fetch(), Layer.succeed(HttpClient.HttpClient, client))
      expect(hosts).toEqual([API, API, API, API, API])
    }))

  it.effect("a probe answered with an HTTP error failed: the next probe waits a minute", () =>
    Effect.gen(function*() {
      let api2Calls = 0
      const c = scripted((host) => (host === API ? "hang" : api2Calls++ === 0 ? "503" : 10))
      yield* run(
        Effect.gen(function*() {
          yield* callFor(5000)
          yield* callFor(5000) // two failures in a row: the next request is the probe
          yield* callFor(100) // HTTP 503 from api2, at 10 s: no probe before 70 s
          for (let i = 0; i < 11; i++) yield* callFor(5000) // failures until 65.1 s call no probe
          yield* callFor(5000) // this one fails at 70.1 s: the next request is the probe
          yield* callFor(100)
        }),
        c.layer
      )
      expect(c.hosts).toEqual([API, API, API2, ...Array<string>(12).fill(API), API2])
    }))

  it.effect("an interrupted probe hands its turn to the next request", () =>
    Effect.gen(function*() {
      const c = scripted((host) => (host === API ? "hang" : 1000))
      const exit = yield* run(
        Effect.gen(function*() {
          yield* callFor(5000)
          yield* callFor(5000)
          const probe = yield* Compat.fork(BasicToken.fetch())
          yield* TestClock.adjust("10 millis")
          yield* Fiber.interrupt(probe)
          return yield* callFor(1000)
        }),
        c.layer
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(c.hosts).toEqual([API, API, API2, API2])
    }))

  describe("more than two hosts", () => {
    it.effect("api and api2 blackholed, api3 answers: the probes take turns until api3 takes the traffic", () =>
      Effect.gen(function*() {
        const logs = warnings()
        const c = scripted((host) => (host === API3 ? 10 : "hang"))
        yield* run(
          Effect.gen(function*() {
            for (let i = 0; i < 5; i++) yield* callFor(5000) // api, api, probe api2, api, api
            yield* callFor(100) // probe api3
            yield* callFor(100)
          }),
          c.layer,
          logs.layer,
          threeHosts
        )
        expect(c.hosts).toEqual([API, API, API2, API, API, API3, API3])
        expect(logs.lines).toEqual([
          goesTo(`https://${API3}`, struck(`https://${API}`))
        ])
      }))

    it.effect("when a fallback in use fails in turn, the first host is probed first", () =>
      Effect.gen(function*() {
        let api2Dead = false
        const c = scripted((host) => (host === API ? (api2Dead ? 0 : "refuse") : host === API2 ? (api2Dead ? "hang" : 0) : "hang"))
        yield* run(
          Effect.gen(function*() {
            yield* BasicToken.fetch() // api refused, api2 answered: requests go to api2
            api2Dead = true
            yield* callFor(5000)
            yield* callFor(5000)
            yield* callFor(100) // the probe: api
            yield* callFor(100)
          }),
          c.layer,
          Layer.empty,
          threeHosts
        )
        expect(c.hosts).toEqual([API, API2, API2, API2, API, API])
      }))

    it.effect("a probe that finds its host unreachable goes on at the host in use, which keeps the traffic", () =>
      Effect.gen(function*() {
        const logs = warnings()
        let api2Back = false
        const c = scripted((host) => (host === API ? "refuse" : host === API2 ? (api2Back ? 10 : "refuse") : 10))
        yield* run(
          Effect.gen(function*() {
            yield* callFor(100) // api and api2 refuse, api3 answers: requests go to api3
            yield* TestClock.adjust("60 seconds")
            api2Back = true
            yield* callFor(100) // the minute's probe of api: refused, the request goes on at api3
            yield* callFor(100)
          }),
          c.layer,
          logs.layer,
          threeHosts
        )
        expect(c.hosts).toEqual([API, API2, API3, API, API3, API3])
        expect(logs.lines).toEqual([
          goesTo(`https://${API3}`, `https://${API}, https://${API2} could not be reached`)
        ])
      }))
  })

  describe("reports from requests picked before a switch are no evidence", () => {
    it.effect("a probe answer that arrives after traffic moved elsewhere moves nothing", () =>
      Effect.gen(function*() {
        const logs = warnings()
        // api: two timeouts, then refused; api2: the probe answers in 3 s, others are refused; api3 answers
        const c = scripted((host, n) => host === API ? (n < 2 ? "hang" : "refuse") : host === API2 ? (n === 2 ? 3000 : "refuse") : 10)
        yield* run(
          Effect.gen(function*() {
            yield* callFor(5000)
            yield* callFor(5000)
            const probe = yield* Compat.fork(Effect.exit(BasicToken.fetch())) // the probe of api2
            yield* TestClock.adjust("100 millis")
            yield* callFor(100) // api and api2 refused, api3 answered: requests go to api3
            yield* TestClock.adjust("3 seconds")
            yield* Fiber.join(probe)
            yield* callFor(100)
          }),
          c.layer,
          logs.layer,
          threeHosts
        )
        expect(c.hosts).toEqual([API, API, API2, API, API2, API3, API3])
        expect(logs.lines).toEqual([
          goesTo(`https://${API3}`, `https://${API}, https://${API2} could not be reached`)
        ])
      }))

    it.effect("a probe interrupted after traffic moved elsewhere calls no probe", () =>
      Effect.gen(function*() {
        const c = scripted((host, n) => host === API ? (n < 2 ? "hang" : "refuse") : host === API2 ? (n === 2 ? "hang" : "refuse") : 10)
        yield* run(
          Effect.gen(function*() {
            yield* callFor(5000)
            yield* callFor(5000)
            const probe = yield* Compat.fork(BasicToken.fetch()) // the probe of api2
            yield* TestClock.adjust("100 millis")
            yield* callFor(100) // requests go to api3
            yield* Fiber.interrupt(probe)
            yield* callFor(100) // nothing failed at api3: no probe
          }),
          c.layer,
          Layer.empty,
          threeHosts
        )
        expect(c.hosts).toEqual([API, API, API2, API, API2, API3, API3])
      }))

    it.effect("timeouts of requests sent before the switch back to api do not count against it", () =>
      Effect.gen(function*() {
        const logs = warnings()
        let apiBack = false
        const c = scripted((host) => host === API ? (apiBack ? 10 : "hang") : 10)
        const start = () => Compat.fork(Effect.exit(BasicToken.fetch()))
        yield* run(
          Effect.gen(function*() {
            const early = [yield* start()]
            yield* TestClock.adjust("100 millis")
            early.push(yield* start())
            yield* TestClock.adjust("100 seconds")
            const late = [yield* start()]
            yield* TestClock.adjust("100 millis")
            late.push(yield* start()) // these two time out at 220.1 s and 220.2 s
            yield* TestClock.adjust("20 seconds") // the first two timed out
            for (const f of early) yield* Fiber.join(f)
            yield* callFor(100) // the probe of api2 answered: requests go to api2
            yield* TestClock.adjust("60 seconds")
            apiBack = true
            yield* callFor(100) // the minute's probe of api answered: back to api
            yield* TestClock.adjust("40 seconds") // the two late ones time out now
            for (const f of late) yield* Fiber.join(f)
            yield* callFor(100)
            yield* callFor(100)
          }),
          c.layer,
          logs.layer,
          { ...app, timeout: "2 minutes" }
        )
        expect(c.hosts).toEqual([API, API, API, API, API2, API, API, API])
        expect(logs.lines).toHaveLength(2)
      }))
  })

  describe("a configuration shared by tests (each with its own TestClock)", () => {
    const shared = Layer.succeed(WechatConfig.WechatConfig, Effect.runSync(WechatConfig.make(app)))
    it.effect("test A: two timeouts, then requests on api2", () =>
      Effect.gen(function*() {
        const c = scripted((host) => (host === API ? "hang" : 10))
        yield* Effect.gen(function*() {
          yield* callFor(5000)
          yield* callFor(5000)
          yield* callFor(100)
        }).pipe(Effect.provide(Layer.mergeAll(c.layer, TokenStore.layerMemory, shared)))
        expect(c.hosts).toEqual([API, API, API2])
      }))
    it.effect("test B: api unreachable, a switch with no time passed", () =>
      Effect.gen(function*() {
        const c = scripted((host) => (host === API ? "refuse" : 0))
        yield* BasicToken.fetch().pipe(Effect.provide(Layer.mergeAll(c.layer, TokenStore.layerMemory, shared)))
        expect(c.hosts).toEqual([API, API2])
      }))
    it.effect("test C, whose clock starts again at 0, starts at api", () =>
      Effect.gen(function*() {
        const c = scripted(() => 10)
        yield* callFor(100).pipe(Effect.provide(Layer.mergeAll(c.layer, TokenStore.layerMemory, shared)))
        expect(c.hosts).toEqual([API])
      }))
    it.effect("test D: one timeout at api", () =>
      Effect.gen(function*() {
        const c = scripted(() => "hang")
        yield* callFor(5000).pipe(Effect.provide(Layer.mergeAll(c.layer, TokenStore.layerMemory, shared)))
        expect(c.hosts).toEqual([API])
      }))
    it.effect("test E: one reset at api moves nothing (test D's failure is not counted)", () =>
      Effect.gen(function*() {
        const c = scripted((_, n) => (n === 0 ? "reset" : 0))
        yield* Effect.gen(function*() {
          yield* Effect.exit(BasicToken.fetch())
          yield* BasicToken.fetch()
        }).pipe(Effect.provide(Layer.mergeAll(c.layer, TokenStore.layerMemory, shared)))
        expect(c.hosts).toEqual([API, API])
      }))
  })

  scopedLive("on a real connection: a stalled host, then requests go to the fallback", () =>
    Effect.gen(function*() {
      const logs = warnings()
      const stalled = yield* loopbackServer(() => {})
      const fallback = yield* answeringServer(token)
      yield* Effect.gen(function*() {
        for (let i = 0; i < 2; i++) {
          const error = yield* Effect.flip(Sns.exchangeCode(`CODE${i}`, { binding: "session" }))
          expect(error._tag === "WechatTransportError" && error.reason).toBe("timeout")
        }
        expect(fallback.hits).toHaveLength(0)
        expect(Redacted.value((yield* BasicToken.fetch()).accessToken)).toBe("ACCESS_TOKEN")
        yield* BasicToken.fetch()
      }).pipe(Effect.provide(Layer.mergeAll(
        Compat.FetchHttpClient.layer,
        TokenStore.layerMemory,
        logs.layer,
        WechatConfig.layer({ ...app, apiBaseUrl: stalled.url, fallbackApiBaseUrls: [fallback.url], timeout: "300 millis" })
      )))
      expect(stalled.hits.map((h) => h.split("?")[0])).toEqual(["/sns/oauth2/access_token", "/sns/oauth2/access_token"])
      expect(fallback.hits.map((h) => h.split("?")[0])).toEqual(["/cgi-bin/token", "/cgi-bin/token"])
      expect(logs.lines).toEqual([
        goesTo(fallback.url, struck(stalled.url))
      ])
    }))
})
