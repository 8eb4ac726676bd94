/**
 * Docs are tests: every `ts` block of README.md and docs/, and every `@example` in src/,
 * type-checks against the real API (scripts/doc-blocks.ts).
 */
import { describe, expect, it } from "vitest"
import { check } from "../scripts/doc-blocks.js"

describe("code in the docs", () => {
  it("every ts block and @example type-checks", () => {
    const { blocks, errors } = check()
    expect(blocks).toBeGreaterThan(30)
    expect(errors).toEqual([])
  }, 120_000)
})
