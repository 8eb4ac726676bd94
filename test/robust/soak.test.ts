/**
 * Issue 9, acceptance 9: `npm run soak` runs (here for 5 seconds) and its last line is the
 * JSON summary: calls made, no defect, no replay violation, and the resource numbers.
 * The numbers' meaning is in docs/robustness.md; a 5-second run only proves the harness
 * and the invariants, not the absence of slow growth.
 */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../..", import.meta.url))

const soak = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    // through npm, as documented: `npm run soak -- --seconds N`
    execFile(
      "npm",
      ["run", "--silent", "soak", "--", ...args],
      { cwd: root, encoding: "utf8", timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr })
    )
  })

describe("npm run soak (issue 9, item 9)", () => {
  it("5 seconds of mixed traffic with faults: calls made, 0 defects, 0 violations, JSON last", async () => {
    const { code, stdout, stderr } = await soak(["--seconds", "5"])
    const lines = stdout.trim().split("\n")
    const summary = JSON.parse(lines[lines.length - 1]!)
    console.log(lines.slice(-8).join("\n"))
    expect(stderr).toBe("")
    expect(code).toBe(0)
    expect(summary).toMatchObject({ defects: 0, violations: 0 })
    expect(summary.calls).toBeGreaterThan(100)
    expect(summary.typed_errors).toBeGreaterThan(0) // the faults did fire
    for (const field of ["rss_growth_mb", "handles_growth", "heap_growth_mb", "rss_start_mb", "handles_start"]) {
      expect(typeof summary[field], field).toBe("number")
    }
    expect(stdout).toMatch(/^typed errors by tag: \{.*"CodeAlreadyUsed":\d+/m)
    expect(stdout).toMatch(/^start: RSS [\d.]+ MB .*active handles \d+/m)
    expect(stdout).toMatch(/^end: +RSS [\d.]+ MB .*active handles \d+/m)
    // no secret of the soak's app in the output
    expect(stdout).not.toContain("soak-secret-")
  }, 120_000)

  it("refuses a duration outside 1..3600 seconds", async () => {
    for (const seconds of ["0", "3601", "abc"]) {
      const { code, stderr } = await soak(["--seconds", seconds])
      expect(code).not.toBe(0)
      expect(stderr).toContain("--seconds must be between 1 and 3600")
    }
  }, 120_000)
})
