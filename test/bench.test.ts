/**
 * The bench's arithmetic and its JSON line, without running it (`npm run bench -- --quick
 * --json` takes a minute): medians over repetitions, ratios the right way round (above 1 =
 * effect-wechat faster), every key the performance issue asks for, failed logins counted.
 */
import { describe, expect, it } from "vitest"
import { median, quantile, rotate, timeLogins, type Timed } from "../bench/harness.js"
import { aggregate, type Mode, type Sample, sampleOf, summarize, table } from "../bench/report.js"

const timed = (ops: number, wallMs: number, cpuMicros: number): Timed => ({
  ops,
  wallMs,
  cpuMicros,
  latencies: Float64Array.from({ length: ops }, (_, i) => i + 1).map((x) => x / 10),
  errors: 0,
  firstError: undefined
})

const run = (contender: string, mode: Mode, wallMs: number, repetition = 0, group: Sample["group"] = mode === "sign" ? "sign" : "login") =>
  sampleOf({ group, contender, mode, repetition }, timed(100, wallMs, wallMs * 500), mode === "sign" ? undefined : { fakeCpuMicros: 1000, connections: 1, requests: 200 })

const extras = {
  stampedeUpstream: [1, 1],
  readHeapMb: 0.01,
  cachedReadMicros: 0.5,
  loginHeapMbPer10k: { "effect-wechat": 0.8 },
  loginLiveHeapMbPer10k: { "effect-wechat": 12 },
  errors: 0
}

describe("bench/harness", () => {
  it("takes medians and nearest-rank quantiles, and rotates the order", () => {
    expect(median([5, 1, 3])).toBe(3)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99)).toBe(10)
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5)).toBe(5)
    expect(rotate(["a", "b", "c"], 4)).toEqual(["b", "c", "a"])
  })

  it("counts a login that throws or yields another user's nickname as an error", async () => {
    const logins = [
      { code: "ok", binding: "b1", nickname: "甲" },
      { code: "wrong", binding: "b2", nickname: "乙" },
      { code: "throws", binding: "b3", nickname: "丙" }
    ]
    const result = await timeLogins(async (code) => {
      if (code === "throws") throw new Error("errcode 40029")
      return code === "ok" ? "甲" : "someone else"
    }, logins, 2)
    expect(result.ops).toBe(3)
    expect(result.errors).toBe(2)
    expect(result.firstError).toMatch(/wrong nickname|40029/)
    expect([...result.latencies]).toEqual([...result.latencies].sort((a, b) => a - b))
  })
})

describe("bench/report", () => {
  const samples = [
    // effect-wechat twice as slow as fetch, as fast as the floor; repetitions differ
    ...[0, 1, 2].flatMap((r) => [
      run("fetch", "seq", 100 + r),
      run("effect-floor", "seq", 200 + r),
      run("effect-wechat", "seq", 200 + r),
      run("fetch", "c64", 50),
      run("effect-floor", "c64", 100),
      run("effect-wechat", "c64", 125),
      run("effect-wechat-undici", "seq", 150),
      run("wechat-oauth", "seq", 300),
      run("co-wechat-oauth", "seq", 75),
      run("effect-wechat", "sign", 2),
      run("wechat-api", "sign", 1)
    ])
  ]
  const rows = aggregate(samples, new Map([["fetch", "fetch + JSON.parse"]]))

  it("aggregates each contender and mode over its repetitions", () => {
    const fetchSeq = rows.find((r) => r.contender === "fetch" && r.mode === "seq")!
    expect(fetchSeq.runs).toBe(3)
    expect(fetchSeq.label).toBe("fetch + JSON.parse")
    expect(fetchSeq.throughput).toBeCloseTo(100 / 0.101)
    expect(fetchSeq.cpuMicrosPerOp).toBeCloseTo((101 * 500) / 100)
    expect(fetchSeq.badRequestCounts).toBe(0)
    const extra = aggregate([{ ...run("fetch", "seq", 100), requests: 201 }], new Map())
    expect(extra[0]!.badRequestCounts).toBe(1)
  })

  it("summarizes with every key the issue asks for, ratios as effect-wechat / other", () => {
    const summary = summarize(rows, extras, { quick: true, seconds: 42 })
    for (
      const key of [
        "ratio_vs_fetch_seq",
        "ratio_vs_fetch_c64",
        "ratio_vs_effect_floor_seq",
        "ratio_vs_effect_floor_c64",
        "ratio_vs_wechat_oauth",
        "ratio_vs_co_wechat_oauth",
        "ratio_vs_wechat_api",
        "stampede_upstream",
        "heap_growth_mb",
        "login_heap_mb_per_10k"
      ] as const
    ) expect(summary[key], key).toEqual(expect.any(Number))
    expect(summary.ratio_vs_fetch_seq).toBeCloseTo(0.5, 2)
    expect(summary.ratio_vs_effect_floor_seq).toBe(1)
    expect(summary.ratio_vs_effect_floor_c64).toBe(0.8)
    expect(summary.ratio_vs_wechat_oauth).toBe(2) // against the undici variant
    expect(summary.ratio_vs_co_wechat_oauth).toBe(0.5)
    expect(summary.ratio_vs_wechat_api).toBe(0.5)
    expect(summary.stampede_upstream).toBe(1)
    expect(summary.login_heap_mb_per_10k).toBe(0.8)
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary)
  })

  it("gives null, not a number, for what a partial run did not measure", () => {
    const summary = summarize([], { ...extras, stampedeUpstream: [], loginHeapMbPer10k: {} }, { quick: true, seconds: 1 })
    expect(summary.ratio_vs_fetch_seq).toBeNull()
    expect(summary.stampede_upstream).toBeNull()
    expect(summary.login_heap_mb_per_10k).toBeNull()
  })

  it("prints a Markdown table, one line per contender and mode", () => {
    const lines = table(rows).split("\n")
    expect(lines[0]).toMatch(/^\| work +\| contender +\| +ops\/s \|/)
    expect(lines).toHaveLength(2 + rows.length)
    expect(lines.find((l) => l.includes("fetch + JSON.parse"))).toMatch(/^\| login seq/)
  })
})
