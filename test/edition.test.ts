/**
 * Each run tests the edition it asked for: the v3 run (vitest 3) the Effect 3 kernel over
 * effect 3, the v4 run (vitest 5, `EFFECT_WECHAT_EDITION=v4`) the Effect 4 kernel over
 * effect 4.
 */
import * as Compat from "#compat"
import * as TestCompat from "#test-compat"
import * as Effect from "effect"
import { describe, expect, it } from "vitest"

const wanted = process.env["EFFECT_WECHAT_EDITION"] ?? "v3"

describe("edition", () => {
  it("the kernels and effect are the edition's", () => {
    expect(Compat.edition).toBe(wanted)
    expect(TestCompat.edition).toBe(wanted)
    // Result is Effect 4's module; Effect 3 has Either instead
    expect("Result" in Effect).toBe(wanted === "v4")
    expect("Either" in Effect).toBe(wanted === "v3")
  })
})
