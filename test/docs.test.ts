import { describe, expect, it } from "vitest"
import { readFileSync } from "node:fs"
import { render } from "../scripts/errors-doc.js"
import { WechatError } from "../src/index.js"

describe("docs", () => {
  it("docs/errors.md is generated from the code's errcode table (run `npx tsx scripts/errors-doc.ts`)", () => {
    const doc = readFileSync(new URL("../docs/errors.md", import.meta.url), "utf8")
    expect(doc).toBe(render())
    for (const rule of WechatError.errcodeTable) {
      for (const code of rule.errcodes) expect(doc).toContain(`| ${code} | \`${rule.tag}\` | \`${rule.action}\` |`)
    }
  })
})

describe("docs/testing.md", () => {
  it("its Replay example runs as written: the cassette and the duplicate-callback flow", async () => {
    const { Effect, Layer } = await import("effect")
    const { Sns, TokenStore, WechatConfig } = await import("../src/index.js")
    const { Replay } = await import("../src/testing/index.js")
    const doc = readFileSync(new URL("../docs/testing.md", import.meta.url), "utf8")
    const cassette = JSON.parse(/```json\n([\s\S]*?)```/.exec(doc)![1]!)
    const TestLive = Layer.mergeAll(
      Replay.layer(cassette),
      WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "test-secret" }),
      TokenStore.layerMemory
    )
    const result = await Effect.runPromise(Effect.gen(function*() {
      const first = yield* Sns.exchangeCode("CODE1", { binding: "session-1" })
      const again = yield* Sns.exchangeCode("CODE1", { binding: "session-1" })
      const replay = yield* Effect.flip(Sns.exchangeCode("CODE1", { binding: "session-2" }))
      // another process: its own store (Layer.fresh: Effect 4 reuses a layer already built above)
      const elsewhere = yield* Effect.flip(Sns.exchangeCode("CODE1", { binding: "session-1" }).pipe(Effect.provide(Layer.fresh(TokenStore.layerMemory))))
      return { same: again.openid === first.openid, replay: replay._tag, elsewhere: elsewhere._tag }
    }).pipe(Effect.provide(TestLive)))
    expect(result).toEqual({ same: true, replay: "CodeAlreadyUsed", elsewhere: "CodeAlreadyUsed" })
  })
})
