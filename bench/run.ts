/**
 * `npm run bench`: client overhead against a hand-written fetch loop, token-read cost and
 * the cold-cache stampede, all against FakeWechat on loopback. Prints a table and writes
 * bench/results.json. Timing goals live here, never in unit tests.
 */
import { FetchHttpClient } from "@effect/platform"
import { Effect, Layer, Redacted } from "effect"
import { writeFileSync } from "node:fs"
import { AccessTokenProvider, Sns, TokenStore, WechatConfig } from "effect-wechat"
import { FakeWechat } from "effect-wechat/testing"

const APP = { appId: "wx0000000000000017", appSecret: "bench-secret-0001", authorizedDomains: ["127.0.0.1"] }
const N = Number(process.env.BENCH_N ?? 2000)

const main = Effect.gen(function*() {
  const fake = yield* FakeWechat
  const address = yield* FakeWechat.serve({ port: 0 })
  const user = yield* fake.addUser({ nickname: "bench" })
  const codes = (n: number) => Effect.all(Array.from({ length: n }, () => fake.authorize({ appId: APP.appId, userId: user.id, scope: "snsapi_userinfo" })))
  const base = address.url

  const handWritten = (code: string) =>
    Effect.promise(async () => {
      const t = JSON.parse(await (await fetch(`${base}/sns/oauth2/access_token?appid=${APP.appId}&secret=${APP.appSecret}&code=${code}&grant_type=authorization_code`)).text())
      const u = JSON.parse(await (await fetch(`${base}/sns/userinfo?access_token=${t.access_token}&openid=${t.openid}&lang=zh_CN`)).text())
      if (typeof u.nickname !== "string") throw new Error("bad profile")
    })
  const client = Layer.mergeAll(FetchHttpClient.layer, WechatConfig.layer({ ...APP, apiBaseUrl: base, openBaseUrl: base }), TokenStore.layerMemory)
  const library = (code: string) =>
    Effect.gen(function*() {
      const token = yield* Sns.exchangeCode(code)
      yield* Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })
    }).pipe(Effect.orDie)

  const rows: Array<{ name: string; value: number; unit: string }> = []
  const throughput = <R>(name: string, concurrency: number, f: (code: string) => Effect.Effect<void, never, R>) =>
    Effect.gen(function*() {
      const list = yield* codes(N)
      const started = performance.now()
      yield* Effect.forEach(list, f, { concurrency, discard: true })
      const perSecond = N / ((performance.now() - started) / 1000)
      rows.push({ name, value: Math.round(perSecond), unit: "logins/s" })
      return perSecond
    })

  yield* throughput("warm-up", 8, handWritten)
  yield* throughput("warm-up", 8, library).pipe(Effect.provide(client))
  rows.length = 0
  const run = Effect.gen(function*() {
    for (const concurrency of [1, 64]) {
      const raw = yield* throughput(`fetch + JSON.parse, ${concurrency}-way`, concurrency, handWritten)
      const lib = yield* throughput(`effect-wechat, ${concurrency}-way`, concurrency, library)
      rows.push({ name: `ratio effect-wechat / fetch, ${concurrency}-way (target ≥ 0.9)`, value: Number((lib / raw).toFixed(2)), unit: "×" })
    }
  }).pipe(Effect.provide(client))
  yield* run

  // cached token reads and the cold-cache stampede
  const tokens = Effect.gen(function*() {
    yield* fake.addApp(APP)
    const provider = yield* AccessTokenProvider.AccessTokenProvider
    const before = yield* fake.callCount("cgi-bin/stable_token")
    yield* Effect.all(Array.from({ length: 10_000 }, () => provider.get), { concurrency: "unbounded", discard: true })
    rows.push({ name: "10,000 concurrent cold gets → upstream requests (target 1)", value: (yield* fake.callCount("cgi-bin/stable_token")) - before, unit: "requests" })
    globalThis.gc?.()
    const heap0 = process.memoryUsage().heapUsed
    const started = performance.now()
    for (let i = 0; i < 100_000; i++) Redacted.value(yield* provider.get)
    rows.push({ name: "cached token read", value: Math.round(100_000 / ((performance.now() - started) / 1000)), unit: "ops/s" })
    globalThis.gc?.()
    rows.push({ name: "heap growth over 100,000 reads", value: Number(((process.memoryUsage().heapUsed - heap0) / 1e6).toFixed(2)), unit: "MB" })
  }).pipe(Effect.provide(AccessTokenProvider.layer().pipe(Layer.provideMerge(client))))
  yield* tokens

  console.table(rows)
  writeFileSync(new URL("./results.json", import.meta.url), JSON.stringify({ date: new Date().toISOString(), node: process.version, n: N, rows }, null, 2) + "\n")
}).pipe(Effect.scoped, Effect.provide(FakeWechat.layerControl({ apps: [APP], minuteQuota: { "sns/oauth2/access_token": 1e9, "sns/userinfo": 1e9 } })))

Effect.runPromise(main).catch((e) => {
  console.error(e)
  process.exitCode = 1
})
