/**
 * `npm run bench [-- --quick] [--json] [--only login,layers,sign,memory] [--out file]`:
 * effect-wechat against a hand-written fetch loop, an Effect floor and the npm peers, with
 * FakeWechat in a child process on 127.0.0.1. Warms every contender up, then interleaves
 * them run by run (rotating the order each repetition, fresh codes and a full GC before
 * each run) and reports medians: throughput, p50/p99 latency, client CPU per operation,
 * the fake's CPU, connections opened; then the stampede and the heap kept. Prints a table,
 * writes bench/results.json (bench/results.quick.json for --quick) and, with --json, prints
 * the summary as one JSON object on the last line. Method and results:
 * docs/performance.md. Timing goals live here, never in unit tests.
 *
 * `npm run bench:v4 [-- …]` runs the same on the Effect 4 edition (Node 22, the v4
 * conditions and `v4/node-hooks.mjs`; the kernel `#bench-compat` picks Effect 4's clients)
 * and writes bench/results.v4.json (bench/results.v4.quick.json); the peers, the fetch loop
 * and the fake (Effect 3, in its own process) are the same in both runs.
 */
import * as Bench from "#bench-compat"
import { writeFileSync } from "node:fs"
import { cpus, freemem, loadavg, totalmem } from "node:os"
import { FULL, QUICK, type Sizes } from "./config.js"
import { type Fake, start } from "./fake.js"
import { collect, rotate, timeCalls, timeLogins } from "./harness.js"
import { executeLayer, fnLayer, retryLayer, runPromiseLayer, timeoutLayer, tracedClientLayer } from "./layers.js"
import {
  type Contender,
  type Factory,
  fetchContender,
  floorContender,
  floorNodeContender,
  floorUndiciContender,
  libraryContender,
  libraryNodeContender,
  libraryUndiciContender
} from "./login.js"
import { loginHeapInProcess, readHeap, stampede } from "./memory.js"
import { coWechatOauthContender, wechatOauthContender } from "./peers.js"
import { aggregate, type Sample, sampleOf, summarize, table } from "./report.js"
import { floorSigner, libraryRunPromiseSigner, librarySigner, type Signer, wechatApiSigner } from "./sign.js"

const args = process.argv.slice(2)
const option = (name: string) => {
  const i = args.indexOf(name)
  return i === -1 ? undefined : args[i + 1]
}
const quick = args.includes("--quick")
const json = args.includes("--json")
// a quick run never overwrites the full run's results (the ones docs/performance.md quotes),
// and the Effect 4 run (`npm run bench:v4`) never overwrites the Effect 3 one's
const edition = Bench.edition === "v3" ? "" : `.${Bench.edition}`
const out = option("--out") ?? new URL(quick ? `./results${edition}.quick.json` : `./results${edition}.json`, import.meta.url)
const sizes: Sizes = quick ? QUICK : FULL
const PHASES = ["login", "layers", "sign", "memory"] as const
type Phase = (typeof PHASES)[number]
/** `--only login,sign`: some phases only, e.g. while tuning one path (the summary then has nulls). */
const only = option("--only")?.split(",")
const unknown = only?.filter((p) => !(PHASES as ReadonlyArray<string>).includes(p)) ?? []
if (unknown.length > 0) throw new Error(`unknown phase ${unknown.join(", ")}: --only takes ${PHASES.join(", ")}`)
const phases = new Set<Phase>(only === undefined ? (quick ? ["login", "sign", "memory"] : PHASES) : PHASES.filter((p) => only.includes(p)))

const t0 = performance.now()
/** Progress goes to stderr (stdout is the table and, last, the JSON line), with the time so far. */
const progress = (line: string) => process.stderr.write(`bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s: ${line}\n`)

const MAIN: ReadonlyArray<Factory> = [
  fetchContender,
  floorContender,
  libraryContender,
  floorUndiciContender,
  libraryUndiciContender,
  ...(sizes.extras ? [floorNodeContender, libraryNodeContender] : []),
  wechatOauthContender,
  coWechatOauthContender
]
/** Built up one layer at a time (bench/layers.ts); fetch, the floor and the library come from MAIN. */
const LAYERS: ReadonlyArray<Factory> = [runPromiseLayer, tracedClientLayer, timeoutLayer, executeLayer, fnLayer, retryLayer]
const LAYER_ORDER = ["fetch", "l-runpromise", "effect-floor", "l-client-traced", "l-timeout", "l-execute", "l-fn", "effect-wechat", "l-retry"]
const SIGNERS = [floorSigner, librarySigner, wechatApiSigner]
const MODES = [{ mode: "seq", concurrency: 1 }, { mode: "c64", concurrency: 64 }] as const

const samples: Array<Sample> = []
const labels = new Map<string, string>()

const timedLoginRun = async (
  fake: Fake,
  contender: Contender,
  group: "login" | "layers",
  mode: "seq" | "c64",
  concurrency: number,
  n: number,
  repetition: number
) => {
  const logins = await fake.codes(n)
  const before = { exchanges: await fake.calls("sns/oauth2/access_token"), profiles: await fake.calls("sns/userinfo"), stats: await fake.stats() }
  collect()
  const timed = await timeLogins(contender.login, logins, concurrency)
  const stats = await fake.stats()
  const requests = (await fake.calls("sns/oauth2/access_token")) - before.exchanges + (await fake.calls("sns/userinfo")) - before.profiles
  const sample = sampleOf({ group, contender: contender.id, mode, repetition }, timed, {
    fakeCpuMicros: stats.cpuMicros - before.stats.cpuMicros,
    connections: stats.connections - before.stats.connections,
    requests
  })
  if (sample.errors > 0) progress(`  ${contender.id} ${mode}: ${sample.errors} failed logins, first: ${sample.firstError}`)
  samples.push(sample)
}

const loginPhase = async (fake: Fake) => {
  const contenders = new Map<string, Contender>()
  const build = async (factory: Factory) => {
    const c = await factory(fake.url)
    contenders.set(c.id, c)
    labels.set(c.id, c.label)
    return c
  }
  const main: Array<Contender> = []
  for (const factory of MAIN) main.push(await build(factory))
  if (phases.has("layers")) for (const factory of LAYERS) await build(factory)
  const used = [...contenders.values()].filter((c) => (phases.has("login") && main.includes(c)) || (phases.has("layers") && LAYER_ORDER.includes(c.id)))
  progress(`warming up ${used.length} login contenders`)
  for (const c of used) {
    for (const { concurrency } of MODES) await timeLogins(c.login, await fake.codes(sizes.warmupLogins), concurrency)
  }
  if (phases.has("login")) {
    for (let r = 0; r < sizes.repetitions; r++) {
      progress(`login repetition ${r + 1}/${sizes.repetitions}`)
      for (const { concurrency, mode } of MODES) {
        for (const c of rotate(main, r)) await timedLoginRun(fake, c, "login", mode, concurrency, sizes.logins, r)
      }
    }
  }
  if (phases.has("layers")) {
    const layered = LAYER_ORDER.map((id) => contenders.get(id)!)
    for (let r = 0; r < sizes.repetitions; r++) {
      progress(`per-layer repetition ${r + 1}/${sizes.repetitions}`)
      for (const c of rotate(layered, r)) await timedLoginRun(fake, c, "layers", "seq", 1, sizes.layerLogins, r)
    }
  }
  for (const c of contenders.values()) await c.close()
}

const signPhase = async (fake: Fake) => {
  const signers: Array<Signer> = []
  for (const factory of sizes.extras ? [...SIGNERS, libraryRunPromiseSigner] : SIGNERS) signers.push(await factory(fake.url))
  for (const s of signers) {
    labels.set(`sign:${s.id}`, s.label)
    await s.run(new Float64Array(Math.ceil(sizes.signCalls / 5))) // warm-up
  }
  for (let r = 0; r < sizes.repetitions; r++) {
    progress(`signing repetition ${r + 1}/${sizes.repetitions}`)
    for (const s of rotate(signers, r)) {
      collect()
      samples.push(sampleOf({ group: "sign", contender: s.id, mode: "sign", repetition: r }, await timeCalls(sizes.signCalls, s.run)))
    }
  }
  for (const s of signers) await s.close()
}

const memoryPhase = async (fake: Fake) => {
  const stampedes = []
  for (let i = 0; i < sizes.stampedes; i++) {
    progress(`stampede ${i + 1}/${sizes.stampedes}: ${sizes.stampedeGets.toLocaleString("en-US")} cold concurrent gets`)
    stampedes.push(await stampede(fake, sizes.stampedeGets))
  }
  progress(`heap: ${sizes.heapReads.toLocaleString("en-US")} cached reads`)
  const reads = await readHeap(fake, sizes.heapReads)
  // the library, and in a full run what it is compared with (the library on other clients keeps the same)
  const heapContenders = sizes.extras ? ["fetch", "effect-floor", "effect-wechat", "wechat-oauth", "co-wechat-oauth"] : ["effect-wechat"]
  const logins = []
  for (const id of heapContenders) {
    const measured = await loginHeapInProcess(fake, id, { warmup: sizes.heapWarmup, logins: sizes.heapLogins, batches: sizes.heapBatches })
    if (measured.errors > 0) progress(`  ${measured.contender}: ${measured.errors} failed logins while measuring its heap`)
    progress(`heap: ${measured.logins.toLocaleString("en-US")} logins of ${measured.contender}: per 10,000 ${measured.liveMbPer10k.toFixed(2)} MB inside the window, ${measured.keptMbPer10k.toFixed(2)} MB kept`)
    logins.push(measured)
  }
  return { stampedes, reads, logins }
}

const machine = () => ({
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  memoryGb: Number((totalmem() / 2 ** 30).toFixed(1)),
  freeMemoryGb: Number((freemem() / 2 ** 30).toFixed(1)),
  loadavg: loadavg().map((x) => Number(x.toFixed(2))),
  node: process.version,
  platform: `${process.platform} ${process.arch}`
})

const main = async () => {
  const machineAtStart = machine()
  progress(`${quick ? "quick" : "full"} run on ${machineAtStart.cores} × ${machineAtStart.cpu}, load ${machineAtStart.loadavg.join(" ")}`)
  const fake = await start()
  try {
    if (phases.has("login") || phases.has("layers")) await loginPhase(fake)
    if (phases.has("sign")) await signPhase(fake)
    const memory = phases.has("memory") ? await memoryPhase(fake) : { stampedes: [], reads: undefined, logins: [] }
    const rows = aggregate(samples, labels)
    const summary = summarize(rows, {
      stampedeUpstream: memory.stampedes.map((s) => s.upstream),
      readHeapMb: memory.reads?.mb ?? NaN,
      cachedReadMicros: memory.reads?.microsPerRead ?? NaN,
      loginHeapMbPer10k: Object.fromEntries(memory.logins.map((l) => [l.contender, l.keptMbPer10k])),
      loginLiveHeapMbPer10k: Object.fromEntries(memory.logins.map((l) => [l.contender, l.liveMbPer10k])),
      errors: memory.logins.reduce((n, l) => n + l.errors, 0)
    }, { quick, seconds: (performance.now() - t0) / 1000 })
    if (rows.length > 0) console.log(table(rows))
    for (const s of memory.stampedes) console.log(`stampede: ${s.upstream} upstream request(s) in ${s.ms.toFixed(0)} ms`)
    if (memory.reads !== undefined) {
      console.log(`cached token read: ${memory.reads.microsPerRead.toFixed(2)} µs; heap kept over ${memory.reads.reads.toLocaleString("en-US")} reads: ${memory.reads.mb.toFixed(3)} MB`)
    }
    for (const l of memory.logins) {
      console.log(`heap per 10,000 logins, ${l.contender}: ${l.keptMbPer10k.toFixed(2)} MB kept after the duplicate window, ${l.liveMbPer10k.toFixed(2)} MB inside it`)
    }
    const fakeAtEnd = await fake.stats()
    writeFileSync(out, JSON.stringify({
      date: new Date().toISOString(),
      machine: { ...machineAtStart, loadavgAtEnd: machine().loadavg },
      fake: { cpuSeconds: fakeAtEnd.cpuMicros / 1e6, connections: fakeAtEnd.connections, heapMbAtEnd: fakeAtEnd.heapBytes / 1e6 },
      sizes,
      phases: [...phases],
      summary,
      rows,
      stampedes: memory.stampedes,
      heap: { reads: memory.reads, logins: memory.logins },
      samples
    }, null, 2) + "\n")
    if (json) console.log(JSON.stringify(summary))
  } finally {
    await fake.close()
  }
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
