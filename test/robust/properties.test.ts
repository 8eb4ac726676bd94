/**
 * Issue 9, acceptance 7: property tests (fast-check, 200 runs a property).
 *
 * - the decoder, on arbitrary strings and arbitrary JSON, only ever returns an Either: a
 *   value, or a typed error (never a throw); an integer errcode is always reported as that
 *   errcode, raw control characters inside strings decode to the characters they are;
 * - the consent URL builders give a URL whose `redirect_uri` and `state` round-trip, or
 *   `InvalidArgument` (never a defect);
 * - `JsSdk.sign` is deterministic for a fixed nonce and timestamp, is the SHA-1 WeChat
 *   documents, and ignores the fragment;
 * - the state MAC rejects every single-character change (`malformed` or `tampered`).
 */
import * as Compat from "#compat"
import type { HttpClient } from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Option, Redacted, Schema } from "effect"
import fc from "fast-check"
import { createHash } from "node:crypto"
import { BasicToken, JsSdk, MiniProgram, Sns, TokenStore, WechatConfig, WechatDecode, WechatError } from "../../src/index.js"
import { Replay } from "../../src/testing/index.js"
import { failureOf, successOf, isFailure, isSuccess } from "../support/result.js"
import { isDie } from "#test-compat"

const RUNS = { numRuns: 200 }
const APP_ID = "wx0123456789abcdef"
const config = Effect.runSync(WechatConfig.make({ appId: APP_ID, appSecret: "property-secret-0001" }))
const withConfig = <A, E>(effect: Effect.Effect<A, E, WechatConfig.WechatConfig>) =>
  Effect.provideService(effect, WechatConfig.WechatConfig, config)

/** Every U+0000–U+001F, plus DEL and the characters JSON and URLs care about. */
const CONTROL = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i))
const NASTY = [...CONTROL, "\u007f", "\"", "\\", "/", "#", "%", "&", "=", "?", "+", " ", "\u2028", "\u2029", "\ufeff"]
const nastyChar = fc.oneof(fc.constantFrom(...NASTY), fc.char(), fc.string({ unit: "binary", minLength: 1, maxLength: 1 }))
const nastyString = (maxLength = 40) => fc.string({ unit: nastyChar, maxLength })
/** One UTF-16 code unit of any value: lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c))

const decodeUserInfo = WechatDecode.decoder(Sns.SnsUserInfo)
const decodeSnsToken = WechatDecode.decoder(Sns.SnsToken)

const DECODERS: ReadonlyArray<readonly [string, WechatDecode.Decoder<unknown>]> = [
  ["cgi-bin/token", WechatDecode.decoder(BasicToken.BasicAccessToken)],
  ["sns/oauth2/access_token", WechatDecode.decoder(Sns.SnsToken)],
  ["sns/userinfo", WechatDecode.decoder(Sns.SnsUserInfo)],
  ["sns/jscode2session", WechatDecode.decoder(MiniProgram.MiniProgramSession)],
  ["cgi-bin/ticket/getticket", WechatDecode.decoder(JsSdk.JsSdkTicket)],
  ["sns/auth", WechatDecode.decoder(Schema.Struct({ errcode: Schema.Literal(0) }))]
]

const ERRCODE_TAGS = new Set(WechatError.errcodeTable.map((r) => r.tag as string).concat("UnknownWechatError"))

/** Decodes `text` with every decoder: each result must be an Either of a value or a typed error. */
const decodeAll = (text: string) =>
  DECODERS.map(([endpoint, decode]) => {
    const result = decode(endpoint, text)
    expect((isSuccess(result) || isFailure(result))).toBe(true)
    if (isFailure(result)) {
      expect(WechatError.isWechatError(failureOf(result)!)).toBe(true)
      expect(failureOf(result)!._tag === "WechatDecodeError" || ERRCODE_TAGS.has(failureOf(result)!._tag)).toBe(true)
      expect(failureOf(result)!.endpoint).toBe(endpoint)
    }
    return result
  })

/** A JSON string literal that keeps control characters raw (as some WeChat nicknames arrive). */
const rawJsonString = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`

describe("WechatDecode.decoder (issue 9, item 7)", () => {
  it("arbitrary strings: an Either, never a throw", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), nastyString(200), fc.string({ unit: codeUnit, maxLength: 200 }), fc.string({ unit: "binary" })), (text) => {
        decodeAll(text)
      }),
      RUNS
    )
  })

  it("arbitrary JSON (fc.json, fc.jsonValue, objects with odd errcodes): an Either; an integer errcode is that errcode", () => {
    const oddErrcode = fc.oneof(
      fc.integer(),
      fc.constantFrom(0, -1, 40001, 40029, 45009, 1e20, 2 ** 53 + 2, -0),
      fc.double(),
      fc.string(),
      fc.integer().map(String),
      fc.constant(null),
      fc.boolean(),
      fc.jsonValue()
    )
    const body = fc.record(
      { errcode: oddErrcode, errmsg: fc.oneof(nastyString(), fc.jsonValue()), access_token: fc.jsonValue(), expires_in: fc.jsonValue() },
      { requiredKeys: [] }
    )
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.jsonValue().map((v) => JSON.stringify(v) ?? "null"), body.map((b) => JSON.stringify(b))), (text) => {
        const results = decodeAll(text)
        const parsed: unknown = JSON.parse(text)
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
          for (const r of results) expect(failureOf(r)?._tag).toBe("WechatDecodeError")
          return
        }
        const errcode = (parsed as Record<string, unknown>)["errcode"]
        if (typeof errcode === "number" && Number.isInteger(errcode) && errcode !== 0) {
          for (const r of results) {
            { const e = failureOf(r); expect(e !== undefined && "errcode" in e && e.errcode).toBe(errcode) }
          }
        }
        if (typeof errcode === "number" && !Number.isInteger(errcode)) {
          for (const r of results) expect(failureOf(r)?._tag).toBe("WechatDecodeError")
        }
      }),
      RUNS
    )
  })

  it("raw control characters inside strings decode to themselves (a profile and an errmsg)", () => {
    fc.assert(
      fc.property(nastyString(), nastyString().filter((s) => s !== ""), nastyString(), (nickname, openid, errmsg) => {
        const profile = decodeUserInfo("sns/userinfo", `{"openid":${rawJsonString(openid)},"nickname":${rawJsonString(nickname)},"sex":1}`)
        expect(isSuccess(profile)).toBe(true)
        if (isSuccess(profile)) {
          expect(successOf(profile)!.nickname).toBe(nickname)
          expect(successOf(profile)!.openid).toBe(openid)
        }
        const error = decodeSnsToken("sns/oauth2/access_token", `{"errcode":40029,"errmsg":${rawJsonString(errmsg)}}`)
        expect(failureOf(error)).toMatchObject({ _tag: "InvalidCode", errcode: 40029, errmsg })
      }),
      RUNS
    )
  })
})

/** What a login answer decoded to, comparable: the value's fields (secrets revealed) or the error. */
const comparable = (result: Compat.Result<unknown, WechatError.WechatError>) => {
  if (isFailure(result)) {
    const e = failureOf(result)!
    return { error: e._tag, detail: "detail" in e ? e.detail : undefined }
  }
  const value = successOf(result) as Record<string, unknown>
  const out: Record<string, unknown> = { class: value.constructor.name }
  for (const key of Object.keys(value)) {
    const v = value[key]
    out[key] = Redacted.isRedacted(v) ? ["redacted", Redacted.value(v)] : Option.isOption(v) ? Option.getOrNull(v) : v
  }
  return out
}

/** Decodes through the library's own path (Sns.refreshToken / Sns.userInfo, answered by a cassette). */
const throughLibrary = async (path: "sns/oauth2/refresh_token" | "sns/userinfo", body: string) => {
  const call: Effect.Effect<unknown, WechatError.WechatError, WechatConfig.WechatConfig | HttpClient.HttpClient> = path === "sns/userinfo"
    ? Sns.userInfo({ accessToken: "ACCESS-TOKEN-0001", openid: "oOpenid0001" })
    : Sns.refreshToken("REFRESH-TOKEN-0001")
  const exit = await Effect.runPromiseExit(
    Compat.result(call).pipe(
      Effect.provide(Layer.mergeAll(Replay.layer({ interactions: [{ request: { path }, response: { body } }] }), TokenStore.layerMemory)),
      withConfig
    )
  )
  expect(Exit.isSuccess(exit), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "").toBe(true)
  return (exit as Exit.Success<Compat.Result<unknown, WechatError.WechatError>, never>).value
}

describe("the login answers' fast path (issue 10)", () => {
  // mostly the shapes WeChat sends, with every field sometimes missing, empty, null, of
  // another type or a numeric string: each must decode as the schema alone decodes it
  const odd = fc.oneof(fc.constant(null), fc.constant(""), fc.integer({ min: -3, max: 3 }), fc.integer().map(String), fc.boolean(), fc.jsonValue())
  const field = <A>(usual: fc.Arbitrary<A>) => fc.oneof({ weight: 6, arbitrary: usual }, { weight: 1, arbitrary: odd })
  const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/)
  const token = fc.record({
    access_token: field(id),
    expires_in: field(fc.oneof(fc.constant(7200), fc.nat(), fc.double({ min: 0, max: 1e6, noNaN: true }))),
    refresh_token: field(id),
    openid: field(id),
    scope: field(fc.constantFrom("snsapi_base", "snsapi_userinfo", "snsapi_base,snsapi_userinfo", " snsapi_login , ", "")),
    unionid: field(id),
    is_snapshotuser: field(fc.constantFrom(0, 1, 2)),
    extra: field(fc.string())
  }, { requiredKeys: [] })
  const profile = fc.record({
    openid: field(id),
    nickname: field(nastyString()),
    sex: field(fc.constantFrom(0, 1, 2, 3, -1, 1.5)),
    province: field(fc.string()),
    city: field(fc.string()),
    country: field(fc.string()),
    headimgurl: field(fc.webUrl()),
    privilege: field(fc.array(fc.oneof({ weight: 5, arbitrary: fc.string() }, { weight: 1, arbitrary: fc.integer() }), { maxLength: 3 })),
    unionid: field(id)
  }, { requiredKeys: [] })

  const answers = [
    ["a token answer", "sns/oauth2/refresh_token", token, decodeSnsToken],
    ["a profile answer", "sns/userinfo", profile, decodeUserInfo]
  ] as const
  for (const [name, path, answer, schemaOnly] of answers) {
    it(`${name}: the library decodes it as the schema does`, async () => {
      await fc.assert(
        fc.asyncProperty(answer, async (body: object) => {
          const text = JSON.stringify(body)
          expect(comparable(await throughLibrary(path, text))).toEqual(comparable(schemaOnly(path, text)))
        }),
        { numRuns: 400 }
      )
    })
  }
})

/** Runs a URL builder: its URL, or the InvalidArgument it failed with; anything else fails the property. */
const buildUrl = (effect: Effect.Effect<string, WechatError.InvalidArgument, WechatConfig.WechatConfig>) => {
  const exit = Effect.runSyncExit(withConfig(effect))
  if (Exit.isSuccess(exit)) return Compat.Result.succeed(exit.value)
  expect(isDie(exit.cause), Cause.pretty(exit.cause)).toBe(false)
  const failure = Compat.failureOption(exit.cause)
  expect(Option.isSome(failure) && failure.value._tag).toBe("InvalidArgument")
  return Compat.Result.fail((failure as Option.Some<WechatError.InvalidArgument>).value)
}

const checkRoundTrip = (url: string, path: string, redirectUri: string, state: string | undefined) => {
  const parsed = new URL(url)
  expect(parsed.origin + parsed.pathname).toBe(`https://open.weixin.qq.com/connect/${path}`)
  expect(parsed.hash).toBe("#wechat_redirect")
  expect(parsed.searchParams.get("appid")).toBe(APP_ID)
  expect(parsed.searchParams.get("redirect_uri")).toBe(redirectUri)
  expect(parsed.searchParams.get("state")).toBe(state ?? "")
  expect(parsed.searchParams.getAll("redirect_uri")).toHaveLength(1)
  expect(parsed.searchParams.getAll("state")).toHaveLength(1)
}

/** Redirect URIs: real URLs (queries, fragments), URLs with nasty tails, and anything at all. */
const redirectUri = (tail: fc.Arbitrary<string>) =>
  fc.oneof(
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    fc.tuple(fc.webUrl({ withQueryParameters: true }), tail).map(([u, t]) => u + t),
    tail.map((t) => `https://example.com/cb?x=${t}`),
    tail
  )
const state = fc.option(fc.oneof(fc.stringMatching(/^[A-Za-z0-9]{0,128}$/), nastyString(140)), { nil: undefined })

describe("consent URL builders (issue 9, item 7)", () => {
  it("authorizeUrl / qrConnectUrl: redirect_uri and state round-trip, or InvalidArgument", () => {
    fc.assert(
      fc.property(
        redirectUri(nastyString()),
        state,
        fc.constantFrom("snsapi_base", "snsapi_userinfo") as fc.Arbitrary<"snsapi_base" | "snsapi_userinfo">,
        fc.option(fc.boolean(), { nil: undefined }),
        (uri, st, scope, forcePopup) => {
          const h5 = buildUrl(Sns.authorizeUrl({ redirectUri: uri, scope, state: st, forcePopup }))
          if (isSuccess(h5)) {
            checkRoundTrip(successOf(h5)!, "oauth2/authorize", uri, st)
            expect(new URL(successOf(h5)!).searchParams.get("scope")).toBe(scope)
          }
          const qr = buildUrl(Sns.qrConnectUrl({ redirectUri: uri, state: st }))
          if (isSuccess(qr)) checkRoundTrip(successOf(qr)!, "qrconnect", uri, st)
          // the same inputs are judged the same way by both builders
          expect(isSuccess(qr)).toBe(isSuccess(h5))
        }
      ),
      RUNS
    )
  })

  it("a state outside [A-Za-z0-9]{0,128} is always InvalidArgument naming state", () => {
    fc.assert(
      fc.property(nastyString(140).filter((s) => !/^[A-Za-z0-9]{0,128}$/.test(s)), (st) => {
        const h5 = buildUrl(Sns.authorizeUrl({ redirectUri: "https://example.com/cb", scope: "snsapi_base", state: st }))
        expect(failureOf(h5)?.argument).toBe("state")
      }),
      RUNS
    )
  })

  // A lone UTF-16 surrogate passes `new URL` but not encodeURIComponent: it must be an
  // InvalidArgument, not a URIError defect inside the builder.
  it("a redirect URI with lone surrogates: a URL that round-trips or InvalidArgument, never a defect", () => {
    fc.assert(
      fc.property(redirectUri(fc.string({ unit: codeUnit, minLength: 1, maxLength: 20 })), state, (uri, st) => {
        const h5 = buildUrl(Sns.authorizeUrl({ redirectUri: uri, scope: "snsapi_base", state: st }))
        if (isSuccess(h5)) checkRoundTrip(successOf(h5)!, "oauth2/authorize", uri, st)
        const qr = buildUrl(Sns.qrConnectUrl({ redirectUri: uri, state: st }))
        if (isSuccess(qr)) checkRoundTrip(successOf(qr)!, "qrconnect", uri, st)
      }),
      RUNS
    )
  })
})

describe("JsSdk.sign (issue 9, item 7)", () => {
  const sha1 = (s: string) => createHash("sha1").update(s).digest("hex")
  const signOf = (params: Parameters<typeof JsSdk.sign>[0]) => {
    const exit = Effect.runSyncExit(withConfig(JsSdk.sign(params)))
    if (Exit.isSuccess(exit)) return Compat.Result.succeed(exit.value)
    expect(isDie(exit.cause), Cause.pretty(exit.cause)).toBe(false)
    const failure = Compat.failureOption(exit.cause)
    expect(Option.isSome(failure) && failure.value._tag).toBe("InvalidArgument")
    return Compat.Result.fail((failure as Option.Some<WechatError.InvalidArgument>).value.argument)
  }

  it("deterministic for a fixed nonce and timestamp, WeChat's SHA-1, and blind to the fragment", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_-]{16,120}$/),
        fc.webUrl({ withQueryParameters: true }),
        fc.string({ unit: codeUnit, maxLength: 30 }),
        fc.stringMatching(/^[A-Za-z0-9]{1,32}$/),
        fc.integer({ min: 0, max: 2 ** 32 }),
        (ticket, url, fragment, nonceStr, timestamp) => {
          const once = signOf({ ticket, url, nonceStr, timestamp })
          const again = signOf({ ticket, url, nonceStr, timestamp })
          const withFragment = signOf({ ticket, url: `${url}#${fragment}`, nonceStr, timestamp })
          expect(again).toEqual(once)
          expect(withFragment).toEqual(once)
          if (isSuccess(once)) {
            expect(successOf(once)!).toEqual({
              appId: APP_ID,
              timestamp,
              nonceStr,
              signature: sha1(`jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url}`)
            })
          }
        }
      ),
      RUNS
    )
  })

  it("a realistic page URL and ticket always sign", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_-]{16,120}$/),
        fc.array(fc.stringMatching(/^[a-z0-9]{1,10}$/), { maxLength: 4 }),
        fc.stringMatching(/^[A-Za-z0-9]{1,32}$/),
        (ticket, segments, nonceStr) => {
          const url = `https://example.com/${segments.join("/")}?from=singlemessage`
          const signed = signOf({ ticket, url: `${url}#/page`, nonceStr, timestamp: 1_700_000_000 })
          expect(successOf(signed)?.signature).toBe(
            sha1(`jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=1700000000&url=${url}`)
          )
        }
      ),
      RUNS
    )
  })
})

describe("the state MAC (issue 9, item 7)", () => {
  const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
  /** Another character of [A-Za-z0-9] than `c`, picked by `k`. */
  const other = (c: string, k: number) => {
    const i = ALPHABET.indexOf(c)
    return ALPHABET[(i + 1 + (k % 61)) % 62]!
  }
  const verify = (state: string, session: string | undefined) =>
    Effect.runSyncExit(withConfig(Sns.verifyState(state, session === undefined ? { cookieless: true } : { session })))

  const session = fc.option(
    fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/), fc.string({ minLength: 1, maxLength: 64 })),
    { nil: undefined }
  )
  const returnTo = fc.option(
    fc.array(fc.oneof(fc.stringMatching(/^[A-Za-z0-9._~-]{1,8}$/), fc.constantFrom("订单", "a b", "%20", "?x=1")), { maxLength: 5 })
      .map((parts) => `/${parts.join("/")}`)
      .filter((p) => Buffer.byteLength(p) <= 52),
    { nil: undefined }
  )

  it("rejects every single-character change of a state (malformed or tampered), for any session and return path", () => {
    fc.assert(
      fc.property(session, returnTo, fc.array(fc.nat(), { minLength: 128, maxLength: 128 }), (sess, back, picks) => {
        const made = Effect.runSyncExit(withConfig(Sns.makeState(sess === undefined ? { cookieless: true, returnTo: back } : { session: sess, returnTo: back })))
        if (Exit.isFailure(made)) {
          // only a refused input, typed
          const failure = Compat.failureOption(made.cause)
          expect(Option.isSome(failure) && failure.value._tag).toBe("InvalidArgument")
          return
        }
        const state = made.value
        expect(state).toMatch(/^[A-Za-z0-9]{1,128}$/)
        const ok = verify(state, sess)
        expect(Exit.isSuccess(ok) && Option.getOrUndefined(ok.value.returnTo)).toBe(back)
        for (let i = 0; i < state.length; i++) {
          const mutated = state.slice(0, i) + other(state[i]!, picks[i]!) + state.slice(i + 1)
          const exit = verify(mutated, sess)
          expect(Exit.isFailure(exit), `position ${i}`).toBe(true)
          const failure = Exit.isFailure(exit) ? Compat.failureOption(exit.cause) : Option.none()
          expect(Option.isSome(failure) && failure.value._tag).toBe("InvalidState")
          expect(["malformed", "tampered"]).toContain(Option.isSome(failure) ? failure.value.reason : undefined)
        }
      }),
      RUNS
    )
  })

  it("exhaustively, for one state: all 61 other characters at every position", () => {
    const made = Effect.runSync(withConfig(Sns.makeState({ session: "session-exhaustive-0001", returnTo: "/orders/42?tab=paid" })))
    let checked = 0
    for (let i = 0; i < made.length; i++) {
      for (const c of ALPHABET) {
        if (c === made[i]) continue
        const exit = verify(made.slice(0, i) + c + made.slice(i + 1), "session-exhaustive-0001")
        const failure = Exit.isFailure(exit) ? Compat.failureOption(exit.cause) : Option.none()
        expect(Option.isSome(failure) && ["malformed", "tampered"].includes(failure.value.reason), `${i} ${c}`).toBe(true)
        checked++
      }
    }
    expect(checked).toBe(made.length * 61)
  })
})
