import { describe, expect, it } from "@effect/vitest"
import { HttpClient, HttpClientResponse } from "#compat"
import { Effect, Layer, Redacted } from "effect"
import { BasicToken, WechatConfig } from "../src/index.js"
import { Replay } from "../src/testing/index.js"
import { fixture } from "./helpers.js"

// the documented requests, with a real-shaped app id in place of the docs' APPID
const APP_ID = "wx00000000000a9910"
const documented = (name: string) => JSON.parse(fixture(name).replace("APPID", APP_ID))

const live = Layer.merge(
  Replay.layer({
    interactions: [
      {
        request: { method: "GET", path: "cgi-bin/token", query: { grant_type: "client_credential", appid: APP_ID, secret: "APPSECRET" } },
        response: { body: `{"access_token":"CLASSIC","expires_in":7200}` }
      },
      {
        // the documented request bodies, field for field: force_refresh is a JSON boolean
        request: { method: "POST", path: "cgi-bin/stable_token", body: documented("cgi_bin_stable_token.request_force_refresh.json") },
        response: { body: `{"access_token":"FORCED","expires_in":7200}` }
      },
      {
        request: { method: "POST", path: "cgi-bin/stable_token", body: documented("cgi_bin_stable_token.request_normal.json") },
        response: { body: `{"access_token":"STABLE","expires_in":4321}` }
      }
    ]
  }),
  WechatConfig.layer({ appId: APP_ID, appSecret: "APPSECRET" })
)

describe("BasicToken", () => {
  it.effect("fetch is a GET with a query string", () =>
    Effect.gen(function*() {
      const token = yield* BasicToken.fetch()
      expect(Redacted.value(token.accessToken)).toBe("CLASSIC")
    }).pipe(Effect.provide(live)))

  it.effect("fetchStable is a POST with a JSON body; normal mode sends no force_refresh", () =>
    Effect.gen(function*() {
      const token = yield* BasicToken.fetchStable()
      expect(Redacted.value(token.accessToken)).toBe("STABLE")
      expect(token.expiresIn).toBe(4321)
      const forced = yield* BasicToken.fetchStable({ forceRefresh: true })
      expect(Redacted.value(forced.accessToken)).toBe("FORCED")
    }).pipe(Effect.provide(live)))
})

describe("BasicToken.fetchStable request body", () => {
  it.effect("is exactly the documented JSON, with a boolean force_refresh only in force mode", () =>
    Effect.gen(function*() {
      const seen: Array<{ method: string; url: string; contentType: string | undefined; body: unknown }> = []
      const capture = Layer.succeed(
        HttpClient.HttpClient,
        HttpClient.make((request, url) => {
          const body = request.body._tag === "Uint8Array" ? JSON.parse(new TextDecoder().decode(request.body.body)) : null
          seen.push({ method: request.method, url: url.toString(), contentType: request.body._tag === "Uint8Array" ? request.body.contentType : undefined, body })
          return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(`{"access_token":"X","expires_in":7200}`)))
        })
      )
      yield* Effect.all([BasicToken.fetchStable(), BasicToken.fetchStable({ forceRefresh: true })]).pipe(
        Effect.provide(Layer.merge(capture, WechatConfig.layer({ appId: APP_ID, appSecret: "APPSECRET" })))
      )
      expect(seen).toEqual([
        { method: "POST", url: "https://api.weixin.qq.com/cgi-bin/stable_token", contentType: "application/json", body: documented("cgi_bin_stable_token.request_normal.json") },
        { method: "POST", url: "https://api.weixin.qq.com/cgi-bin/stable_token", contentType: "application/json", body: documented("cgi_bin_stable_token.request_force_refresh.json") }
      ])
    }))
})
