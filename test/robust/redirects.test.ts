/**
 * Issue 9, acceptance 1: a 3xx from the API host is a `WechatTransportError` (reason
 * `redirect`, `sent: true`) and is never followed, whichever `HttpClient` the app provides.
 * The redirect points at another loopback origin that would answer with a forged success
 * (its own openid); that origin must see no request at all.
 */
import { FetchHttpClient, type HttpClient } from "#compat"
import { NodeHttpClient, scopedLive } from "#test-compat"
import { describe, expect } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { BasicToken, Sns, TokenStore, WechatConfig } from "../../src/index.js"
import { forgingServer, hostileServer } from "../support/hostile.js"

const APP = { appId: "wx0123456789abcdef", appSecret: "redirect-secret-0001" }
const STATUSES = [301, 302, 303, 307, 308] as const

const CLIENTS: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["FetchHttpClient.layer", FetchHttpClient.layer],
  ["NodeHttpClient.layerNodeHttp", NodeHttpClient.layerNodeHttp],
  ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici]
]

/** The calls a redirect could hijack: a code exchange (GET, with the secret), the stable token (POST JSON, secret in the body), a profile. */
const CALLS = [
  ["Sns.exchangeCode", Sns.exchangeCode("061Yc9Ga1pWrHE0Y2PIa1Y6T4f0Yc9GX", { binding: "session-redirect" })],
  ["BasicToken.fetchStable", BasicToken.fetchStable()],
  ["Sns.userInfo", Sns.userInfo({ accessToken: "ACCESS_TOKEN_redirect_0001", openid: "oRedirectOpenid000000000001" })]
] as const

const configFor = (apiBaseUrl: string) =>
  Layer.merge(WechatConfig.layer({ ...APP, apiBaseUrl, timeout: "5 seconds" }), TokenStore.layerMemory)

describe("no redirects (issue 9, item 1)", () => {
  for (const [name, client] of CLIENTS) {
    scopedLive(`${name}: 301/302/303/307/308 to another origin → redirect error, sent, target never hit`, () =>
      Effect.gen(function*() {
        const target = yield* forgingServer()
        const api = yield* hostileServer({ redirectTo: target.url })
        const outcomes: Array<string> = []
        for (const status of STATUSES) {
          for (const [call, effect] of CALLS) {
            const error = yield* Effect.flip(
              (effect as Effect.Effect<unknown, unknown, HttpClient.HttpClient | WechatConfig.WechatConfig>).pipe(
                Effect.provide(Layer.merge(client, configFor(`${api.url}/redirect-${status}`)))
              )
            )
            expect(error, `${call} ${status}`).toMatchObject({
              _tag: "WechatTransportError",
              reason: "redirect",
              status,
              sent: true,
              action: "stop"
            })
            // the Location's origin is named, never its path or query (which carry the request's secrets)
            const detail = (error as { detail: string }).detail
            expect(detail).toContain(target.url)
            expect(detail).not.toContain(APP.appSecret)
            outcomes.push(`${call} ${status}: ${(error as { reason: string }).reason}`)
          }
        }
        expect(api.hits).toHaveLength(STATUSES.length * CALLS.length)
        expect(target.hits).toEqual([])
        console.log(`${name}: ${outcomes.length} redirects refused, target hits ${target.hits.length}`)
      }))
  }

  scopedLive("fetch is told not to follow even when the app's own RequestInit says redirect: \"follow\"", () =>
    Effect.gen(function*() {
      const target = yield* forgingServer()
      const api = yield* hostileServer({ redirectTo: target.url })
      for (const status of STATUSES) {
        const error = yield* Effect.flip(Sns.exchangeCode("061Yc9Ga1pWrHE0Y2PIa1Y6T4f0Yc9GX", { binding: "s" }).pipe(
          Effect.provide(Layer.mergeAll(FetchHttpClient.layer, configFor(`${api.url}/redirect-${status}`))),
          Effect.provideService(FetchHttpClient.RequestInit, { redirect: "follow", keepalive: false })
        ))
        expect(error).toMatchObject({ _tag: "WechatTransportError", reason: "redirect", status, sent: true })
      }
      expect(target.hits).toEqual([])
    }))

  scopedLive("control: the forging target does answer a direct call with its own openid (so 'never hit' is meaningful)", () =>
    Effect.gen(function*() {
      const target = yield* forgingServer()
      const token = yield* Sns.exchangeCode("061Yc9Ga1pWrHE0Y2PIa1Y6T4f0Yc9GX", { binding: "s" }).pipe(
        Effect.provide(Layer.merge(FetchHttpClient.layer, configFor(target.url)))
      )
      expect(token.openid).toBe("oFORGED-by-the-redirect-target")
      expect(target.hits).toHaveLength(1)
    }))
})
