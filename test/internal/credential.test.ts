import type * as Compat from "#compat"
import { captureLogs, type LogEntry, TestClock } from "#test-compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { AccessTokenProvider, TokenStore, WechatConfig } from "../../src/index.js"
import { FakeWechat } from "../../src/testing/index.js"
import { BOUND } from "../testing/fakeSetup.js"

const calls = (endpoint: string) => Effect.flatMap(FakeWechat, (f) => f.callCount(endpoint))

/** The fake, the app's config, a provider on `store`, and a logger that keeps Warnings. */
const setup = <E>(options: AccessTokenProvider.Options, store: Layer.Layer<Compat.RefId<TokenStore.TokenStore>, E>) => {
  const warnings: Array<LogEntry> = []
  const layer = AccessTokenProvider.layer(options).pipe(
    Layer.provideMerge(Layer.mergeAll(
      FakeWechat.layer({ apps: [BOUND] }),
      WechatConfig.layer({ appId: BOUND.appId, appSecret: BOUND.appSecret }),
      store
    )),
    Layer.provideMerge(captureLogs((entry) => {
      if (entry.level === "WARN") warnings.push(entry)
    }))
  )
  return { warnings, layer }
}

/** A shared store whose writes all fail (Redis out of memory, a full disk). */
const unwritable = Layer.effect(
  TokenStore.TokenStore,
  Effect.map(TokenStore.makeMemory(), (memory): TokenStore.Service => ({
    ...memory,
    shared: true,
    set: () => Effect.fail(new TokenStore.TokenStoreError({ operation: "set", detail: "OOM command not allowed when used memory > 'maxmemory'" }))
  }))
)

/** WeChat refusing the next 100 stable_token calls: the server's IP is not whitelisted. */
const refusedByIp = (fake: FakeWechat.Service) =>
  fake.inject("cgi-bin/stable_token", { fault: "errcode", errcode: 40164, errmsg: "invalid ip 1.2.3.4, not in whitelist", times: 100 })

const text = (entries: ReadonlyArray<LogEntry>) => JSON.stringify(entries.map((e) => [String(e.message), e.annotations]))

describe("Credential", () => {
  it.effect("classic: a token WeChat issued is kept when the store cannot save it (one fetch, not one per call)", () => {
    const { layer, warnings } = setup({ source: "classic" }, unwritable)
    return Effect.gen(function*() {
      const tokens = [yield* AccessTokenProvider.get, yield* AccessTokenProvider.get, yield* AccessTokenProvider.get]
      expect(new Set(tokens.map(Redacted.value)).size).toBe(1)
      expect(yield* calls("cgi-bin/token")).toBe(1)
      expect(warnings).toHaveLength(1)
      expect(String(warnings[0]!.message)).toContain("could not save")
      expect(text(warnings)).not.toContain(Redacted.value(tokens[0]!))
    }).pipe(Effect.provide(layer))
  })

  it.effect("a failing background refresh is logged and backs off (5 s, then 10 s); a success resets it", () => {
    const { layer, warnings } = setup({}, TokenStore.layerMemory)
    return Effect.gen(function*() {
      const fake = yield* FakeWechat
      const first = Redacted.value(yield* AccessTokenProvider.get)
      yield* TestClock.adjust("6901 seconds") // 299 s left: inside the 5-minute margin
      yield* refusedByIp(fake)
      for (let i = 0; i < 100; i++) {
        expect(Redacted.value(yield* AccessTokenProvider.get)).toBe(first)
        yield* TestClock.adjust("10 millis")
      }
      expect(yield* calls("cgi-bin/stable_token")).toBe(2) // the first fetch, one background try
      expect(warnings).toHaveLength(1)
      expect(String(warnings[0]!.message)).toContain("next try in 5 s")
      expect(warnings[0]!.annotations).toEqual(expect.arrayContaining([["error", "IpNotWhitelisted"], ["errcode", 40164]]))
      expect(text(warnings)).not.toContain(first)
      expect(text(warnings)).not.toContain(BOUND.appSecret)

      yield* TestClock.adjust("4 seconds") // 5 s after the failure: another try
      yield* AccessTokenProvider.get
      yield* TestClock.adjust("1 millis")
      expect(yield* calls("cgi-bin/stable_token")).toBe(3)
      expect(String(warnings[1]!.message)).toContain("next try in 10 s")
      yield* TestClock.adjust("9 seconds")
      yield* AccessTokenProvider.get
      yield* TestClock.adjust("1 millis")
      expect(yield* calls("cgi-bin/stable_token")).toBe(3) // still waiting

      yield* fake.clearFaults
      yield* TestClock.adjust("1 second")
      yield* AccessTokenProvider.get
      yield* TestClock.adjust("1 millis")
      expect(yield* calls("cgi-bin/stable_token")).toBe(4)
      expect(warnings).toHaveLength(2)

      expect(Redacted.value(yield* AccessTokenProvider.get)).not.toBe(first) // the fake rotated it

      // that success reset the backoff: the next failure waits 5 s again, not 20 s
      yield* refusedByIp(fake)
      yield* TestClock.adjust("6901 seconds")
      yield* AccessTokenProvider.get
      yield* TestClock.adjust("1 millis")
      expect(yield* calls("cgi-bin/stable_token")).toBe(5)
      expect(warnings).toHaveLength(3)
      expect(String(warnings[2]!.message)).toContain("next try in 5 s")
    }).pipe(Effect.provide(layer))
  })

  it.effect("callers in the same tick start one background refresh, and its failure backs off once", () => {
    const { layer, warnings } = setup({}, TokenStore.layerMemory)
    return Effect.gen(function*() {
      const fake = yield* FakeWechat
      yield* AccessTokenProvider.get
      yield* TestClock.adjust("6901 seconds") // inside the margin
      yield* refusedByIp(fake)
      yield* Effect.all(Array.from({ length: 20 }, () => AccessTokenProvider.get), { concurrency: "unbounded" })
      yield* TestClock.adjust("1 millis")
      expect(yield* calls("cgi-bin/stable_token")).toBe(2)
      expect(warnings).toHaveLength(1)
      expect(String(warnings[0]!.message)).toContain("next try in 5 s")
    }).pipe(Effect.provide(layer))
  })

  it.effect("an expired token is refreshed in the foreground on every call, whatever the background backoff", () => {
    const { layer } = setup({}, TokenStore.layerMemory)
    return Effect.gen(function*() {
      const fake = yield* FakeWechat
      yield* AccessTokenProvider.get
      yield* TestClock.adjust("6901 seconds")
      yield* refusedByIp(fake)
      yield* AccessTokenProvider.get
      yield* TestClock.adjust("300 seconds") // expired
      expect((yield* Effect.flip(AccessTokenProvider.get))._tag).toBe("IpNotWhitelisted")
      expect((yield* Effect.flip(AccessTokenProvider.get))._tag).toBe("IpNotWhitelisted")
      expect(yield* calls("cgi-bin/stable_token")).toBe(4)
      yield* fake.clearFaults
      yield* AccessTokenProvider.get
      expect(yield* calls("cgi-bin/stable_token")).toBe(5)
    }).pipe(Effect.provide(layer))
  })
})
