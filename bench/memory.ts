/**
 * The cold-cache stampede and the heap kept: what stays reachable after full collections
 * (node --expose-gc). The login heap is measured in a process of its own
 * (bench/heap-process.ts), so that nothing an earlier phase left behind is released while
 * it measures.
 */
import * as Bench from "#bench-compat"
import { Effect, Redacted } from "effect"
import { AccessTokenProvider, WechatClient } from "effect-wechat"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { Control, Fake } from "./fake.js"
import { heapAfterGc, timeLogins } from "./harness.js"
import { appAt, type Factory } from "./login.js"

const MB = 1e6

const libraryRuntime = (base: string) => {
  return Bench.runtimeOf(WechatClient.layer(appAt(base), { httpClient: Bench.fetchLayer, retry: false }))
}

export interface Stampede {
  /** `cgi-bin/stable_token` requests the fake answered. */
  readonly upstream: number
  readonly ms: number
}

/** `gets` concurrent `AccessTokenProvider.get` (each its own `runPromise`) on a fresh, empty store. */
export const stampede = async (fake: Fake, gets: number): Promise<Stampede> => {
  const { dispose, run } = await libraryRuntime(fake.url)
  const before = await fake.calls("cgi-bin/stable_token")
  const started = performance.now()
  const tokens = await Promise.all(Array.from({ length: gets }, () => run(AccessTokenProvider.get)))
  const ms = performance.now() - started
  const upstream = (await fake.calls("cgi-bin/stable_token")) - before
  await dispose()
  const distinct = new Set(tokens.map((t) => Redacted.value(t))).size
  if (distinct !== 1) throw new Error(`the stampede saw ${distinct} different tokens`)
  return { upstream, ms }
}

/**
 * A clock `advance` moves forward: the real one plus an offset. Timers (`sleep`) stay real,
 * so only what the library reads the time for (expiry in the `TokenStore`) sees the jump.
 */
const shiftedClock = Bench.shiftedClock

/** Past everything the library keeps for a login: the duplicate window (at most 5 minutes) and the failure cache. */
const PAST_THE_WINDOW_MS = 10 * 60_000

export interface LoginHeap {
  readonly contender: string
  /** Logins measured (after the warm-up), in batches. */
  readonly logins: number
  readonly batches: number
  /**
   * Heap the logins hold while inside their duplicate window, MB per 10,000 logins: the
   * growth over each batch, before the clock moves, averaged.
   */
  readonly liveMbPer10k: number
  /**
   * Heap kept once every window has passed, MB per 10,000 logins: the growth from the
   * first reading to the last, each taken after the contender's clock moved past the
   * window (Effect contenders) and one more login (the memory store sweeps what expired
   * as it writes).
   */
  readonly keptMbPer10k: number
  readonly errors: number
}

/**
 * Heap per login, 64 in flight. A warm-up (connections opened, code optimized, its
 * results expired) comes first; then batches, each with its own codes, read twice: right
 * after its logins and once their window has passed. Readings are taken between batches,
 * with no batch's inputs still reachable, so growth is what the contender keeps, and
 * what a single reading would have mixed in (code being optimized or thrown away as the
 * warm-up settles, a run's own inputs) cancels out.
 */
export const loginHeap = async (
  fake: Control,
  factory: Factory,
  sizes: { readonly warmup: number; readonly logins: number; readonly batches: number }
): Promise<LoginHeap> => {
  const { advance, clock } = shiftedClock()
  const contender = await factory(fake.url, clock)
  let errors = 0
  const logIn = async (n: number, concurrency: number) => {
    errors += (await timeLogins(contender.login, await fake.codes(n), concurrency)).errors
  }
  const passTheWindow = () => {
    advance(PAST_THE_WINDOW_MS)
    return logIn(1, 1)
  }
  const batch = Math.ceil(sizes.logins / sizes.batches)
  await logIn(sizes.warmup, 64)
  await passTheWindow()
  const first = await heapAfterGc(20)
  let settled = first
  let live = 0
  for (let i = 0; i < sizes.batches; i++) {
    await logIn(batch, 64)
    live += (await heapAfterGc()) - settled
    await passTheWindow()
    settled = await heapAfterGc()
  }
  await contender.close()
  const per10k = (bytes: number) => (bytes / MB) * (10_000 / (batch * sizes.batches))
  return {
    contender: contender.id,
    logins: batch * sizes.batches,
    batches: sizes.batches,
    liveMbPer10k: per10k(live),
    keptMbPer10k: per10k(settled - first),
    errors
  }
}

export interface ReadHeap {
  readonly reads: number
  /** Heap kept after the reads, MB. */
  readonly mb: number
  /** Cost of one cached read, µs. */
  readonly microsPerRead: number
}

/** Heap kept by `reads` cached `AccessTokenProvider.get` in one Effect program. */
export const readHeap = async (fake: Fake, reads: number): Promise<ReadHeap> => {
  const { dispose, run } = await libraryRuntime(fake.url)
  await run(AccessTokenProvider.get)
  const loop = Effect.gen(function*() {
    for (let i = 0; i < reads; i++) yield* AccessTokenProvider.get
  })
  const before = await heapAfterGc(20)
  const started = performance.now()
  await run(loop)
  const ms = performance.now() - started
  const after = await heapAfterGc()
  await dispose()
  return { reads, mb: (after - before) / MB, microsPerRead: (ms * 1000) / reads }
}

/** The flags every bench process runs with (package.json's `bench` / `bench:v4` script): the kernel's edition. */
export const NODE_FLAGS = Bench.NODE_FLAGS

/** {@link loginHeap} of the contender `id` in a fresh process (bench/heap-process.ts). */
export const loginHeapInProcess = (
  fake: Fake,
  id: string,
  sizes: { readonly warmup: number; readonly logins: number; readonly batches: number }
): Promise<LoginHeap> =>
  new Promise((resolve, reject) => {
    const entry = fileURLToPath(new URL("./heap-process.ts", import.meta.url))
    const args = [...NODE_FLAGS, entry, fake.url, id, String(sizes.warmup), String(sizes.logins), String(sizes.batches)]
    execFile(process.execPath, args, { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error !== null) return reject(new Error(`heap of ${id}: ${error.message}\n${stderr}`))
      resolve(JSON.parse(stdout.trim().split("\n").at(-1)!) as LoginHeap)
    })
  })
