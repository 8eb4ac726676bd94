/**
 * From timed runs to figures: medians over the interleaved repetitions, the table, and the
 * one-line summary `--json` prints (ratios are effect-wechat / other: above 1 means
 * effect-wechat is faster).
 */
import { median, quantile, type Timed } from "./harness.js"

export type Mode = "seq" | "c64" | "sign"

/** One timed run of one contender. */
export interface Sample {
  readonly group: "login" | "layers" | "sign"
  readonly contender: string
  readonly mode: Mode
  readonly repetition: number
  readonly ops: number
  readonly wallMs: number
  readonly cpuMicros: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly errors: number
  readonly firstError: string | undefined
  /** The fake's CPU over the run, µs (not for signing: no request is made). */
  readonly fakeCpuMicros?: number | undefined
  /** TCP connections the fake accepted during the run. */
  readonly connections?: number | undefined
  /** Requests the fake answered during the run (2 per login). */
  readonly requests?: number | undefined
}

export const sampleOf = (
  base: Pick<Sample, "group" | "contender" | "mode" | "repetition">,
  timed: Timed,
  fake?: { readonly fakeCpuMicros: number; readonly connections: number; readonly requests: number }
): Sample => ({
  ...base,
  ops: timed.ops,
  wallMs: timed.wallMs,
  cpuMicros: timed.cpuMicros,
  p50Ms: quantile(timed.latencies, 0.5),
  p99Ms: quantile(timed.latencies, 0.99),
  errors: timed.errors,
  firstError: timed.firstError,
  ...fake
})

/** The medians of one contender in one mode. */
export interface Row {
  readonly group: Sample["group"]
  readonly contender: string
  readonly label: string
  readonly mode: Mode
  readonly runs: number
  /** Operations per second. */
  readonly throughput: number
  /** Wall time per operation, µs (1e6 / throughput). */
  readonly microsPerOp: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** Client CPU per operation, µs. */
  readonly cpuMicrosPerOp: number
  readonly fakeCpuMicrosPerOp: number | undefined
  /** Most connections any run opened. */
  readonly maxConnections: number | undefined
  /** Runs whose request count was not 2 per login. */
  readonly badRequestCounts: number
  readonly errors: number
  readonly firstError: string | undefined
}

const defined = (xs: ReadonlyArray<number | undefined>): ReadonlyArray<number> => xs.filter((x): x is number => x !== undefined)

/** Medians per contender and mode; `labels` by contender id (`sign:<id>` for the signing ones). */
export const aggregate = (samples: ReadonlyArray<Sample>, labels: ReadonlyMap<string, string>): ReadonlyArray<Row> => {
  const groups = new Map<string, Array<Sample>>()
  for (const s of samples) {
    const key = `${s.group}\u0000${s.contender}\u0000${s.mode}`
    groups.set(key, [...(groups.get(key) ?? []), s])
  }
  return [...groups.values()].map((runs) => {
    const first = runs[0]!
    const throughput = median(runs.map((r) => r.ops / (r.wallMs / 1000)))
    const fakeCpu = defined(runs.map((r) => (r.fakeCpuMicros === undefined ? undefined : r.fakeCpuMicros / r.ops)))
    const connections = defined(runs.map((r) => r.connections))
    return {
      group: first.group,
      contender: first.contender,
      label: labels.get(first.group === "sign" ? `sign:${first.contender}` : first.contender) ?? first.contender,
      mode: first.mode,
      runs: runs.length,
      throughput,
      microsPerOp: 1e6 / throughput,
      p50Ms: median(runs.map((r) => r.p50Ms)),
      p99Ms: median(runs.map((r) => r.p99Ms)),
      cpuMicrosPerOp: median(runs.map((r) => r.cpuMicros / r.ops)),
      fakeCpuMicrosPerOp: fakeCpu.length === 0 ? undefined : median(fakeCpu),
      maxConnections: connections.length === 0 ? undefined : Math.max(...connections),
      badRequestCounts: runs.filter((r) => r.requests !== undefined && r.requests !== 2 * r.ops).length,
      errors: runs.reduce((n, r) => n + r.errors, 0),
      firstError: runs.find((r) => r.firstError !== undefined)?.firstError
    }
  })
}

export interface Extras {
  readonly stampedeUpstream: ReadonlyArray<number>
  /** Heap kept over the cached reads, MB. */
  readonly readHeapMb: number
  readonly cachedReadMicros: number
  /** Heap kept by logins once their duplicate window has passed, MB per 10,000 logins, by contender. */
  readonly loginHeapMbPer10k: Readonly<Record<string, number>>
  /** The same right after the logins, inside the window. */
  readonly loginLiveHeapMbPer10k: Readonly<Record<string, number>>
  /** Failed logins outside the timed runs (the heap measurements). */
  readonly errors: number
}

const round = (x: number, digits = 3) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null)

/** The `--json` line: the keys the issue asks for, then the ones that explain them. */
export const summarize = (rows: ReadonlyArray<Row>, extras: Extras, meta: { readonly quick: boolean; readonly seconds: number }) => {
  const find = (group: Row["group"], contender: string, mode: Mode) => rows.find((r) => r.group === group && r.contender === contender && r.mode === mode)
  const throughput = (contender: string, mode: Mode) => find("login", contender, mode)?.throughput ?? NaN
  const cpu = (contender: string, mode: Mode) => find("login", contender, mode)?.cpuMicrosPerOp ?? NaN
  const faster = (ours: string, theirs: string, mode: Mode) => round(throughput(ours, mode) / throughput(theirs, mode))
  const cheaper = (ours: string, theirs: string, mode: Mode) => round(cpu(theirs, mode) / cpu(ours, mode))
  const sign = (contender: string) => find("sign", contender, "sign")?.microsPerOp ?? NaN
  const lib = "effect-wechat"
  const undici = "effect-wechat-undici"
  return {
    ratio_vs_fetch_seq: faster(lib, "fetch", "seq"),
    ratio_vs_fetch_c64: faster(lib, "fetch", "c64"),
    ratio_vs_effect_floor_seq: faster(lib, "effect-floor", "seq"),
    ratio_vs_effect_floor_c64: faster(lib, "effect-floor", "c64"),
    // the peers against the library on the fastest client a user can plug in
    ratio_vs_wechat_oauth: faster(undici, "wechat-oauth", "seq"),
    ratio_vs_co_wechat_oauth: faster(undici, "co-wechat-oauth", "seq"),
    ratio_vs_wechat_api: round(sign("wechat-api") / sign(lib)),
    stampede_upstream: extras.stampedeUpstream.length === 0 ? null : Math.max(...extras.stampedeUpstream),
    heap_growth_mb: round(extras.readHeapMb),
    login_heap_mb_per_10k: round(extras.loginHeapMbPer10k[lib] ?? NaN),
    login_heap_live_mb_per_10k: round(extras.loginLiveHeapMbPer10k[lib] ?? NaN),
    ratio_vs_wechat_oauth_c64: faster(undici, "wechat-oauth", "c64"),
    ratio_vs_co_wechat_oauth_c64: faster(undici, "co-wechat-oauth", "c64"),
    ratio_vs_wechat_oauth_fetchclient: faster(lib, "wechat-oauth", "seq"),
    ratio_vs_co_wechat_oauth_fetchclient: faster(lib, "co-wechat-oauth", "seq"),
    ratio_vs_effect_floor_undici_seq: faster(undici, "effect-floor-undici", "seq"),
    ratio_vs_effect_floor_undici_c64: faster(undici, "effect-floor-undici", "c64"),
    // client CPU per login, other / effect-wechat: steadier than throughput on a busy machine
    cpu_ratio_vs_fetch_seq: cheaper(lib, "fetch", "seq"),
    cpu_ratio_vs_effect_floor_seq: cheaper(lib, "effect-floor", "seq"),
    cpu_ratio_vs_effect_floor_c64: cheaper(lib, "effect-floor", "c64"),
    cpu_ratio_vs_wechat_oauth: cheaper(undici, "wechat-oauth", "seq"),
    cpu_ratio_vs_co_wechat_oauth: cheaper(undici, "co-wechat-oauth", "seq"),
    login_cpu_us_seq: round(cpu(lib, "seq"), 0),
    sign_us: round(sign(lib), 2),
    sign_us_wechat_api: round(sign("wechat-api"), 2),
    sign_us_floor: round(sign("floor"), 2),
    cached_read_us: round(extras.cachedReadMicros, 2),
    errors: rows.reduce((n, r) => n + r.errors, extras.errors),
    bad_request_counts: rows.reduce((n, r) => n + r.badRequestCounts, 0),
    quick: meta.quick,
    seconds: Math.round(meta.seconds)
  }
}

export type Summary = ReturnType<typeof summarize>

const pad = (s: string, n: number, right = false) => (right ? s.padStart(n) : s.padEnd(n))
const num = (x: number | undefined, digits = 0) => (x === undefined || !Number.isFinite(x) ? "–" : x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }))

/** A plain-text table (GitHub-flavoured Markdown, so it pastes into docs as is). */
export const table = (rows: ReadonlyArray<Row>): string => {
  const header = ["work", "contender", "ops/s", "µs/op", "p50 ms", "p99 ms", "CPU µs/op", "fake CPU µs/op", "conns", "errors"]
  const lines = rows.map((r) => [
    r.group === "sign" ? "sign" : `${r.group === "layers" ? "layer" : "login"} ${r.mode}`,
    r.label,
    num(r.throughput),
    num(r.microsPerOp, r.group === "sign" ? 2 : 0),
    num(r.p50Ms, 3),
    num(r.p99Ms, 3),
    num(r.cpuMicrosPerOp, r.group === "sign" ? 2 : 0),
    num(r.fakeCpuMicrosPerOp),
    num(r.maxConnections),
    `${r.errors}${r.badRequestCounts > 0 ? ` (${r.badRequestCounts} runs with extra requests)` : ""}`
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const fmt = (cells: ReadonlyArray<string>) => `| ${cells.map((c, i) => pad(c, widths[i]!, i >= 2)).join(" | ")} |`
  return [fmt(header), `|${widths.map((w, i) => (i >= 2 ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`, ...lines.map(fmt)].join("\n")
}
