import type * as Compat from "#compat"
import { captureLogs, type LogEntry } from "#test-compat"
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
})
