/**
 * `npm run soak -- --seconds N` (default 60, at most 3600): mixed traffic with random faults
 * through every endpoint, the token providers (classic and stable, over Redis), the JS-SDK
 * ticket cache and the bound code exchange (with duplicate and replayed callbacks), against
 * `FakeWechat.serve` and a real redis-server, both on loopback (issue 9, item 9).
 *
 * Prints calls, typed errors by tag, defects (must be 0), replay violations (must be 0),
 * RSS and active handles at the start (after a warm-up) and at the end. The last line is
 * one JSON object: `calls`, `defects`, `rss_growth_mb`, `handles_growth` (and more). Exits
 * non-zero when there is a defect or a violation.
 *
 * A defect is anything that is not a value or a typed error: a `Cause.die`, an
 * interruption, an untyped failure, a call still running 30 s after it started (a hang), an
 * unhandled rejection or an uncaught exception. A violation is a security invariant broken
 * under faults: a replayed callback (another binding) that got a token after the code was
 * redeemed, or two duplicate callbacks (or mini-program logins) of one binding that got
 * different tokens (session keys).
 */
import { FetchHttpClient, HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Cause, Context, Effect, Exit, Layer, Option, Redacted, Scope } from "effect"
import { AccessTokenProvider, BasicToken, JsSdk, MiniProgram, Sns, TokenStore, WechatConfig, WechatError } from "effect-wechat"
import { RedisTokenStore } from "effect-wechat/redis"
import { FakeWechat } from "effect-wechat/testing"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { startRedis } from "../test/support/redisServer.js"

const MAX_SECONDS = 3600

const usage = "usage: npm run soak -- [--seconds N (1..3600, default 60)] [--concurrency N (1..256, default 8)]"

const parseArgs = (argv: ReadonlyArray<string>) => {
  let seconds = 60
  let concurrency = 8
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const eq = arg.indexOf("=")
    const name = eq === -1 ? arg : arg.slice(0, eq)
    const value = () => (eq === -1 ? argv[++i] : arg.slice(eq + 1))
    if (name === "--seconds") seconds = Number(value())
    else if (name === "--concurrency") concurrency = Number(value())
    else if (name === "--help" || name === "-h") {
      console.log(usage)
      process.exit(0)
    } else throw new Error(`unknown argument ${arg}\n${usage}`)
  }
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > MAX_SECONDS) throw new Error(`--seconds must be between 1 and ${MAX_SECONDS}\n${usage}`)
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new Error(`--concurrency must be a whole number from 1 to 256\n${usage}`)
  return { seconds, concurrency }
}

const APP = { appId: "wx50a4c0de00000001", appSecret: "soak-secret-000000000000000000001", authorizedDomains: ["example.com"] }
/** The client's per-request timeout. */
const TIMEOUT = "1 second"
/** A call still running this long after it started is a hang. */
const HANG = "30 seconds"
const QUOTA = 1_000_000_000

const ENDPOINTS = [
  "sns/oauth2/access_token",
  "sns/oauth2/refresh_token",
  "sns/auth",
  "sns/userinfo",
  "sns/jscode2session",
  "cgi-bin/token",
  "cgi-bin/stable_token",
  "cgi-bin/ticket/getticket"
]

/** Armed on every endpoint: together ~12% of requests fail, in every way the fake knows. */
const FAULTS: ReadonlyArray<FakeWechat.Fault & FakeWechat.FaultSchedule> = [
  { fault: "latency", millis: 50, probability: 0.02 },
  { fault: "latency", millis: 1500, probability: 0.005 }, // past the timeout
  { fault: "reset", probability: 0.015 },
  { fault: "status", probability: 0.01 },
  { fault: "status", status: 429, probability: 0.005 },
  { fault: "empty", probability: 0.01 },
  { fault: "truncated", probability: 0.01 },
  { fault: "errcode", errcode: 40001, errmsg: "invalid credential", probability: 0.01 },
  { fault: "errcode", probability: 0.005 },
  { fault: "busy", probability: 0.015 },
  { fault: "rateLimit", probability: 0.005 },
  { fault: "controlChars", probability: 0.005 }
]

type Gc = (options?: { readonly type: "major"; readonly execution: "sync"; readonly flavor: "last-resort" }) => void

const gc: Gc = (() => {
  const global = globalThis as { gc?: Gc }
  if (typeof global.gc === "function") return global.gc
  setFlagsFromString("--expose-gc")
  return runInNewContext("gc") as Gc
})()

const snapshot = async () => {
  // full collections, a pause for what they free to settle, then one that hands freed pages
  // back to the OS, so that RSS is comparable between the two snapshots
  gc()
  gc()
  await new Promise((r) => setTimeout(r, 500))
  gc()
  gc({ type: "major", execution: "sync", flavor: "last-resort" })
  gc()
  const resources = process.getActiveResourcesInfo()
  const byType: Record<string, number> = {}
  for (const r of resources) byType[r] = (byType[r] ?? 0) + 1
  const memory = process.memoryUsage()
  return { rss: memory.rss, heapUsed: memory.heapUsed, handles: resources.length, byType }
}

const mb = (bytes: number) => Math.round(bytes / 100_000) / 10

interface Stats {
  calls: number
  ok: number
  errors: Record<string, number>
  defects: number
  hangs: number
  violations: number
  byOperation: Record<string, number>
  samples: Array<string>
}

const main = async () => {
  const { seconds, concurrency } = parseArgs(process.argv.slice(2))
  const stats: Stats = { calls: 0, ok: 0, errors: {}, defects: 0, hangs: 0, violations: 0, byOperation: {}, samples: [] }
  /** A few defect descriptions, secrets removed. */
  const sample = (text: string) => {
    if (stats.samples.length < 5) stats.samples.push(text.split(APP.appSecret).join("<redacted>").slice(0, 300))
  }
  process.on("unhandledRejection", (reason) => {
    stats.defects++
    sample(`unhandled rejection: ${String(reason)}`)
  })
  process.on("uncaughtException", (error) => {
    stats.defects++
    sample(`uncaught exception: ${error.message}`)
  })

  const redis = await startRedis()
  const scope = Effect.runSync(Scope.make())
  const run = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) => Effect.runPromise(Scope.extend(effect, scope))
  try {
    const fake = await Effect.runPromise(FakeWechat.make({
      apps: [APP],
      dailyQuota: { "cgi-bin/token": QUOTA, "cgi-bin/stable_token": QUOTA, "cgi-bin/stable_token#force": QUOTA },
      minuteQuota: Object.fromEntries(ENDPOINTS.map((e) => [e, QUOTA])),
      userMinuteQuota: { "sns/jscode2session": QUOTA },
      // short lives, so the providers refresh (and lock in Redis) during the run
      lifetimes: { basicToken: 15, ticket: 15 }
    }))
    const address = await run(FakeWechat.serve().pipe(Effect.provideService(FakeWechat, fake)))
    const users = await Effect.runPromise(Effect.all(Array.from({ length: 32 }, (_, i) => fake.addUser({ nickname: `soak ${i}\u0007` }))))

    // the app under test: one Redis store for everything; fetch, and Node's client for some calls
    const app = await run(Layer.build(Layer.mergeAll(
      WechatConfig.layer({ appId: APP.appId, appSecret: APP.appSecret, apiBaseUrl: address.url, openBaseUrl: address.url, timeout: TIMEOUT }),
      RedisTokenStore.layer({ url: redis.url, timeout: "1 second" }),
      FetchHttpClient.layer
    )))
    const nodeClient = Context.get(await run(Layer.build(NodeHttpClient.layer)), HttpClient.HttpClient)
    const providerOptions = { refreshMargin: "3 seconds", lockTtl: "3 seconds", lockWait: "5 seconds" } as const
    const classic = await run(AccessTokenProvider.make({ source: "classic", ...providerOptions }).pipe(Effect.provide(app)))
    const stable = await run(AccessTokenProvider.make({ source: "stable", ...providerOptions }).pipe(Effect.provide(app)))
    const tickets = await run(JsSdk.makeTicketProvider({ refreshMargin: "3 seconds" }).pipe(
      Effect.provide(app),
      Effect.provideService(AccessTokenProvider.AccessTokenProvider, stable)
    ))
    for (const endpoint of ENDPOINTS) {
      for (const fault of FAULTS) await Effect.runPromise(fake.inject(endpoint, fault))
    }

    type Env = HttpClient.HttpClient | WechatConfig.WechatConfig | TokenStore.TokenStore
    /** One library call: counted, classified, bounded by HANG. */
    const call = <A, E>(operation: string, effect: Effect.Effect<A, E, Env>): Effect.Effect<Option.Option<A>> =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(Effect.timeout(Effect.provide(effect, app), HANG))
        stats.calls++
        stats.byOperation[operation] = (stats.byOperation[operation] ?? 0) + 1
        if (Exit.isSuccess(exit)) {
          stats.ok++
          return Option.some(exit.value)
        }
        const failure = Cause.failureOption(exit.cause)
        if (Cause.isDie(exit.cause) || Option.isNone(failure)) {
          stats.defects++
          sample(`${operation}: ${Cause.pretty(exit.cause).split("\n")[0]}`)
          return Option.none()
        }
        const error = failure.value as { readonly _tag?: unknown }
        if (error._tag === "TimeoutException") {
          stats.hangs++
          stats.defects++
          sample(`${operation}: still running after ${HANG}`)
        } else if (WechatError.isWechatError(error) || error._tag === "TokenStoreError") {
          const tag = String(error._tag)
          stats.errors[tag] = (stats.errors[tag] ?? 0) + 1
        } else {
          stats.defects++
          sample(`${operation}: untyped failure ${String(error._tag ?? error)}`)
        }
        return Option.none()
      })
    const viaNode = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provideService(effect, HttpClient.HttpClient, nodeClient)
    const pick = <A>(xs: ReadonlyArray<A>) => xs[Math.floor(Math.random() * xs.length)]!
    let sessions = 0

    /** A web login: exchange (with duplicate and replayed callbacks), profile, check, refresh. */
    const login = Effect.gen(function*() {
      const user = pick(users)
      const code = yield* Effect.orDie(fake.authorize({ appId: APP.appId, userId: user.id, scope: "snsapi_userinfo" }))
      const binding = `soak-session-${++sessions}`
      const duplicate = Math.random() < 0.3
      const [first, twin] = yield* Effect.all([
        call("Sns.exchangeCode", Sns.exchangeCode(code, { binding })),
        duplicate ? call("Sns.exchangeCode (duplicate)", Sns.exchangeCode(code, { binding })) : Effect.succeed(Option.none())
      ], { concurrency: 2 })
      if (Option.isSome(first) && Option.isSome(twin) && Redacted.value(first.value.accessToken) !== Redacted.value(twin.value.accessToken)) {
        stats.violations++
        sample("two duplicate callbacks of one binding got different tokens")
      }
      if (Option.isSome(first) && Math.random() < 0.2) {
        // a replayed callback URL, from another browser: must never log in
        const replay = yield* call("Sns.exchangeCode (replay)", Sns.exchangeCode(code, { binding: `${binding}-other` }))
        if (Option.isSome(replay)) {
          stats.violations++
          sample("a replayed callback (another binding) got a token")
        }
      }
      if (Option.isNone(first)) return
      const token = first.value
      const client = Math.random() < 0.5 ? viaNode : <A, E, R>(e: Effect.Effect<A, E, R>) => e
      yield* call("Sns.userInfo", client(Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })))
      yield* call("Sns.checkToken", client(Sns.checkToken({ accessToken: token.accessToken, openid: token.openid })))
      if (Math.random() < 0.5) yield* call("Sns.refreshToken", client(Sns.refreshToken(token.refreshToken)))
    })

    const miniProgram = Effect.gen(function*() {
      const user = pick(users)
      const jsCode = yield* Effect.orDie(fake.miniProgramLogin({ appId: APP.appId, userId: user.id }))
      const binding = `soak-mp-${++sessions}`
      const [first, twin] = yield* Effect.all([
        call("MiniProgram.code2Session", MiniProgram.code2Session(jsCode, { binding })),
        Math.random() < 0.2
          ? call("MiniProgram.code2Session (duplicate)", MiniProgram.code2Session(jsCode, { binding }))
          : Effect.succeed(Option.none())
      ], { concurrency: 2 })
      if (Option.isSome(first) && Option.isSome(twin) && Redacted.value(first.value.sessionKey) !== Redacted.value(twin.value.sessionKey)) {
        stats.violations++
        sample("two duplicate mini-program logins of one binding got different session keys")
      }
    })

    const operations: ReadonlyArray<readonly [number, Effect.Effect<unknown>]> = [
      [30, login],
      [10, miniProgram],
      [12, call("AccessTokenProvider(classic).get", classic.get)],
      [12, call("AccessTokenProvider(stable).get", stable.get)],
      [8, call("AccessTokenProvider(stable).use(getTicket)", stable.use((accessToken) => JsSdk.getTicket({ accessToken })))],
      [12, Effect.suspend(() =>
        call("JsSdk.signPage", JsSdk.signPage(`https://example.com/page/${Math.floor(Math.random() * 100)}?x=1#/a`).pipe(
          Effect.provideService(JsSdk.TicketProvider, tickets)
        )))],
      [4, call("BasicToken.fetchStable", BasicToken.fetchStable())],
      [2, call("BasicToken.fetch", viaNode(BasicToken.fetch()))],
      [4, call("JsSdk.getTicket", Effect.flatMap(stable.get, (accessToken) => JsSdk.getTicket({ accessToken })))]
    ]
    const total = operations.reduce((n, [w]) => n + w, 0)
    const next = () => {
      let r = Math.random() * total
      for (const [w, op] of operations) {
        if ((r -= w) < 0) return op
      }
      return operations[0]![1]
    }
    const traffic = (until: number) =>
      Effect.all(
        Array.from({ length: concurrency }, () =>
          Effect.gen(function*() {
            while (Date.now() < until) yield* next()
          })),
        { concurrency: "unbounded", discard: true }
      )

    // the heap grows to its working size in the first ~30 s: the start is measured after that
    const warmUp = Math.min(30, Math.max(1, seconds * 0.25))
    console.log(`soak: ${seconds} s (warm-up ${warmUp} s included), ${concurrency} workers, fake at ${address.url}, redis at ${redis.url}`)
    const started = Date.now()
    await Effect.runPromise(traffic(started + warmUp * 1000))
    const measuring = Date.now()
    const start = await snapshot()
    const measured = Date.now() - measuring
    console.log(`start: RSS ${mb(start.rss)} MB (heap ${mb(start.heapUsed)} MB), active handles ${start.handles} ${JSON.stringify(start.byType)}`)
    await Effect.runPromise(traffic(started + measured + seconds * 1000))
    const trafficEnded = Date.now()
    // let sockets of the last calls go idle the way they would between bursts
    await new Promise((r) => setTimeout(r, 500))
    const end = await snapshot()
    console.log(`end:   RSS ${mb(end.rss)} MB (heap ${mb(end.heapUsed)} MB), active handles ${end.handles} ${JSON.stringify(end.byType)}`)

    /** Seconds of traffic (the start snapshot's pause excluded; calls still in flight at the deadline finish). */
    const elapsed = (trafficEnded - started - measured) / 1000
    const held = await Effect.runPromise(fake.state)
    console.log(`the in-process fake holds ${held.codes.length} codes and ${held.tickets.length} tickets (it never forgets: part of the heap growth is its own)`)
    console.log(`calls: ${stats.calls} in ${elapsed.toFixed(1)} s (${Math.round(stats.calls / elapsed)}/s), ok ${stats.ok}`)
    console.log(`calls by operation: ${JSON.stringify(stats.byOperation)}`)
    console.log(`typed errors by tag: ${JSON.stringify(Object.fromEntries(Object.entries(stats.errors).sort(([, a], [, b]) => b - a)))}`)
    console.log(`upstream requests: ${JSON.stringify(Object.fromEntries(await Effect.runPromise(Effect.all(ENDPOINTS.map((e) => Effect.map(fake.callCount(e), (n) => [e, n] as const))))))}`)
    console.log(`defects: ${stats.defects} (hangs ${stats.hangs}); violations: ${stats.violations}`)
    for (const s of stats.samples) console.log(`  ${s}`)
    const summary = {
      calls: stats.calls,
      ok: stats.ok,
      typed_errors: Object.values(stats.errors).reduce((a, b) => a + b, 0),
      defects: stats.defects,
      violations: stats.violations,
      seconds: Math.round(elapsed * 10) / 10,
      rss_start_mb: mb(start.rss),
      rss_end_mb: mb(end.rss),
      rss_growth_mb: mb(end.rss - start.rss),
      heap_growth_mb: mb(end.heapUsed - start.heapUsed),
      handles_start: start.handles,
      handles_end: end.handles,
      handles_growth: end.handles - start.handles
    }
    return summary
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await redis.stop()
  }
}

main().then(
  (summary) => {
    console.log(JSON.stringify(summary))
    process.exit(summary.defects > 0 || summary.violations > 0 ? 1 : 0)
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error))
    console.log(JSON.stringify({ calls: 0, defects: 1, rss_growth_mb: 0, handles_growth: 0, error: "the soak could not run" }))
    process.exit(2)
  }
)
