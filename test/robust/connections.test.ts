/**
 * Issue 9, acceptance 2 (continued): an answer the library refuses without reading it — a
 * `content-length` past `maxResponseBytes`, or a 3xx/non-2xx status with a large body — must
 * not keep its connection open after the call has failed. Otherwise a hostile upstream pins
 * one socket (and the megabytes queued in it) per call: with Node's `http` client until the
 * upstream closes it, with fetch and undici until a garbage collection happens to abort it.
 * (src/internal/body.ts says "the read stops there, which closes the connection": this holds
 * for a streamed body, not for one refused from its announced length.)
 *
 * No `gc()` here on purpose: the connection must be closed by the library, not by a collector.
 *
 * Node 22's `fetch` keeps up to two connections of its pool open after such calls (one it
 * opened ahead of need, one it was reading) until its idle timer ends them 3 s later,
 * however many calls were made (30 calls: still 2). That is a bound, not a connection per
 * call, so on Node 22 fetch may hold 2 for a while; every connection must be gone in 4 s.
 */
import { FetchHttpClient, type HttpClient } from "#compat"
import { NodeHttpClient, scopedLive } from "#test-compat"
import { describe, expect } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { BasicToken, TokenStore, WechatConfig } from "../../src/index.js"
import { type HostileMode, hostileServer } from "../support/hostile.js"

const APP = { appId: "wx0123456789abcdef", appSecret: "connections-secret-0001" }
const CALLS = 10

/** Connections a client may keep for a while after the calls (see above), independent of CALLS. */
const lingering = (client: string) => client === "FetchHttpClient.layer" && Number(process.versions.node.split(".")[0]) >= 22 ? 2 : 0

const CLIENTS: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["FetchHttpClient.layer", FetchHttpClient.layer],
  ["NodeHttpClient.layerNodeHttp", NodeHttpClient.layerNodeHttp],
  ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici]
]

const CASES: ReadonlyArray<readonly [HostileMode, string, object]> = [
  ["huge-chunked", "a chunked 200 MiB body (read as a stream, stopped at 1 MiB)", { reason: "too-large" }],
  ["huge-announced", "content-length 200 MiB (refused from the header)", { reason: "too-large" }],
  ["status-502-huge", "a 502 with a 200 MiB body (refused from the status)", { reason: "status", status: 502 }]
]

describe("refused answers close their connection (issue 9, item 2)", () => {
  for (const [name, client] of CLIENTS) {
    for (const [mode, what, expected] of CASES) {
      scopedLive(`${name}, ${what}: no connection outlives its call`, () =>
        Effect.gen(function*() {
          const server = yield* hostileServer()
          const context = yield* Layer.build(Layer.mergeAll(
            client,
            WechatConfig.layer({ ...APP, apiBaseUrl: `${server.url}/${mode}`, timeout: "3 seconds" }),
            TokenStore.layerMemory
          ))
          for (let i = 0; i < CALLS; i++) {
            const error = yield* Effect.flip(BasicToken.fetch().pipe(Effect.provide(context)))
            expect(error).toMatchObject({ _tag: "WechatTransportError", ...expected })
          }
          // a moment for the FIN/RST to reach the server
          const waitUntil = (at: number, most: number) =>
            Effect.gen(function*() {
              let open = server.openConnections()
              for (let i = 0; i < at / 50 && open > most; i++) {
                yield* Effect.sleep("50 millis")
                open = server.openConnections()
              }
              return open
            })
          const open = yield* waitUntil(1000, 0)
          const sent = server.sent.reduce((n, s) => n + s.bytes, 0)
          console.log(`${name} ${mode}: ${open} of ${CALLS} connections still open 1 s after the calls; upstream got ${(sent / 1e6).toFixed(1)} MB out`)
          expect(open).toBeLessThanOrEqual(lingering(name))
          expect(yield* waitUntil(4000, 0)).toBe(0)
        }), 60_000)
    }
  }
})
