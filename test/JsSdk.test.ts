import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { TestClock } from "#test-compat"
import { JsSdk, WechatConfig } from "../src/index.js"
import { Replay } from "../src/testing/index.js"
import { fixture } from "./helpers.js"

const example = JSON.parse(fixture("jssdk_signature.example.json")) as {
  jsapi_ticket: string
  noncestr: string
  timestamp: number
  cases: Array<{ url: string; signature: string }>
}

const app = WechatConfig.layer({ appId: "wx000000000000000c", appSecret: "s" })

describe("JsSdk.sign", () => {
  it.effect("reproduces both documented signatures", () =>
    Effect.gen(function*() {
      expect(example.cases).toHaveLength(2)
      for (const c of example.cases) {
        const signed = yield* JsSdk.sign({
          ticket: Redacted.make(example.jsapi_ticket),
          url: c.url,
          nonceStr: example.noncestr,
          timestamp: example.timestamp
        })
        expect(signed).toEqual({ appId: "wx000000000000000c", timestamp: 1414587457, nonceStr: "Wm3WZYTPz0wzccnW", signature: c.signature })
      }
    }).pipe(Effect.provide(app)))

  it.effect("drops the #fragment before signing", () =>
    Effect.gen(function*() {
      const signed = yield* JsSdk.sign({
        ticket: example.jsapi_ticket,
        url: "http://mp.weixin.qq.com?params=value#/route?x=1",
        nonceStr: example.noncestr,
        timestamp: example.timestamp
      })
      expect(signed.signature).toBe("0f9de62fce790f9a083d5c99e95740ceb90c27ed")
    }).pipe(Effect.provide(app)))

  it.effect("defaults the timestamp to the clock and makes a fresh nonce", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_500)
      const a = yield* JsSdk.sign({ ticket: "t", url: "https://example.com/" })
      const b = yield* JsSdk.sign({ ticket: "t", url: "https://example.com/" })
      expect(a.timestamp).toBe(1_700_000_000)
      expect(a.nonceStr).toMatch(/^[A-Za-z0-9]{16}$/)
      expect(a.nonceStr).not.toBe(b.nonceStr)
    }).pipe(Effect.provide(app)))

  it.effect("refuses a relative URL or a bad nonce", () =>
    Effect.gen(function*() {
      expect((yield* Effect.flip(JsSdk.sign({ ticket: "t", url: "/page" }))).argument).toBe("url")
      expect((yield* Effect.flip(JsSdk.sign({ ticket: "t", url: "https://e.com", nonceStr: "a b" }))).argument).toBe("nonceStr")
    }).pipe(Effect.provide(app)))
})

describe("JsSdk.getTicket", () => {
  it.effect("sends the basic token and type=jsapi", () =>
    Effect.gen(function*() {
      const ticket = yield* JsSdk.getTicket({ accessToken: Redacted.make("BASIC") })
      expect(ticket.expiresIn).toBe(7200)
      const card = yield* JsSdk.getTicket({ accessToken: "BASIC", type: "wx_card" })
      expect(Redacted.value(card.ticket)).toBe("CARD")
    }).pipe(Effect.provide(Layer.merge(
      Replay.layer({
        interactions: [
          { request: { path: "cgi-bin/ticket/getticket", query: { access_token: "BASIC", type: "jsapi" } }, response: { body: fixture("cgi_bin_ticket_getticket.success.json") } },
          { request: { path: "cgi-bin/ticket/getticket", query: { access_token: "BASIC", type: "wx_card" } }, response: { body: `{"errcode":0,"errmsg":"ok","ticket":"CARD","expires_in":7200}` } }
        ]
      }),
      app
    ))))
})
