import { FetchHttpClient } from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { BasicToken, Sns, TokenStore, WechatConfig } from "../../src/index.js"
import { Recorder, Replay } from "../../src/testing/index.js"
import { loopbackServer } from "../support/loopback.js"
import { scoped } from "#test-compat"

const SECRET = "RECORDER-SENTINEL-SECRET"
const TOKEN = "RECORDER-SENTINEL-TOKEN"
const REFRESH = "RECORDER-SENTINEL-REFRESH"

const liveServer = loopbackServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain", "set-cookie": "x=1" })
  if (req.url?.startsWith("/sns/oauth2/access_token")) {
    res.end(JSON.stringify({ access_token: TOKEN, expires_in: 7200, refresh_token: REFRESH, openid: "OPENID", scope: "snsapi_base" }))
  } else {
    res.end(`{"errcode":40125,"errmsg":"invalid appsecret rid: 671b9ddb-6ce940c8-7d5bcaf9"}`)
  }
})

describe("Recorder", () => {
  scoped("writes a cassette with secrets masked, which Replay then answers from", () =>
    Effect.gen(function*() {
      const server = yield* liveServer
      const path = join(mkdtempSync(join(tmpdir(), "rec-")), "login.json")
      const app = Layer.merge(WechatConfig.layer({ appId: "wx0000000000000001", appSecret: Redacted.make(SECRET), apiBaseUrl: server.url }), TokenStore.layerMemory)

      const live = yield* Sns.exchangeCode("LIVE-CODE-123456").pipe(
        Effect.provide(Layer.merge(Recorder.layer(path).pipe(Layer.provide(FetchHttpClient.layer)), app))
      )
      expect(Redacted.value(live.accessToken)).toBe(TOKEN)
      const failed = yield* Effect.flip(BasicToken.fetch().pipe(
        Effect.provide(Layer.merge(Recorder.layer(path + ".2").pipe(Layer.provide(FetchHttpClient.layer)), app))
      ))
      expect(failed._tag).toBe("AppMisconfigured")

      const text = readFileSync(path, "utf8")
      for (const s of [SECRET, TOKEN, REFRESH, "LIVE-CODE-123456"]) expect(text).not.toContain(s)
      expect(readFileSync(path + ".2", "utf8")).not.toContain(SECRET)
      const cassette = JSON.parse(text)
      expect(cassette.interactions).toHaveLength(1)
      expect(cassette.interactions[0].request).toEqual({
        method: "GET",
        path: "/sns/oauth2/access_token",
        query: { appid: "wx0000000000000001", secret: "<redacted>", code: "<redacted>", grant_type: "authorization_code" }
      })
      expect(cassette.interactions[0].response.headers).toEqual({ "content-type": "text/plain" })
      expect(JSON.parse(cassette.interactions[0].response.body)).toMatchObject({ access_token: "<redacted>", refresh_token: "<redacted>", openid: "OPENID" })

      const replayed = yield* Sns.exchangeCode("ANY-OTHER-CODE").pipe(Effect.provide(Layer.merge(Replay.layer(path), app)))
      expect(replayed.openid).toBe("OPENID")
      expect(replayed.scope).toEqual(["snsapi_base"])
    }))
})

describe("Recorder.maskBody", () => {
  it("masks a secret field of a truncated body that ends inside its string, even right after a backslash", () => {
    for (const body of [`{"access_token":"97_TRUNCATED-SECRET\\`, `{"access_token":"97_TRUNCATED-SECRET`, `{"session_key":"TRUNCATED-SECRET\\/x\\`]) {
      const masked = Recorder.maskBody(body, [])
      expect(masked).not.toContain("TRUNCATED-SECRET")
      expect(masked).toMatch(/^\{"(access_token|session_key)":"<redacted>"/)
    }
  })
})
