import * as Compat from "#compat"
import { FetchHttpClient, type HttpClient } from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Redacted } from "effect"
import { captureLogs, NodeHttpClient, pollUnsafe, scoped, TestClock } from "#test-compat"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { BasicToken, Sns, TokenStore, WechatConfig } from "../src/index.js"
import { FakeWechat, Replay } from "../src/testing/index.js"
import { fixture } from "./helpers.js"
import { answeringServer } from "./support/loopback.js"

/** A loopback port with nothing listening: connecting is refused. */
const refusedPort = Compat.callback<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as AddressInfo).port
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** The Warnings logged where `layer` is provided, as text. */
const warnings = () => {
  const lines: Array<string> = []
  const layer = captureLogs(({ level, message }) => {
    if (level === "WARN") lines.push(String(Array.isArray(message) ? message.join(" ") : message))
  })
  return { lines, layer }
}

describe("failover", () => {
  scoped("a refused connection moves on to the next base URL", () =>
    Effect.gen(function*() {
      const port = yield* refusedPort
      const fallback = yield* answeringServer(fixture("cgi_bin_token.success.json"))
      const token = yield* BasicToken.fetch().pipe(
        Effect.provide(Layer.mergeAll(
          FetchHttpClient.layer,
          TokenStore.layerMemory,
          WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s", apiBaseUrl: `http://127.0.0.1:${port}`, fallbackApiBaseUrls: [fallback.url] })
        ))
      )
      expect(Redacted.value(token.accessToken)).toBe("ACCESS_TOKEN")
      expect(fallback.hits).toHaveLength(1)
      expect(fallback.hits[0]).toMatch(/^\/cgi-bin\/token\?/)
    }))

  scoped("once a fallback answered for a host that refused, the next requests start at the fallback (with one Warning)", () =>
    Effect.gen(function*() {
      const logs = warnings()
      const port = yield* refusedPort
      const fallback = yield* answeringServer(fixture("cgi_bin_token.success.json"))
      yield* Effect.gen(function*() {
        yield* BasicToken.fetch()
        yield* BasicToken.fetch()
      }).pipe(Effect.provide(Layer.mergeAll(
        FetchHttpClient.layer,
        TokenStore.layerMemory,
        logs.layer,
        WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s", apiBaseUrl: `http://127.0.0.1:${port}`, fallbackApiBaseUrls: [fallback.url] })
      )))
      expect(fallback.hits).toHaveLength(2)
      expect(logs.lines).toEqual([`WeChat API: requests go to ${fallback.url} for the next 60 s (http://127.0.0.1:${port} could not be reached; ${fallback.url} answered)`])
    }))

  scoped("an errcode answer never fails over", () =>
    Effect.gen(function*() {
      const primary = yield* answeringServer(fixture("sns_oauth2_access_token.err_40163.json"))
      const fallback = yield* answeringServer(fixture("sns_oauth2_access_token.success.json"))
      const error = yield* Sns.exchangeCode("C").pipe(
        Effect.provide(Layer.mergeAll(
          FetchHttpClient.layer,
          TokenStore.layerMemory,
          WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s", apiBaseUrl: primary.url, fallbackApiBaseUrls: [fallback.url] })
        )),
        Effect.flip
      )
      expect(error._tag).toBe("CodeAlreadyUsed")
      expect(primary.hits).toHaveLength(1)
      expect(fallback.hits).toHaveLength(0)
    }))

  scoped("when every host refuses, the error says nothing was sent", () =>
    Effect.gen(function*() {
      const a = yield* refusedPort
      const b = yield* refusedPort
      const error = yield* Sns.exchangeCode("C").pipe(
        Effect.provide(Layer.mergeAll(
          FetchHttpClient.layer,
          TokenStore.layerMemory,
          WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s", apiBaseUrl: `http://127.0.0.1:${a}`, fallbackApiBaseUrls: [`http://127.0.0.1:${b}`] })
        )),
        Effect.flip
      )
      expect(error._tag).toBe("WechatTransportError")
      if (error._tag !== "WechatTransportError") return
      expect(error.reason).toBe("network")
      expect(error.sent).toBe(false)
      expect(error.action).toBe("retry")
      expect(error.detail).toContain("ECONNREFUSED")
    }))
})

describe("timeout", () => {
  it.effect("a request with no answer fails with a timeout after the configured duration", () =>
    Effect.gen(function*() {
      const fiber = yield* BasicToken.fetch().pipe(
        Effect.provide(Layer.mergeAll(
          TokenStore.layerMemory,
          Replay.layer({ interactions: [{ request: { path: "cgi-bin/token" }, response: { body: "{}", delayMillis: 60_000 } }] }),
          WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s", timeout: "3 seconds" })
        )),
        Effect.flip,
        Compat.fork
      )
      yield* TestClock.adjust("2999 millis")
      expect(pollUnsafe(fiber)).toBeNull()
      yield* TestClock.adjust("1 millis")
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("WechatTransportError")
      if (error._tag !== "WechatTransportError") return
      expect([error.reason, error.sent, error.action]).toEqual(["timeout", true, "retry"])
      expect(error.message).toContain("3s")
    }))

  it.effect("a timeout does not fail over (the request may have reached WeChat)", () =>
    Effect.gen(function*() {
      const fiber = yield* Sns.exchangeCode("C").pipe(
        Effect.provide(Layer.mergeAll(
          TokenStore.layerMemory,
          Replay.layer({ interactions: [{ request: { path: "sns/oauth2/access_token" }, response: { body: fixture("sns_oauth2_access_token.success.json"), delayMillis: 10_000 } }] }),
          WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s" })
        )),
        Effect.flip,
        Compat.fork
      )
      yield* TestClock.adjust("5 seconds")
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("WechatTransportError")
    }))
})

describe("the per-request deadline on the live clock", () => {
  /**
   * A server that never finishes its answer (`stall`: no headers; `body`: headers and half
   * the body), and tells when the client's connection is gone.
   */
  const stallingServer = (mode: "stall" | "body" = "stall") =>
    Effect.acquireRelease(
      Compat.callback<{ readonly url: string; readonly closed: Promise<number>; readonly close: () => void }>((resume) => {
        let onClosed: (at: number) => void = () => {}
        const closed = new Promise<number>((r) => (onClosed = r))
        const server = createServer((req, res) => {
          req.socket.once("close", () => onClosed(Date.now()))
          if (mode === "body") {
            res.writeHead(200, { "content-type": "application/json", "content-length": "64" })
            res.write(`{"access_token":"`)
          }
        })
        server.listen(0, "127.0.0.1", () =>
          resume(Effect.succeed({
            url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
            closed,
            close: () => {
              server.closeAllConnections()
              server.close()
            }
          })))
      }),
      (s) => Effect.sync(s.close)
    )
  // the deadline ends a request through the signal its client gave it: every client of the
  // edition must honor it
  const clients = [
    ["FetchHttpClient.layer", FetchHttpClient.layer],
    ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici],
    ["NodeHttpClient.layer (node:http)", NodeHttpClient.layerNodeHttp]
  ] as const
  const live = (client: Layer.Layer<HttpClient.HttpClient>, url: string, timeout: Compat.DurationInput) =>
    Layer.mergeAll(client, TokenStore.layerMemory, WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s", apiBaseUrl: url, timeout }))

  for (const [name, client] of clients) {
    for (const mode of ["stall", "body"] as const) {
      it.live(`${name}, ${mode === "stall" ? "no answer" : "half a body"}: a timeout ends the request, the connection is closed, the error is typed`, () =>
        Effect.gen(function*() {
          const server = yield* stallingServer(mode)
          const started = Date.now()
          const error = yield* Effect.flip(BasicToken.fetch().pipe(Effect.provide(live(client, server.url, "300 millis"))))
          expect(error._tag === "WechatTransportError" && [error.reason, error.action]).toEqual(["timeout", "retry"])
          expect(Date.now() - started).toBeLessThan(1300)
          const closedAt = yield* Effect.promise(() => server.closed)
          expect(closedAt - started).toBeLessThan(1300)
        }).pipe(Effect.scoped))
    }

    it.live(`${name}: a code exchange that times out says reauthorize`, () =>
      Effect.gen(function*() {
        const server = yield* stallingServer()
        const error = yield* Effect.flip(Sns.exchangeCode("C", { binding: "session" }).pipe(Effect.provide(live(client, server.url, "300 millis"))))
        expect(error._tag === "WechatTransportError" && [error.reason, error.action]).toEqual(["timeout", "reauthorize"])
      }).pipe(Effect.scoped))

    it.live(`${name}: interrupting the caller ends the request, long before the deadline`, () =>
      Effect.gen(function*() {
        const server = yield* stallingServer()
        const call = yield* Compat.fork(BasicToken.fetch().pipe(Effect.provide(live(client, server.url, "30 seconds"))))
        yield* Effect.sleep("200 millis")
        const interruptedAt = Date.now()
        yield* Fiber.interrupt(call)
        const closedAt = yield* Effect.promise(() => server.closed)
        expect(closedAt - interruptedAt).toBeLessThan(1000)
      }).pipe(Effect.scoped))
  }

  it.live("the in-memory FakeWechat and a Replay cassette honor the deadline too", () =>
    Effect.gen(function*() {
      const app = { appId: "wx0000000000000004", appSecret: "bound-secret-0001" }
      const config = Layer.merge(WechatConfig.layer({ ...app, timeout: "200 millis" }), TokenStore.layerMemory)
      const started = Date.now()
      const fromFake = yield* Effect.gen(function*() {
        const fake = yield* FakeWechat
        yield* fake.inject("cgi-bin/token", { fault: "latency", millis: 30_000 })
        return yield* Effect.flip(BasicToken.fetch())
      }).pipe(Effect.provide(Layer.merge(FakeWechat.layer({ apps: [app] }), config)))
      const fromCassette = yield* Effect.flip(BasicToken.fetch()).pipe(
        Effect.provide(Layer.mergeAll(
          Replay.layer({ interactions: [{ request: { path: "cgi-bin/token" }, response: { body: fixture("cgi_bin_token.success.json"), delayMillis: 30_000 } }] }),
          config
        ))
      )
      expect([fromFake, fromCassette].map((e) => e._tag === "WechatTransportError" && e.reason)).toEqual(["timeout", "timeout"])
      expect(Date.now() - started).toBeLessThan(2000)
    }))
})
