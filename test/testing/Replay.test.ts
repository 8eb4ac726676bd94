import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Redacted } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { BasicToken, JsSdk, Sns, TokenStore, WechatConfig } from "../../src/index.js"
import { Replay } from "../../src/testing/index.js"
import { fixture } from "../helpers.js"
import { isDie } from "#test-compat"

const app = Layer.merge(WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "app-secret-xyz" }), TokenStore.layerMemory)

describe("Replay", () => {
  it.effect("answers matching interactions once each, in order", () =>
    Effect.gen(function*() {
      const first = yield* Sns.exchangeCode("CODE1")
      expect(first.openid).toBe("OPENID")
      // a second process (its own TokenStore) redeeming the same code gets the next answer
      const second = yield* Effect.flip(Sns.exchangeCode("CODE1").pipe(Effect.provide(TokenStore.layerMemory)))
      expect(second._tag).toBe("CodeAlreadyUsed")
      const third = yield* Effect.exit(Sns.exchangeCode("CODE1").pipe(Effect.provide(TokenStore.layerMemory)))
      expect(third._tag).toBe("Failure")
    }).pipe(Effect.provide(Layer.merge(
      Replay.layer({
        interactions: [
          { request: { path: "/sns/oauth2/access_token", query: { code: "CODE1", secret: "*" } }, response: { body: fixture("sns_oauth2_access_token.success.json") } },
          { request: { path: "/sns/oauth2/access_token", query: { code: "CODE1" } }, response: { body: fixture("sns_oauth2_access_token.err_40163.json") } }
        ]
      }),
      app
    ))))

  it.effect("an unmatched request dies naming it, with secrets masked", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Sns.exchangeCode("CODE-NOT-RECORDED"))
      expect(Exit.isFailure(exit) && isDie(exit.cause)).toBe(true)
      if (!Exit.isFailure(exit)) return
      const defect = Cause.squash(exit.cause) as Replay.UnmatchedRequest
      expect(defect._tag).toBe("UnmatchedRequest")
      // the host too, and whether an unused interaction is exact: a miss on either shows
      expect(defect.message).toContain("GET //api.weixin.qq.com/sns/oauth2/access_token?appid=wx0000000000000001&secret=<redacted>&code=<redacted>&grant_type=authorization_code")
      expect(defect.message).toContain("unused: GET cgi-bin/token | GET //api2.weixin.qq.com/sns/oauth2/access_token (exact)")
      expect(defect.message).not.toContain("app-secret-xyz")
      expect(defect.message).not.toContain("CODE-NOT-RECORDED")
    }).pipe(Effect.provide(Layer.merge(
      Replay.layer({
        interactions: [
          { request: { path: "cgi-bin/token" }, response: { body: "{}" } },
          { request: { host: "api2.weixin.qq.com", path: "/sns/oauth2/access_token", exact: true }, response: { body: "{}" } }
        ]
      }),
      app
    ))))

  it.effect("reads a cassette file and refuses a malformed one with CassetteError", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "replay-"))
      const good = join(dir, "good.json")
      writeFileSync(good, JSON.stringify({
        interactions: [{ request: { path: "cgi-bin/token" }, response: { body: `{"access_token":"T","expires_in":7200}` }, repeat: true }]
      }))
      const token = yield* BasicToken.fetch().pipe(Effect.provide(Layer.merge(Replay.layer(good), app)))
      expect(Redacted.value(token.accessToken)).toBe("T")

      const bad = join(dir, "bad.json")
      writeFileSync(bad, JSON.stringify({ interactions: [{ response: {} }] }))
      const error = yield* Effect.flip(BasicToken.fetch().pipe(Effect.provide(Layer.merge(Replay.layer(bad), app))))
      expect(error._tag).toBe("CassetteError")
      expect(error.message).toContain(bad)
      const missing = yield* Effect.flip(BasicToken.fetch().pipe(Effect.provide(Layer.merge(Replay.layer(join(dir, "nope.json")), app))))
      expect(missing._tag).toBe("CassetteError")
    }))
})

const profile = (openid: string, nickname: string) =>
  JSON.stringify({ openid, nickname, sex: 0, province: "", city: "", country: "", headimgurl: "", privilege: [] })
const token = (access: number, refresh: number, openid: string) =>
  `{"access_token":"<redacted:${access}>","expires_in":7200,"refresh_token":"<redacted:${refresh}>","openid":"${openid}","scope":"snsapi_userinfo"}`

describe("Replay with numbered placeholders", () => {
  it.effect("hands each user the answers recorded for their own token", () =>
    Effect.gen(function*() {
      const alice = yield* Sns.exchangeCode("ALICE-CODE-1")
      const bob = yield* Sns.exchangeCode("BOB-CODE-22")
      expect([alice.openid, bob.openid]).toEqual(["OPENID_A", "OPENID_B"])
      // alice asks first, but the first unused userinfo interaction is bob's token's
      expect((yield* Sns.userInfo({ accessToken: alice.accessToken, openid: alice.openid })).nickname).toBe("Alice")
      expect((yield* Sns.userInfo({ accessToken: bob.accessToken, openid: bob.openid })).nickname).toBe("Bob")
    }).pipe(Effect.provide(Layer.merge(
      Replay.layer({
        interactions: [
          { request: { path: "sns/oauth2/access_token", query: { secret: "<redacted:1>", code: "<redacted:2>" } }, response: { body: token(3, 4, "OPENID_A") } },
          { request: { path: "sns/oauth2/access_token", query: { secret: "<redacted:1>", code: "<redacted:5>" } }, response: { body: token(6, 7, "OPENID_B") } },
          { request: { path: "sns/userinfo", query: { access_token: "<redacted:6>" } }, response: { body: profile("OPENID_B", "Bob") } },
          { request: { path: "sns/userinfo", query: { access_token: "<redacted:3>" } }, response: { body: profile("OPENID_A", "Alice") } }
        ]
      }),
      app
    ))))

  it.effect("a retry with the stale token does not match the success recorded for the new one", () =>
    Effect.gen(function*() {
      const stale = yield* Effect.flip(JsSdk.getTicket({ accessToken: "STALE-TOKEN-1" }))
      expect(stale._tag).toBe("AccessTokenInvalid")
      const again = yield* Effect.exit(JsSdk.getTicket({ accessToken: "STALE-TOKEN-1" }))
      expect(Exit.isFailure(again) && isDie(again.cause) && (Cause.squash(again.cause) as Replay.UnmatchedRequest)._tag).toBe("UnmatchedRequest")
      const fresh = yield* JsSdk.getTicket({ accessToken: "FRESH-TOKEN-2" })
      expect(Redacted.value(fresh.ticket)).toBe("TICKET")
    }).pipe(Effect.provide(Layer.merge(
      Replay.layer({
        interactions: [
          { request: { path: "cgi-bin/ticket/getticket", query: { access_token: "<redacted:1>", type: "jsapi" } }, response: { body: `{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest rid: 6125a48e-4bc55df9-6a1d6b57"}` } },
          { request: { path: "cgi-bin/ticket/getticket", query: { access_token: "<redacted:2>", type: "jsapi" } }, response: { body: `{"errcode":0,"errmsg":"ok","ticket":"TICKET","expires_in":7200}` } }
        ]
      }),
      app
    ))))
})
