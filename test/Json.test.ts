/**
 * Every public result has a plain-JSON form a handler can send: Options as value-or-null,
 * no secret in it.
 */
import { HttpServerResponse } from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted, Schema } from "effect"
import { BasicToken, JsSdk, Sns } from "../src/index.js"

const bodyOf = (value: unknown) =>
  Effect.flatMap(HttpServerResponse.json(value), (response) =>
    Effect.promise(() => HttpServerResponse.toWeb(response).json() as Promise<Record<string, unknown>>))

const profile = (unionid: Option.Option<string>) =>
  new Sns.SnsUserInfo({ openid: "oOpenid", nickname: "Ann", sex: 0, province: "", city: "", country: "", headImgUrl: "", privilege: [], unionid })

describe("JSON-ready values", () => {
  it.effect("HttpServerResponse.json of a profile gives unionid as a string or null", () =>
    Effect.gen(function*() {
      expect(yield* bodyOf(profile(Option.some("oUnion")))).toEqual({
        openid: "oOpenid", nickname: "Ann", sex: 0, province: "", city: "", country: "", headImgUrl: "", privilege: [], unionid: "oUnion"
      })
      expect((yield* bodyOf(profile(Option.none()))).unionid).toBeNull()
    }))

  it.effect("tokens and tickets: their non-secret fields only", () =>
    Effect.gen(function*() {
      const token = new Sns.SnsToken({
        accessToken: Redacted.make("SECRET-ACCESS"),
        refreshToken: Redacted.make("SECRET-REFRESH"),
        expiresIn: 7200,
        openid: "oOpenid",
        scope: ["snsapi_userinfo"],
        unionid: Option.none(),
        isSnapshotUser: false
      })
      expect(yield* bodyOf(token)).toEqual({ openid: "oOpenid", expiresIn: 7200, scope: ["snsapi_userinfo"], unionid: null, isSnapshotUser: false })
      expect(yield* bodyOf(new BasicToken.BasicAccessToken({ accessToken: Redacted.make("SECRET-BASIC"), expiresIn: 300 }))).toEqual({ expiresIn: 300 })
      expect(yield* bodyOf(new JsSdk.JsSdkTicket({ ticket: Redacted.make("SECRET-TICKET"), expiresIn: 7200 }))).toEqual({ expiresIn: 7200 })
      const verified = new Sns.VerifiedState({ nonce: "00ff", expiresAt: new Date(0), sessionBound: true, returnTo: Option.some("/me"), binding: Redacted.make("SECRET-SESSION") })
      expect(yield* bodyOf(verified)).toEqual({ nonce: "00ff", expiresAt: "1970-01-01T00:00:00.000Z", sessionBound: true, returnTo: "/me" })
      for (const value of [token, verified]) expect(JSON.stringify(value)).not.toContain("SECRET")
      // printing still hides secrets
      expect(String(token)).not.toContain("SECRET")
    }))

  it("a VerifiedState survives its schema's encoding through JSON, with or without returnTo, on both editions", () => {
    const encode = Schema.encodeSync(Sns.VerifiedState)
    const decode = Schema.decodeUnknownSync(Sns.VerifiedState)
    for (const returnTo of [Option.some("/me"), Option.none()]) {
      const verified = new Sns.VerifiedState({ nonce: "00ff", expiresAt: new Date(0), sessionBound: true, returnTo, binding: Redacted.make("SECRET-SESSION") })
      const again = decode(JSON.parse(JSON.stringify(encode(verified))))
      expect([again.nonce, again.expiresAt.getTime(), again.returnTo, Redacted.value(again.binding)]).toEqual(["00ff", 0, returnTo, "SECRET-SESSION"])
    }
  })
})
