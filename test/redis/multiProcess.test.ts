/**
 * Four Node processes share one Redis and one FakeWechat server (in the Effect 4 run, two
 * of each edition: both editions share one Redis), use the classic
 * cgi-bin/token source, and call through AccessTokenProvider while the token expires
 * twice: one upstream request per expiry window, and no caller sees AccessTokenInvalid.
 */
import { execPath } from "node:process"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { FakeWechat } from "../../src/testing/index.js"
import { type CloseableScope, inScope, makeScope } from "#test-compat"
import { bothEditions, nodeArgsFor } from "../support/node.js"

const root = fileURLToPath(new URL("../..", import.meta.url))
const APP = { appId: "wx0000000000000013", appSecret: "multi-process-secret" }

const runWorker = (env: Record<string, unknown>, i = 0) =>
  new Promise<{ ok: boolean; edition?: string; result?: any; error?: string }>((resolve, reject) => {
    const child = spawn(execPath, [...nodeArgsFor(i), "test/redis/worker.ts"], {
      cwd: root,
      env: { ...process.env, WORKER: JSON.stringify(env) },
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    child.stdout.on("data", (d: Buffer) => (out += d.toString()))
    child.on("error", reject)
    child.on("exit", () => {
      try {
        resolve(JSON.parse(out.trim().split("\n").pop() ?? ""))
      } catch {
        reject(new Error(`worker printed: ${out}`))
      }
    })
  })

let scope: CloseableScope
let fake: FakeWechat.Service
let fakeUrl: string

beforeAll(async () => {
  scope = Effect.runSync(makeScope)
  const started = await Effect.runPromise(
    Effect.gen(function*() {
      const control = yield* FakeWechat
      const address = yield* FakeWechat.serve({ port: 0 })
      return { control, address }
    }).pipe(
      Effect.provide(FakeWechat.layerControl({ apps: [APP], lifetimes: { basicToken: 4 } })),
      (started) => inScope(started, scope)
    )
  )
  fake = started.control
  fakeUrl = started.address.url
})

afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

describe("multi-process token sharing through Redis", () => {
  it("4 processes × 1000 calls over two expiries: one cgi-bin/token request per window, no AccessTokenInvalid", async () => {
    const started = Date.now()
    const results = await Promise.all([0, 1, 2, 3].map((i) =>
      runWorker({ mode: "tokens", fakeUrl, redisUrl: inject("redisUrl"), ...APP, calls: 1000, spacingMs: 9, refreshMargin: "1 second" }, i)
    ))
    expect(new Set(results.map((r) => r.edition))).toEqual(new Set(bothEditions ? ["v3", "v4"] : ["v3"]))
    const elapsed = (Date.now() - started) / 1000
    for (const r of results) {
      expect(r.ok, r.error).toBe(true)
      expect(r.result.errors).toEqual({})
    }
    const distinct = new Set(results.flatMap((r) => r.result.tokens as Array<string>))
    const upstream = await Effect.runPromise(fake.callCount("cgi-bin/token"))
    console.log(`4 workers: ${elapsed.toFixed(1)} s, ${distinct.size} tokens, ${upstream} cgi-bin/token requests`)
    // the token (4 s, refreshed 1 s early) expired at least twice while the workers ran
    expect(distinct.size).toBeGreaterThanOrEqual(3)
    // every upstream fetch produced a token someone used: no duplicate fetch in any window
    expect(upstream).toBe(distinct.size)
    expect(upstream).toBeLessThanOrEqual(Math.ceil(elapsed / 3) + 1)
    expect(await Effect.runPromise(fake.callCount("cgi-bin/ticket/getticket"))).toBeGreaterThanOrEqual(4000)
  }, 120_000)

  it("code exchange across processes: the same binding shares one request and token; another binding, or after the window, gets CodeAlreadyUsed", async () => {
    const user = await Effect.runPromise(fake.addUser({ nickname: "two" }))
    const code = await Effect.runPromise(fake.authorize({ appId: APP.appId, userId: user.id, scope: "snsapi_base" }))
    const calls = () => Effect.runPromise(fake.callCount("sns/oauth2/access_token"))
    const before = await calls()
    await Effect.runPromise(fake.inject("sns/oauth2/access_token", { fault: "latency", millis: 300 }))
    const exchange = (binding: string, i = 0) =>
      runWorker({ mode: "exchange", fakeUrl, redisUrl: inject("redisUrl"), ...APP, code, binding, duplicateWindow: "3 seconds" }, i)
    // two processes (one of each edition in the Effect 4 run), same login session: one
    // upstream request, the same token
    const same = await Promise.all([exchange("session-one", 0), exchange("session-one", 1)])
    for (const r of same) expect(r.ok, r.error).toBe(true)
    expect(same[0]!.result.token).toMatch(/^[0-9a-f]{16}$/)
    expect(same[0]!.result.token).toBe(same[1]!.result.token)
    expect(await calls()).toBe(before + 1)
    // a third process, another session (a replayed callback URL): refused without a request
    const replay = await exchange("session-two", 1)
    expect(replay.result).toEqual({ error: "CodeAlreadyUsed" })
    expect(await calls()).toBe(before + 1)
    // after the duplicate window, even the same session: WeChat answers 40163
    await new Promise((r) => setTimeout(r, 3200))
    const late = await exchange("session-one")
    expect(late.result).toEqual({ error: "CodeAlreadyUsed" })
    expect(await calls()).toBe(before + 2)
  }, 60_000)
})
