/**
 * The leak scan of the mini program: no session_key (current or replaced), phone code,
 * basic token or phone number (personal data) in an error, a log line at any level, or a
 * span's attributes, events or failure; also when the upstream echoes the request, and in
 * a recorded cassette.
 */
import { HttpClient, HttpClientResponse } from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Inspectable, Layer, Redacted, Schema } from "effect"
import { captureLogs, failures, formatUnknown, tapCause, TestClock } from "#test-compat"
import { createHmac } from "node:crypto"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { inspect } from "node:util"
import { AccessTokenProvider, MiniProgram, TokenStore, WechatConfig } from "../src/index.js"
import { FakeWechat, Recorder } from "../src/testing/index.js"
import { recordingTracer } from "./helpers.js"
import { MINI, miniFake, OTHER_MINI } from "./testing/miniSetup.js"

const PHONE = "13987654321"

const renderings = (u: unknown): Array<string> => {
  const out = [String(u), inspect(u, { depth: 10 }), JSON.stringify(u) ?? "", Inspectable.toStringUnknown(u), formatUnknown(u)]
  if (Exit.isExit(u) && Exit.isFailure(u)) out.push(Cause.pretty(u.cause))
  if (u instanceof Error) out.push(u.message, u.stack ?? "")
  return out
}

const scan = (label: string, u: unknown, secrets: ReadonlyArray<string>) => {
  for (const text of renderings(u)) {
    for (const s of secrets) {
      for (const form of [s, encodeURIComponent(s)]) {
        if (text.includes(form)) throw new Error(`${label} leaks ${JSON.stringify(s)}: ${text.slice(0, 300)}`)
      }
    }
  }
}

/** Runs `program` with a Debug logger and a recording tracer; returns what it saw. */
const observed = <A, E, R>(program: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const { spans, tracer } = recordingTracer()
    const logs: Array<string> = []
    const logger = captureLogs(({ annotations, cause, message }) => {
      logs.push(inspect(message, { depth: 10 }) + Cause.pretty(cause) + JSON.stringify([...annotations]))
    })
    const result = yield* program.pipe(
      Effect.withTracer(tracer),
      Effect.provide(logger)
    )
    return { result, logs, spans }
  })

/** An app's handling of a call: its failure logged with the cause, as apps do. */
const run = <A, E, R>(call: Effect.Effect<A, E, R>) => call.pipe(tapCause((cause) => Effect.logError("failed", cause)), Effect.exit)

describe("mini program: no session_key or phone number shows", () => {
  it.effect("through login, phone number, decryption and session checks, failing and succeeding", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const user = yield* fake.addUser({ nickname: "leak", phoneNumber: PHONE })
      const keys: Array<string> = []
      const keyNow = () => fake.emulator.sessionKeys.get(`${MINI.appId} ${user.id}`)!.key
      const codes: Array<string> = []
      const { logs, result: exits, spans } = yield* observed(Effect.gen(function*() {
        const exits: Array<Exit.Exit<unknown, unknown>> = []
        const login = yield* MiniProgram.login(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id }))
        keys.push(keyNow())
        yield* Effect.logDebug("logged in", login)
        const before = yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: "phoneNumber" })
        yield* MiniProgram.login(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id }))
        keys.push(keyNow())
        const now = yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: "phoneNumber" })
        const foreign = yield* fake.encryptedData({ appId: MINI.appId, userId: user.id, data: { phoneNumber: PHONE, watermark: { timestamp: 1, appid: OTHER_MINI.appId } } })
        const code = yield* fake.phoneCode({ appId: MINI.appId, userId: user.id })
        codes.push(code)
        exits.push(
          yield* run(MiniProgram.decryptFor(login.openid, before, MiniProgram.PhoneNumber)), // stale-session-key
          yield* run(MiniProgram.decryptFor(login.openid, { ...now, iv: before.iv }, MiniProgram.PhoneNumber, { checkSession: true })),
          yield* run(MiniProgram.decryptFor(login.openid, foreign, MiniProgram.PhoneNumber)), // watermark-mismatch
          yield* run(MiniProgram.decryptFor(login.openid, now, Schema.Struct({ phoneNumber: Schema.Number }))), // schema
          yield* run(MiniProgram.decrypt({ ...now, sessionKey: keys[0]! }, MiniProgram.PhoneNumber)), // undecryptable
          yield* run(MiniProgram.decrypt({ ...now, sessionKey: keys[1]! }, MiniProgram.UserInfo)), // schema: a phone number is no profile
          yield* run(MiniProgram.checkSessionKey({ openid: login.openid, sessionKey: keys[0]! })), // false
          yield* run(MiniProgram.checkSessionKey({ openid: login.openid })), // true
          yield* run(MiniProgram.phoneNumber({ code })), // the number
          yield* run(MiniProgram.phoneNumber({ code })) // 40029
        )
        yield* TestClock.adjust("10 minutes")
        exits.push(yield* run(MiniProgram.decryptFor(login.openid, now, MiniProgram.PhoneNumber, { maxAge: "5 minutes" })))
        return exits
      }))
      const secrets = [...keys, ...codes, PHONE, Redacted.value(yield* AccessTokenProvider.get)]
      expect(exits.filter(Exit.isFailure)).toHaveLength(8)
      for (const exit of exits) {
        if (Exit.isFailure(exit)) scan("exit", exit, secrets)
        else scan("value", exit.value, keys)
      }
      expect(logs.length).toBeGreaterThanOrEqual(9)
      for (const line of logs) scan("log line", line, secrets)
      const names = new Set(spans.map((s) => s.name))
      for (const name of ["MiniProgram.login", "MiniProgram.decryptFor", "MiniProgram.decrypt", "MiniProgram.checkSessionKey", "MiniProgram.phoneNumber"]) expect(names).toContain(name)
      expect(spans.some((s) => s.attributes.get("wechat.decrypt.reason") === "stale-session-key")).toBe(true)
      for (const span of spans) {
        scan(`span ${span.name} attributes`, JSON.stringify([...span.attributes]), secrets)
        scan(`span ${span.name} events`, JSON.stringify(span.events), secrets)
        // a span's success value is the caller's (exporters report a status, not the value)
        if (Exit.isExit(span.exit) && Exit.isFailure(span.exit)) scan(`span ${span.name} failure`, span.exit, secrets)
      }
    }).pipe(Effect.provide(miniFake())))
})

describe("mini program: an upstream echoing the request in errmsg", () => {
  const S = { code: "SENTINEL-phone-code~(01)!", sessionKey: "SENTINEL/session+key==", basicToken: "SENTINEL-basic-token-(02)" }
  const echoing = (errcode: number) =>
    Layer.succeed(HttpClient.HttpClient, HttpClient.make((request, url) => {
      const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
      const text = url.pathname.endsWith("stable_token")
        ? JSON.stringify({ access_token: S.basicToken, expires_in: 7200 })
        : JSON.stringify({ errcode, errmsg: `${url.toString()} ${decodeURIComponent(url.toString())} ${body} rid: 0a1b2c3d-0a1b2c3d-0a1b2c3d` })
      return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(text)))
    }))

  for (const errcode of [40029, 87008, -1]) {
    it.effect(`errcode ${errcode}: the code, the token, the session_key and its signature are cut out`, () =>
      Effect.gen(function*() {
        const { logs, result: exits } = yield* observed(Effect.all([
          run(MiniProgram.phoneNumber({ code: S.code, openid: "o-openid" })),
          run(MiniProgram.checkSessionKey({ openid: "o-openid", sessionKey: S.sessionKey }))
        ]))
        const signature = createHmac("sha256", S.sessionKey).update("").digest("hex")
        for (const exit of exits as ReadonlyArray<Exit.Exit<unknown, unknown>>) {
          expect(Exit.isFailure(exit)).toBe(true)
          scan("exit", exit, [...Object.values(S), signature])
          for (const e of failures((exit as Exit.Failure<unknown, unknown>).cause)) expect((e as { errmsg: string }).errmsg).toContain("<redacted>")
        }
        for (const line of logs) scan("log line", line, [...Object.values(S), signature])
      }).pipe(Effect.provide(AccessTokenProvider.layer().pipe(Layer.provideMerge(Layer.mergeAll(
        echoing(errcode),
        WechatConfig.layer({ appId: MINI.appId, appSecret: MINI.appSecret }),
        TokenStore.layerMemory
      ))))))
  }
})

describe("mini program: a recorded cassette", () => {
  it.effect("holds no phone code, session_key signature or token", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat.make({ apps: [MINI] })
      const user = yield* fake.addUser({ nickname: "rec" })
      const session = yield* MiniProgram.code2Session(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id })).pipe(
        Effect.provide(Layer.mergeAll(Layer.succeed(HttpClient.HttpClient, FakeWechat.httpClient(fake)), WechatConfig.layer({ appId: MINI.appId, appSecret: MINI.appSecret })))
      )
      const code = yield* fake.phoneCode({ appId: MINI.appId, userId: user.id })
      const path = join(mkdtempSync(join(tmpdir(), "mini-cassette-")), "c.json")
      const token = yield* Effect.gen(function*() {
        expect(yield* MiniProgram.checkSessionKey({ openid: session.openid, sessionKey: session.sessionKey })).toBe(true)
        yield* MiniProgram.phoneNumber({ code })
        return Redacted.value(yield* AccessTokenProvider.get)
      }).pipe(Effect.provide(AccessTokenProvider.layer().pipe(Layer.provideMerge(Layer.mergeAll(
        Recorder.layer(path).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, FakeWechat.httpClient(fake)))),
        WechatConfig.layer({ appId: MINI.appId, appSecret: MINI.appSecret }),
        TokenStore.layerMemory
      )))))
      const text = readFileSync(path, "utf8")
      expect(JSON.parse(text).interactions).toHaveLength(3)
      const signature = createHmac("sha256", Redacted.value(session.sessionKey)).update("").digest("hex")
      for (const s of [code, signature, token, Redacted.value(session.sessionKey)]) expect(text).not.toContain(s)
    }))
})
