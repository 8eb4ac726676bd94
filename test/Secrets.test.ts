/**
 * No secret shows: not in values, errors, log lines or span attributes.
 */
import * as Compat from "#compat"
import { HttpClient } from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Inspectable, Layer, Redacted } from "effect"
import { inspect } from "node:util"
import { BasicToken, JsSdk, MiniProgram, Sns, TokenStore, WechatConfig } from "../src/index.js"
import { Replay } from "../src/testing/index.js"
import { recordingTracer } from "./helpers.js"
import { captureLogs, failures, formatUnknown, tapCause } from "#test-compat"

const S = {
  appSecret: "SENTINEL-APPSECRET-7f3a",
  accessToken: "SENTINEL-ACCESS-TOKEN-91c2",
  refreshToken: "SENTINEL-REFRESH-TOKEN-5b7e",
  sessionKey: "SENTINEL-SESSION-KEY-33d0",
  ticket: "SENTINEL-TICKET-0e4f",
  basicToken: "SENTINEL-BASIC-TOKEN-aa81",
  code: "SENTINEL-CODE-12ab"
}
const sentinels = Object.values(S)

const renderings = (u: unknown): Array<string> => {
  const out = [String(u), inspect(u, { depth: 10 }), JSON.stringify(u) ?? ""]
  out.push(Inspectable.toStringUnknown(u), formatUnknown(u))
  if (typeof u === "object" && u !== null) out.push(u.toString())
  if (Exit.isExit(u) && Exit.isFailure(u)) out.push(Cause.pretty(u.cause))
  if (u instanceof Error) out.push(u.message, u.stack ?? "")
  return out
}

const expectClean = (label: string, u: unknown) => {
  for (const text of renderings(u).map(String)) {
    for (const s of sentinels) {
      if (text.includes(s)) throw new Error(`${label} leaks ${s}: ${text.slice(0, 300)}`)
    }
  }
}

const ok = Replay.layer({
  interactions: [
    { request: { path: "sns/oauth2/access_token" }, response: { body: JSON.stringify({ access_token: S.accessToken, expires_in: 7200, refresh_token: S.refreshToken, openid: "O", scope: "snsapi_userinfo" }) } },
    { request: { path: "sns/oauth2/refresh_token" }, response: { body: JSON.stringify({ access_token: S.accessToken, expires_in: 7200, refresh_token: S.refreshToken, openid: "O", scope: "snsapi_userinfo" }) } },
    { request: { path: "sns/auth" }, response: { body: `{"errcode":0,"errmsg":"ok"}` } },
    { request: { path: "sns/userinfo" }, response: { body: `{"openid":"O","nickname":"N","sex":0,"province":"","city":"","country":"","headimgurl":"","privilege":[]}` } },
    { request: { path: "sns/jscode2session" }, response: { body: JSON.stringify({ openid: "O", session_key: S.sessionKey }) } },
    { request: { path: "cgi-bin/token" }, response: { body: JSON.stringify({ access_token: S.basicToken, expires_in: 7200 }) } },
    { request: { method: "POST" as const, path: "cgi-bin/stable_token" }, response: { body: JSON.stringify({ access_token: S.basicToken, expires_in: 7200 }) } },
    { request: { path: "cgi-bin/ticket/getticket" }, response: { body: JSON.stringify({ errcode: 0, errmsg: "ok", ticket: S.ticket, expires_in: 7200 }) } }
  ].map((i) => ({ ...i, repeat: true }))
})

const failing = Replay.layer({
  interactions: [
    // a success body with a secret but a missing field: decode error must not echo it
    { request: { path: "sns/oauth2/access_token" }, response: { body: JSON.stringify({ access_token: S.accessToken, expires_in: "soon" }) } },
    { request: { path: "sns/oauth2/refresh_token" }, response: { body: `{"errcode":40030,"errmsg":"invalid refresh_token, rid: 6114eeb9-0032c16a-61fbf7ce"}` } },
    { request: { path: "sns/auth" }, response: { status: 503, body: "" } },
    { request: { path: "sns/userinfo" }, response: { body: `{"errcode":48001,"errmsg":"api unauthorized, rid: 62fb9bc8-078c24da-4202f278"}` } },
    { request: { path: "sns/jscode2session" }, response: { body: JSON.stringify({ session_key: S.sessionKey }) } },
    { request: { path: "cgi-bin/token" }, response: { body: `{"errcode":40125,"errmsg":"invalid appsecret rid: 671b9ddb-6ce940c8-7d5bcaf9"}` } },
    { request: { method: "POST", path: "cgi-bin/stable_token" }, response: { body: "<html>" } },
    { request: { path: "cgi-bin/ticket/getticket" }, response: { body: `{"errcode":40001,"errmsg":"invalid credential rid: 5f9b7285-5c43096f-0ba75f4d"}` } }
  ]
})

// a client whose transport fails with an error that quotes the whole URL
const exploding = Layer.succeed(
  HttpClient.HttpClient,
  HttpClient.make((request, url) =>
    Effect.fail(
      Compat.transportError(
        request,
        new Error(`connect failed for ${url.toString()} ${new TextDecoder().decode(request.body._tag === "Uint8Array" ? request.body.body : new Uint8Array())}`)
      )
    ))
)

const config = Layer.merge(WechatConfig.layer({ appId: "wx0000000000000001", appSecret: Redacted.make(S.appSecret) }), TokenStore.layerMemory)

const calls = () => [
  Sns.exchangeCode(S.code),
  Sns.refreshToken(Redacted.make(S.refreshToken)),
  Sns.checkToken({ accessToken: S.accessToken, openid: "O" }),
  Sns.userInfo({ accessToken: Redacted.make(S.accessToken), openid: "O" }),
  MiniProgram.code2Session(S.code),
  BasicToken.fetch(),
  BasicToken.fetchStable({ forceRefresh: true }),
  JsSdk.getTicket({ accessToken: S.basicToken }),
  JsSdk.sign({ ticket: S.ticket, url: "https://example.com/", nonceStr: "abc", timestamp: 1 })
] as Array<Effect.Effect<unknown, unknown, HttpClient.HttpClient | WechatConfig.WechatConfig>>

describe("secrets never show", () => {
  for (const [name, client] of [["successes", ok], ["WeChat errors", failing], ["transport errors", exploding]] as const) {
    it.effect(`${name}: values, errors, logs and spans`, () =>
      Effect.gen(function*() {
        const { spans, tracer } = recordingTracer()
        const logs: Array<string> = []
        const logger = captureLogs(({ message, cause }) => {
          logs.push(inspect(message, { depth: 10 }) + Cause.pretty(cause))
        })
        const exits = yield* Effect.forEach(calls(), (call) =>
          call.pipe(
            Effect.tap((value) => Effect.log("got", value)),
            tapCause((cause) => Effect.logError("failed", cause)),
            Effect.exit
          )).pipe(
            Effect.withTracer(tracer),
            Effect.provide(Layer.mergeAll(client, config, logger))
          )
        expect(exits).toHaveLength(9)
        if (name === "successes") expect(exits.every(Exit.isSuccess)).toBe(true)
        else expect(exits.slice(0, 8).every(Exit.isFailure)).toBe(true)
        for (const exit of exits) {
          expectClean("exit", exit)
          if (Exit.isSuccess(exit)) expectClean("value", exit.value)
          else for (const e of failures(exit.cause)) expectClean("error", e)
        }
        expect(logs.length).toBe(9)
        for (const line of logs) expectClean("log line", line)
        // our spans exist, carry the endpoint, and nothing else records the URL
        const names = spans.map((s) => s.name)
        expect(names).toContain("Sns.exchangeCode")
        expect(names).toContain("BasicToken.fetchStable")
        expect(names.some((n) => n.startsWith("http.client"))).toBe(false)
        const exchange = spans.find((s) => s.name === "Sns.exchangeCode")!
        expect(exchange.attributes.get("wechat.endpoint")).toBe("sns/oauth2/access_token")
        for (const span of spans) {
          expectClean(`span ${span.name} attributes`, JSON.stringify([...span.attributes]))
          expectClean(`span ${span.name} events`, JSON.stringify(span.events))
          expectClean(`span ${span.name} exit`, span.exit)
        }
        if (name === "WeChat errors") {
          const refresh = spans.find((s) => s.name === "Sns.refreshToken")!
          expect(refresh.attributes.get("wechat.errcode")).toBe(40030)
          expect(refresh.attributes.get("wechat.rid")).toBe("6114eeb9-0032c16a-61fbf7ce")
          expect(refresh.attributes.get("wechat.error")).toBe("RefreshTokenInvalid")
        }
      }))
  }

  it("result types show <redacted> in place of secrets, and leave them out of JSON", () => {
    const token = new BasicToken.BasicAccessToken({ accessToken: Redacted.make(S.basicToken), expiresIn: 7200 })
    expect(inspect(token)).toContain("<redacted>")
    expect(JSON.stringify(token)).toBe(`{"expiresIn":7200}`)
    expectClean("token", token)
  })
})
