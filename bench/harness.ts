/**
 * The measuring loop, shared by every contender so that none pays for more or less of it:
 * a fixed pool of `concurrency` workers pulling logins from a list, one `performance.now()`
 * pair per operation, `process.cpuUsage()` around the whole run, a result check per login.
 */
import { getHeapSpaceStatistics } from "node:v8"
import type { Login } from "./fake.js"

/** One login: exchange the code, read the profile, resolve with the nickname. */
export type LoginFn = (code: string, binding: string) => Promise<string>

export interface Timed {
  readonly ops: number
  readonly wallMs: number
  /** Client process CPU (user + system) over the run, µs. */
  readonly cpuMicros: number
  /** Per-operation latency, ms, sorted. */
  readonly latencies: Float64Array
  readonly errors: number
  readonly firstError: string | undefined
}

const describe = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e))

/**
 * Runs every login once, `concurrency` at a time. A login that throws or yields another
 * nickname than its user's counts as an error (an errcode answer parsed as JSON would
 * otherwise look like a fast login).
 */
export const timeLogins = async (
  login: LoginFn,
  logins: ReadonlyArray<Login>,
  concurrency: number,
  latencies: Float64Array = new Float64Array(logins.length)
): Promise<Timed> => {
  let next = 0
  let errors = 0
  let firstError: string | undefined
  const worker = async () => {
    while (next < logins.length) {
      const i = next++
      const { binding, code, nickname } = logins[i]!
      const started = performance.now()
      try {
        const got = await login(code, binding)
        if (got !== nickname) {
          errors++
          firstError ??= `wrong nickname ${JSON.stringify(got)}`
        }
      } catch (e) {
        errors++
        firstError ??= describe(e)
      }
      latencies[i] = performance.now() - started
    }
  }
  const cpu = process.cpuUsage()
  const started = performance.now()
  await Promise.all(Array.from({ length: Math.min(concurrency, logins.length) }, worker))
  const wallMs = performance.now() - started
  const used = process.cpuUsage(cpu)
  return { ops: logins.length, wallMs, cpuMicros: used.user + used.system, latencies: latencies.sort(), errors, firstError }
}

/**
 * Times a contender that drives its own loop of `n` calls (the signing contenders: see
 * bench/sign.ts), filling `latencies` (ms) as it goes.
 */
export const timeCalls = async (n: number, run: (latencies: Float64Array) => Promise<void>): Promise<Timed> => {
  const latencies = new Float64Array(n)
  const cpu = process.cpuUsage()
  const started = performance.now()
  let errors = 0
  let firstError: string | undefined
  try {
    await run(latencies)
  } catch (e) {
    errors++
    firstError = describe(e)
  }
  const wallMs = performance.now() - started
  const used = process.cpuUsage(cpu)
  return { ops: n, wallMs, cpuMicros: used.user + used.system, latencies: latencies.sort(), errors, firstError }
}

/** The `q` quantile (0..1) of sorted values, nearest rank. */
export const quantile = (sorted: ArrayLike<number>, q: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!

export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length === 0 ? NaN : sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Full collections before a measurement (run node with --expose-gc). */
export const collect = () => {
  const gc = globalThis.gc
  if (gc === undefined) throw new Error("run node with --expose-gc (npm run bench does)")
  gc()
  gc()
}

/**
 * Heap in use after full collections, bytes, compiled code excepted. Between collections
 * the event loop turns, so that `FinalizationRegistry` callbacks run (`@effect/platform`'s
 * client registers every response, and a registry holds its entries until its callback
 * has run) and timers that were due fire: what is left is what the program keeps, not what
 * it has not yet released. Code space is left out: V8 compiles and throws away code as it
 * warms up (half a megabyte either way between two readings), which is not data kept.
 * More `rounds` let what V8 ages out over collections (its compilation cache, code of
 * earlier phases) go before a first reading.
 */
export const heapAfterGc = async (rounds = 3): Promise<number> => {
  for (let i = 0; i < rounds; i++) {
    collect()
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  collect()
  const code = getHeapSpaceStatistics().find((s) => s.space_name === "code_space")?.space_used_size ?? 0
  return process.memoryUsage().heapUsed - code
}

/** `order` rotated by `r`, so that each contender takes each position in turn. */
export const rotate = <A>(order: ReadonlyArray<A>, r: number): ReadonlyArray<A> => {
  const k = r % order.length
  return [...order.slice(k), ...order.slice(0, k)]
}
