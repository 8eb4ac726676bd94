/**
 * MiniProgram.checkSessionKey: the signature against known answers (WeChat's worked example
 * fixes the key convention), the request, and 87009 as `false`.
 */
import { HttpClient, HttpClientResponse } from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { createHmac } from "node:crypto"
import { AccessTokenProvider, MiniProgram, TokenStore, WechatConfig } from "../src/index.js"

const OPENID = "oGZUI0egBJY1zhBYw2KhdUfwVJJE" // the doc's example openid

/** An upstream that records checksession's queries and answers it from `answers`, in turn. */
const upstream = (answers: ReadonlyArray<string>) => {
  const queries: Array<Record<string, string>> = []
  let i = 0
  let token = 0
  const client = HttpClient.make((request, url) => {
    const path = url.pathname.replace(/^\//, "")
    let text: string
    if (path === "cgi-bin/stable_token") {
      text = JSON.stringify({ access_token: `TOKEN-${++token}`, expires_in: 7200 })
    } else {
      expect([request.method, path]).toEqual(["GET", "wxa/checksession"])
      queries.push(Object.fromEntries(url.searchParams))
      text = answers[Math.min(i++, answers.length - 1)]!
    }
    return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(text)))
  })
  const layer = AccessTokenProvider.layer().pipe(Layer.provideMerge(Layer.mergeAll(
    Layer.succeed(HttpClient.HttpClient, client),
    WechatConfig.layer({ appId: "wx4f4bc4dec97d474b", appSecret: "check-test-secret" }),
    TokenStore.layerMemory
  )))
  return { queries, layer }
}

const OK = `{"errcode":0,"errmsg":"ok"}`
const INVALID = `{"errcode":87009,"errmsg":"invalid signature rid: 6552e3da-6397437b-3f0d4f01"}`

describe("MiniProgram.checkSessionKey", () => {
  it("WeChat's worked example: the HMAC key is the session_key's text, not its decoded bytes", () => {
    // "用户登录态签名": session_key o0q0otL8aEzpcZL/FT9WsQ==, body {"foo":"bar"}
    const example = "654571f79995b2ce1e149e53c0a33dc39c0a74090db514261454e8dbe432aa0b"
    expect(createHmac("sha256", "o0q0otL8aEzpcZL/FT9WsQ==").update(`{"foo":"bar"}`).digest("hex")).toBe(example)
    expect(createHmac("sha256", Buffer.from("o0q0otL8aEzpcZL/FT9WsQ==", "base64")).update(`{"foo":"bar"}`).digest("hex")).not.toBe(example)
  })

  it.effect("signs the empty string with that convention, lowercase hex, and sends the four query parameters", () => {
    const up = upstream([OK])
    return Effect.gen(function*() {
      yield* MiniProgram.checkSessionKey({ openid: OPENID, sessionKey: "o0q0otL8aEzpcZL/FT9WsQ==" })
      yield* MiniProgram.checkSessionKey({ openid: OPENID, sessionKey: Redacted.make("tiihtNczf5v6AKRyjwEUhQ==") })
      // known answers, computed from WeChat's convention (docs/miniprogram.md §2.2)
      expect(up.queries).toEqual([
        { access_token: "TOKEN-1", signature: "46e043c5525c2d817c44be603d30837a808a1d930d038f6fdc3e62a201fed128", openid: OPENID, sig_method: "hmac_sha256" },
        { access_token: "TOKEN-1", signature: "7154f9f8b4b76b92f541cbf0e37d48840fa06e5e42da92a6f80168a1516a4735", openid: OPENID, sig_method: "hmac_sha256" }
      ])
      expect(up.queries[1]!.signature).toBe(createHmac("sha256", "tiihtNczf5v6AKRyjwEUhQ==").update("").digest("hex"))
    }).pipe(Effect.provide(up.layer))
  })

  it.effect("0 is true, 87009 is false (not an error); other errcodes fail typed; an invalid token is refreshed once", () => {
    const up = upstream([
      OK,
      INVALID,
      `{"errcode":87008,"errmsg":"invalid sig_method"}`,
      `{"errcode":-1,"errmsg":"system error"}`,
      `{"errcode":42001,"errmsg":"access_token expired rid: 0a1b2c3d-0a1b2c3d-0a1b2c3d"}`,
      OK
    ])
    return Effect.gen(function*() {
      const check = MiniProgram.checkSessionKey({ openid: OPENID, sessionKey: "tiihtNczf5v6AKRyjwEUhQ==" })
      expect(yield* check).toBe(true)
      expect(yield* check).toBe(false)
      expect((yield* Effect.flip(check))._tag).toBe("RequestRejected")
      expect((yield* Effect.flip(check))._tag).toBe("SystemBusy")
      expect(yield* check).toBe(true)
      expect(up.queries.slice(-2).map((q) => q.access_token)).toEqual(["TOKEN-1", "TOKEN-2"])
    }).pipe(Effect.provide(up.layer))
  })

  it.effect("without a sessionKey it checks the one MiniProgram.login kept; none kept is false, with no request", () => {
    const up = upstream([OK])
    return Effect.gen(function*() {
      expect(yield* MiniProgram.checkSessionKey({ openid: OPENID })).toBe(false)
      expect(up.queries).toHaveLength(0)
      const invalid = yield* Effect.flip(MiniProgram.checkSessionKey({ openid: OPENID, sessionKey: "has space" }))
      expect(invalid._tag === "InvalidArgument" && invalid.argument).toBe("sessionKey")
    }).pipe(Effect.provide(up.layer))
  })
})
