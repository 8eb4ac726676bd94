/**
 * A hostile or buggy upstream that echoes the whole request in `errmsg`: no secret the
 * request carried reaches an error, a log line at any level, a span, or a stored entry.
 */
import { HttpClient, HttpClientResponse } from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Inspectable, Layer, Redacted } from "effect"
import { inspect } from "node:util"
import { BasicToken, JsSdk, MiniProgram, Sns, TokenStore, WechatConfig, WechatHttp } from "../src/index.js"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Recorder } from "../src/testing/index.js"
import { recordingTracer } from "./helpers.js"
import { captureLogs, failures, formatUnknown, tapCause } from "#test-compat"

// secrets with the characters encoders disagree on: ~ ! ' ( ) * and a space
const S = {
  appSecret: "SENTINEL~app!secret'(01)*xy",
  code: "SENTINEL~code!(02)*zw",
  accessToken: "SENTINEL-web-token~(03)!",
  refreshToken: "SENTINEL-refresh*(04)'",
  basicToken: "SENTINEL-basic~token(05)",
  binding: "SENTINEL-session~(06)"
}
const sentinels = Object.values(S)

const lowerPercent = (s: string) => s.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())

/** Answers every request with an errcode whose errmsg quotes the request in every encoding. */
const echoing = (errcode: number) =>
  Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request, url) => {
      const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
      const raw = url.toString()
      const decoded = decodeURIComponent(raw)
      const params = [...url.searchParams.values()]
      const echo = [
        raw,
        lowerPercent(raw),
        decoded,
        body,
        ...params.map(encodeURIComponent),
        ...params.map((p) => encodeURIComponent(encodeURIComponent(p))),
        ...params
      ].join(" | ")
      return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(JSON.stringify({ errcode, errmsg: `${echo} rid: 0a1b2c3d-0a1b2c3d-0a1b2c3d` }))))
    })
  )

const renderings = (u: unknown): Array<string> => {
  const out = [String(u), inspect(u, { depth: 10 }), JSON.stringify(u) ?? ""]
  out.push(Inspectable.toStringUnknown(u), formatUnknown(u))
  if (Exit.isExit(u) && Exit.isFailure(u)) out.push(Cause.pretty(u.cause))
  if (u instanceof Error) out.push(u.message, u.stack ?? "")
  return out
}

const expectClean = (label: string, u: unknown) => {
  for (const text of renderings(u)) {
    for (const s of sentinels) {
      if (text.includes(s)) throw new Error(`${label} leaks ${JSON.stringify(s)}: ${text.slice(0, 300)}`)
      for (const form of [encodeURIComponent(s), new URLSearchParams({ s }).toString().slice(2)]) {
        if (text.includes(form)) throw new Error(`${label} leaks ${JSON.stringify(s)} as ${form}`)
      }
    }
  }
}

const calls = (): Array<Effect.Effect<unknown, unknown, HttpClient.HttpClient | WechatConfig.WechatConfig>> => [
  Sns.exchangeCode(S.code, { binding: S.binding }),
  Sns.refreshToken(Redacted.make(S.refreshToken)),
  Sns.checkToken({ accessToken: S.accessToken, openid: "O" }),
  Sns.userInfo({ accessToken: Redacted.make(S.accessToken), openid: "O" }),
  MiniProgram.code2Session(S.code, { binding: S.binding }),
  BasicToken.fetch(),
  BasicToken.fetchStable({ forceRefresh: true }),
  JsSdk.getTicket({ accessToken: S.basicToken })
]

describe("an upstream echoing the request in errmsg", () => {
  for (const errcode of [40163, -1, 40001, 99999]) {
    it.effect(`errcode ${errcode}: errors, Cause.pretty, logs at Debug, spans and stored entries stay clean`, () =>
      Effect.gen(function*() {
        const { spans, tracer } = recordingTracer()
        const logs: Array<string> = []
        const logger = captureLogs(({ annotations, cause, message }) => {
          logs.push(inspect(message, { depth: 10 }) + Cause.pretty(cause) + JSON.stringify([...annotations]))
        })
        const store = yield* TokenStore.makeMemory()
        const layer = Layer.mergeAll(
          echoing(errcode),
          WechatConfig.layer({ appId: "wx0000000000000001", appSecret: Redacted.make(S.appSecret) }),
          Layer.succeed(TokenStore.TokenStore, store),
          logger
        )
        const run = <A, E>(call: Effect.Effect<A, E, HttpClient.HttpClient | WechatConfig.WechatConfig>) =>
          call.pipe(tapCause((cause) => Effect.logError("failed", cause)), Effect.exit)
        const exits = yield* Effect.forEach(calls(), run).pipe(
          Effect.withTracer(tracer),
          Effect.provide(layer)
        )
        expect(exits.every(Exit.isFailure)).toBe(true)
        for (const exit of exits) {
          expectClean("exit", exit)
          for (const e of failures((exit as Exit.Failure<unknown, unknown>).cause)) {
            expectClean("error", e)
            // the errmsg is kept, with the secrets cut out, and the rid still found
            expect((e as { errmsg: string }).errmsg).toContain("<redacted>")
            expect((e as { rid: string }).rid).toBe("0a1b2c3d-0a1b2c3d-0a1b2c3d")
          }
        }
        expect(logs.length).toBeGreaterThanOrEqual(8)
        for (const line of logs) expectClean("log line", line)
        expect(logs.some((l) => l.includes("unhandled error"))).toBe(false)
        for (const span of spans) {
          expectClean(`span ${span.name} attributes`, JSON.stringify([...span.attributes]))
          expectClean(`span ${span.name} events`, JSON.stringify(span.events))
          expectClean(`span ${span.name} exit`, span.exit)
        }
        // a cached failure (40163 is kept 10 s) comes back from the store just as clean
        if (errcode === 40163) {
          const again = yield* Effect.flip(Sns.exchangeCode(S.code, { binding: "someone-else" })).pipe(Effect.provide(layer))
          expect(again._tag).toBe("CodeAlreadyUsed")
          expect(again._tag === "CodeAlreadyUsed" && again.errmsg).toContain("<redacted>")
          expectClean("stored error", again)
        }
      }))
  }
})

describe("a cassette recorded from an echoing upstream", () => {
  it.effect("holds no secret in any encoding", () =>
    Effect.gen(function*() {
      const path = join(mkdtempSync(join(tmpdir(), "echo-cassette-")), "c.json")
      yield* Effect.forEach(calls(), Effect.exit).pipe(
        Effect.provide(Layer.mergeAll(
          Recorder.layer(path).pipe(Layer.provide(echoing(40163))),
          WechatConfig.layer({ appId: "wx0000000000000001", appSecret: Redacted.make(S.appSecret) }),
          TokenStore.layerMemory
        ))
      )
      const text = readFileSync(path, "utf8")
      expect(JSON.parse(text).interactions.length).toBe(8)
      expectClean("cassette", text)
    }))
})

describe("WechatHttp.scrub", () => {
  it("removes a secret in every percent-encoding form", () => {
    const secret = "a~b!c'd(e)f*g h/i:j?k&l=m+n%o中"
    const forms = [
      secret,
      encodeURIComponent(secret),
      new URLSearchParams({ x: secret }).toString().slice(2),
      lowerPercent(encodeURIComponent(secret)),
      encodeURIComponent(encodeURIComponent(secret)),
      encodeURI(secret),
      [...secret].map((c) => [...Buffer.from(c)].map((b) => "%" + b.toString(16).padStart(2, "0")).join("")).join(""),
      // a mix: some characters encoded, some not
      "a~b%21c'd%28e)f*g+h%2Fi:j?k&l=m+n%25o%E4%B8%AD"
    ]
    for (const form of forms) {
      expect(WechatHttp.scrub(`before ${form} after`, [secret])).toBe("before <redacted> after")
    }
    expect(WechatHttp.scrub("short abc stays", ["abc"])).toBe("short abc stays")
  })
})
