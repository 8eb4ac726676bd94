/**
 * docs/miniprogram.md stays true to the code: every DecryptError reason and every
 * mini-program errcode row is described, and its sample answer decodes as it says.
 */
import * as Compat from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { readFileSync } from "node:fs"
import { MiniProgram, WechatError } from "../src/index.js"

const doc = readFileSync(new URL("../docs/miniprogram.md", import.meta.url), "utf8")

describe("docs/miniprogram.md", () => {
  it("names every DecryptError reason and every mini-program errcode with its tag and action", () => {
    const reasons = MiniProgram.DecryptError.fields.reason.literals
    expect(reasons.length).toBeGreaterThan(10)
    for (const reason of reasons) expect(doc).toContain(`\`${reason}\``)
    for (const code of [87009, 87007, 87008, 40234]) {
      const rule = WechatError.errcodeTable.find((r) => r.errcodes.includes(code))!
      expect(doc).toMatch(new RegExp(`\\| ${code} \\|[^\\n]*\`${rule.tag}\`[^\\n]*\`${rule.action}\``))
    }
  })

  it.effect("its captured phone answer decodes to what the page says", () =>
    Effect.gen(function*() {
      const body = /```json\n(\{"errcode":0,"errmsg":"ok","phone_info".*)\n```/.exec(doc)![1]!
      const answer = yield* Compat.decodeUnknownEffect(Compat.parseJson(Schema.Struct({ phone_info: MiniProgram.PhoneNumber })))(body)
      expect([answer.phone_info.countryCode, answer.phone_info.watermark.appid]).toEqual(["86", "wx62b400658529b5a1"])
    }))
})
