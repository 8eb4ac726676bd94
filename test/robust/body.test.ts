/**
 * Issue 9, acceptance 2: answers are read as a stream up to `WechatConfig.maxResponseBytes`
 * (1 MiB by default, counted after decompression); past it the call fails typed
 * (`too-large`) within the timeout, and the process's RSS grows by no more than a few MB.
 *
 * With fetch, Node's `http` client and undici's `request` client: a 200 MiB body (chunked,
 * and with its length announced), a gzip bomb (~300 KB inflating to 300 MiB) and a slow
 * 150 MiB `errmsg`. The hostile server generates its bodies chunk by chunk with backpressure,
 * so what RSS measures here is the client. RSS is sampled every 5 ms during the call (the
 * peak, not just the end: a buffered body may be freed again before the call returns).
 */
import * as Compat from "#compat"
import { FetchHttpClient, type HttpClient } from "#compat"
import { NodeHttpClient, scopedLive } from "#test-compat"
import { beforeAll, describe, expect } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { BasicToken, TokenStore, WechatConfig, WechatError } from "../../src/index.js"
import { gc, gzipBomb, type HostileMode, hostileServer, rssSampler } from "../support/hostile.js"

const APP = { appId: "wx0123456789abcdef", appSecret: "body-secret-0001" }
const TIMEOUT_MS = 3000
const MB = 1_000_000
/** Peak RSS growth allowed: far below the hundreds of MB a buffered 200 MiB body costs (see the control). */
const MAX_GROWTH_MB = 50

const CLIENTS: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>, { readonly decompresses: boolean }]> = [
  ["FetchHttpClient.layer", FetchHttpClient.layer, { decompresses: true }],
  ["NodeHttpClient.layerNodeHttp", NodeHttpClient.layerNodeHttp, { decompresses: false }],
  ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici, { decompresses: false }]
]

interface Measured {
  readonly error: unknown
  readonly elapsedMs: number
  readonly peakGrowthMb: number
  readonly afterGrowthMb: number
}

/** Runs `BasicToken.fetch()` against one hostile mode, measuring time and RSS around it. */
const measure = (
  client: Layer.Layer<HttpClient.HttpClient>,
  url: string,
  mode: HostileMode,
  overrides: Partial<WechatConfig.Options> = {}
) =>
  Effect.gen(function*() {
    const layer = Layer.mergeAll(
      client,
      WechatConfig.layer({ ...APP, apiBaseUrl: `${url}/${mode}`, timeout: `${TIMEOUT_MS} millis`, ...overrides }),
      TokenStore.layerMemory
    )
    gc()
    const before = process.memoryUsage.rss()
    const sampler = rssSampler()
    const started = performance.now()
    const error = yield* Effect.flip(BasicToken.fetch().pipe(Effect.provide(layer)))
    const elapsedMs = performance.now() - started
    const peak = sampler.stop()
    gc()
    const after = process.memoryUsage.rss()
    return { error, elapsedMs, peakGrowthMb: (peak - before) / MB, afterGrowthMb: (after - before) / MB } satisfies Measured
  })

const report = (client: string, mode: string, m: Measured) => {
  const e = m.error as { _tag?: string; reason?: string }
  console.log(
    `${client.padEnd(27)} ${mode.padEnd(15)} → ${e._tag}${e.reason === undefined ? "" : `(${e.reason})`} ` +
      `in ${Math.round(m.elapsedMs)} ms, RSS peak +${m.peakGrowthMb.toFixed(1)} MB, after +${m.afterGrowthMb.toFixed(1)} MB`
  )
}

beforeAll(async () => {
  await gzipBomb() // built before any RSS baseline
}, 60_000)

describe("bounded body (issue 9, item 2)", () => {
  for (const [name, client, { decompresses }] of CLIENTS) {
    scopedLive(`${name}: 200 MiB chunked, 200 MiB announced, a gzip bomb and a slow 150 MiB errmsg fail typed, bounded`, () =>
      Effect.gen(function*() {
        const server = yield* hostileServer()
        // warm-up: load the client's code paths so they do not count as growth
        yield* Compat.result(BasicToken.fetch().pipe(
          Effect.provide(Layer.mergeAll(client, WechatConfig.layer({ ...APP, apiBaseUrl: `${server.url}/control-chars` }), TokenStore.layerMemory))
        ))

        for (const mode of ["huge-chunked", "huge-announced"] as const) {
          const m = yield* measure(client, server.url, mode)
          report(name, mode, m)
          expect(m.error).toMatchObject({ _tag: "WechatTransportError", reason: "too-large", sent: true, action: "stop" })
          expect(m.elapsedMs).toBeLessThan(TIMEOUT_MS + 1000)
          expect(m.peakGrowthMb).toBeLessThan(MAX_GROWTH_MB)
        }
        // the server never got to the end of its 200 MiB: the client stopped reading
        for (const sent of server.sent.filter((s) => s.mode.startsWith("huge-"))) {
          expect(sent.finished).toBe(false)
          expect(sent.bytes).toBeLessThan(64 * 1024 * 1024)
        }

        const bomb = yield* measure(client, server.url, "gzip-bomb")
        report(name, "gzip-bomb", bomb)
        if (decompresses) {
          // inflated while read: stopped at 1 MiB of output
          expect(bomb.error).toMatchObject({ _tag: "WechatTransportError", reason: "too-large", sent: true })
        } else {
          // this client hands over the compressed bytes as they are: ~300 KB of gzip is not JSON
          expect(bomb.error).toMatchObject({ _tag: "WechatDecodeError", detail: expect.stringMatching(/^body is not JSON/) })
        }
        expect(bomb.elapsedMs).toBeLessThan(TIMEOUT_MS + 1000)
        expect(bomb.peakGrowthMb).toBeLessThan(MAX_GROWTH_MB)

        const slow = yield* measure(client, server.url, "slow-errmsg")
        report(name, "slow-errmsg", slow)
        expect(WechatError.isWechatError(slow.error)).toBe(true)
        expect(slow.error).toMatchObject({ _tag: "WechatTransportError", sent: true })
        expect(["too-large", "timeout"]).toContain((slow.error as { reason: string }).reason)
        expect(slow.elapsedMs).toBeLessThan(TIMEOUT_MS + 1000)
        expect(slow.peakGrowthMb).toBeLessThan(MAX_GROWTH_MB)
        const dripped = server.sent.find((s) => s.mode === "slow-errmsg")!
        expect(dripped.finished).toBe(false)
      }), 60_000)
  }

  scopedLive("the limit is WechatConfig.maxResponseBytes: streamed (64 KiB) and announced (100 bytes)", () =>
    Effect.gen(function*() {
      const server = yield* hostileServer()
      for (const [name, client] of CLIENTS) {
        const streamed = yield* measure(client, server.url, "huge-chunked", { maxResponseBytes: 64 * 1024 })
        expect(streamed.error, name).toMatchObject({ _tag: "WechatTransportError", reason: "too-large" })
        expect((streamed.error as { detail: string }).detail).toContain("65536 bytes")
        // a ~400-byte success: refused under a 100-byte limit, read under the default
        const layer = (overrides: Partial<WechatConfig.Options>) =>
          Layer.mergeAll(client, WechatConfig.layer({ ...APP, apiBaseUrl: `${server.url}/control-chars`, ...overrides }), TokenStore.layerMemory)
        const refused = yield* Effect.flip(BasicToken.fetch().pipe(Effect.provide(layer({ maxResponseBytes: 100 }))))
        expect(refused, name).toMatchObject({ _tag: "WechatTransportError", reason: "too-large" })
        const token = yield* BasicToken.fetch().pipe(Effect.provide(layer({})))
        expect(token.expiresIn).toBe(7200)
      }
    }), 60_000)

  scopedLive("control: without the bound (maxResponseBytes 300 MiB) the same 200 MiB body costs far more than the threshold", () =>
    Effect.gen(function*() {
      const server = yield* hostileServer()
      const m = yield* measure(FetchHttpClient.layer, server.url, "huge-chunked", { maxResponseBytes: 300 * 1024 * 1024, timeout: "50 seconds" })
      report("FetchHttpClient.layer", "unbounded", m)
      // read whole: the body never closes its string, so it is not JSON
      expect(m.error).toMatchObject({ _tag: "WechatDecodeError" })
      expect(m.peakGrowthMb).toBeGreaterThan(4 * MAX_GROWTH_MB)
    }), 120_000)
})
