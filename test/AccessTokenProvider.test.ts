import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { TestClock } from "#test-compat"
import { AccessTokenProvider, JsSdk, TokenStore, WechatConfig, WechatError } from "../src/index.js"
import { FakeWechat } from "../src/testing/index.js"
import { BOUND } from "./testing/fakeSetup.js"

const base = Layer.mergeAll(
  FakeWechat.layer({ apps: [BOUND] }),
  WechatConfig.layer({ appId: BOUND.appId, appSecret: BOUND.appSecret })
)
const withProvider = (options: AccessTokenProvider.Options = {}, store = TokenStore.layerMemory) =>
  AccessTokenProvider.layer(options).pipe(Layer.provideMerge(Layer.merge(base, store)))

const calls = (endpoint: string) => Effect.flatMap(FakeWechat, (f) => f.callCount(endpoint))

describe("AccessTokenProvider", () => {
  it.effect("10,000 concurrent gets on a cold cache make exactly one upstream request", () =>
    Effect.gen(function*() {
      const tokens = yield* Effect.all(Array.from({ length: 10_000 }, () => AccessTokenProvider.get), { concurrency: "unbounded" })
      expect(new Set(tokens.map(Redacted.value)).size).toBe(1)
      expect(yield* calls("cgi-bin/stable_token")).toBe(1)
      expect(yield* calls("cgi-bin/token")).toBe(0)
    }).pipe(Effect.provide(withProvider())))

  it.effect("caches with the expiry and refreshes ahead of it, answering from the cache meanwhile", () =>
    Effect.gen(function*() {
      const first = yield* AccessTokenProvider.get
      yield* TestClock.adjust("6899 seconds")
      expect(Redacted.value(yield* AccessTokenProvider.get)).toBe(Redacted.value(first))
      expect(yield* calls("cgi-bin/token")).toBe(1)
      yield* TestClock.adjust("1 second") // 300 s left: inside the default 5-minute margin
      expect(Redacted.value(yield* AccessTokenProvider.get)).toBe(Redacted.value(first)) // still valid: no wait
      yield* TestClock.adjust("1 millis") // let the background refresh run
      expect(yield* calls("cgi-bin/token")).toBe(2)
      const second = yield* AccessTokenProvider.get
      expect(Redacted.value(second)).not.toBe(Redacted.value(first))
      yield* JsSdk.getTicket({ accessToken: second })
    }).pipe(Effect.provide(withProvider({ source: "classic", singleProcess: true }))))

  it.effect("a custom margin", () =>
    Effect.gen(function*() {
      yield* AccessTokenProvider.get
      yield* TestClock.adjust("7139 seconds")
      yield* AccessTokenProvider.get
      expect(yield* calls("cgi-bin/stable_token")).toBe(1)
      yield* TestClock.adjust("1 second")
      yield* AccessTokenProvider.get
      yield* TestClock.adjust("1 millis")
      expect(yield* calls("cgi-bin/stable_token")).toBe(2)
    }).pipe(Effect.provide(withProvider({ refreshMargin: "1 minute" }))))

  it.effect("classic refuses a process-local store unless told it is the only process", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Layer.build(withProvider({ source: "classic" })).pipe(Effect.scoped))
      expect(error._tag).toBe("InvalidArgument")
      expect(error.message).toContain("shared TokenStore (Redis)")
    }))

  it.effect("use(f): on AccessTokenInvalid, invalidates that token, fetches once and runs f once more", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      const seen: Array<string> = []
      let failures = 1
      const result = yield* AccessTokenProvider.use((token) =>
        Effect.suspend(() => {
          seen.push(Redacted.value(token))
          return failures-- > 0
            ? Effect.fail(WechatError.fromErrcode("cgi-bin/ticket/getticket", 40001, "invalid credential"))
            : Effect.succeed("ok")
        })
      )
      expect(result).toBe("ok")
      expect(seen).toHaveLength(2)
      expect(seen[0]).not.toBe(seen[1])
      expect(yield* fake.callCount("cgi-bin/token")).toBe(2)
      // a second failure reaches the caller, typed
      const error = yield* Effect.flip(AccessTokenProvider.use(() => Effect.fail(WechatError.fromErrcode("x", 42001, "expired"))))
      expect(error._tag).toBe("AccessTokenInvalid")
      expect(yield* fake.callCount("cgi-bin/token")).toBe(3)
      // other failures are not retried
      const other = yield* Effect.flip(AccessTokenProvider.use(() => Effect.fail(WechatError.fromErrcode("x", 40003, "invalid openid"))))
      expect(other._tag).toBe("InvalidOpenid")
      expect(yield* fake.callCount("cgi-bin/token")).toBe(3)
    }).pipe(Effect.provide(withProvider({ source: "classic", singleProcess: true }))))

  it.effect("invalidate is compare-and-delete: a token another process already replaced stays", () =>
    Effect.gen(function*() {
      const store = yield* TokenStore.makeMemory()
      const shared = Layer.succeed(TokenStore.TokenStore, store)
      const fake = yield* FakeWechat
      const config = WechatConfig.layer({ appId: BOUND.appId, appSecret: BOUND.appSecret })
      const processes = yield* Effect.all([
        AccessTokenProvider.make({ source: "classic", singleProcess: true }),
        AccessTokenProvider.make({ source: "classic", singleProcess: true })
      ]).pipe(Effect.provide(Layer.merge(shared, config)))
      const [p1, p2] = processes
      const a = yield* p1!.get
      expect(Redacted.value(yield* p2!.get)).toBe(Redacted.value(a)) // from the store
      yield* p2!.invalidate(a)
      const b = yield* p2!.get
      expect(Redacted.value(b)).not.toBe(Redacted.value(a))
      yield* p1!.invalidate(a) // p1 saw A fail; B must survive
      expect(Redacted.value(yield* p1!.get)).toBe(Redacted.value(b))
      expect(yield* fake.callCount("cgi-bin/token")).toBe(2)
    }).pipe(Effect.provide(base), Effect.scoped))
})

describe("JsSdk ticket cache", () => {
  const layer = JsSdk.layerTicketProvider().pipe(Layer.provideMerge(withProvider()))

  it.effect("1,000 concurrent signPage calls fetch one ticket, and sign with it", () =>
    Effect.gen(function*() {
      const signed = yield* Effect.all(
        Array.from({ length: 1000 }, (_, i) => JsSdk.signPage(`https://example.com/p${i}?from=timeline#x`)),
        { concurrency: "unbounded" }
      )
      expect(yield* calls("cgi-bin/ticket/getticket")).toBe(1)
      expect(yield* calls("cgi-bin/stable_token")).toBe(1)
      const ticket = yield* Effect.flatMap(JsSdk.TicketProvider, (p) => p.get)
      const check = yield* JsSdk.sign({ ticket, url: "https://example.com/p7?from=timeline", nonceStr: signed[7]!.nonceStr, timestamp: signed[7]!.timestamp })
      expect(signed[7]!.signature).toBe(check.signature)
      expect(signed[7]!.appId).toBe(BOUND.appId)
      // kept at most an hour (WeChat says 7200 s even for an older ticket), refreshed 10 minutes early
      yield* TestClock.adjust("2999 seconds")
      yield* JsSdk.signPage("https://example.com/")
      expect(yield* calls("cgi-bin/ticket/getticket")).toBe(1)
      yield* TestClock.adjust("1 second")
      yield* JsSdk.signPage("https://example.com/")
      yield* TestClock.adjust("1 millis")
      expect(yield* calls("cgi-bin/ticket/getticket")).toBe(2)
    }).pipe(Effect.provide(layer)))

  it.effect("a stale basic token is refreshed once and the ticket fetch retried", () =>
    Effect.gen(function*() {
      const provider = yield* AccessTokenProvider.AccessTokenProvider
      const fake = yield* FakeWechat
      yield* provider.get
      yield* fake.inject("cgi-bin/ticket/getticket", { fault: "errcode", errcode: 40001, errmsg: "invalid credential, access_token is invalid or not latest" })
      const result = yield* JsSdk.signPage("https://example.com/")
      expect(result.signature).toMatch(/^[0-9a-f]{40}$/)
      expect(yield* calls("cgi-bin/ticket/getticket")).toBe(2)
      expect(yield* calls("cgi-bin/stable_token")).toBe(2)
    }).pipe(Effect.provide(layer)))

  it.effect("a failed fetch is not cached", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat
      yield* fake.inject("cgi-bin/ticket/getticket", { fault: "busy" })
      expect((yield* Effect.flip(JsSdk.signPage("https://example.com/")))._tag).toBe("SystemBusy")
      yield* JsSdk.signPage("https://example.com/")
      expect(yield* calls("cgi-bin/ticket/getticket")).toBe(2)
    }).pipe(Effect.provide(layer)))
})

