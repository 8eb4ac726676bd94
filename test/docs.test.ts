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
