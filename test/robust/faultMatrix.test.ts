/**
 * Issue 9, acceptance 6: every network endpoint × every fault, with fetch and Node's
 * `http` client. Faults are FakeWechat's injections (over `FakeWechat.serve`) and a hostile
 * loopback server's misbehaviours (test/support/hostile.ts). Every cell must end as a
 * value or a typed error (`WechatError.isWechatError`) — never a defect or an interruption —
 * within timeout + 1 s, with no unhandled rejection anywhere in the process; and each cell's
 * outcome must be the one listed in `expected` (the table docs/robustness.md mirrors).
 * The table of outcomes is printed.
 */
import * as Compat from "#compat"
import { FetchHttpClient, HttpClient } from "#compat"
import { NodeHttpClient, isDie } from "#test-compat"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Option, type Scope } from "effect"
import {
  BasicToken,
  JsSdk,
  MiniProgram,
  Sns,
  TokenStore,
  WechatConfig,
  WechatError
} from "../../src/index.js"
import { FakeWechat } from "../../src/testing/index.js"
import { forgingServer, gc, gzipBomb, HOSTILE_MODES, type HostileMode, hostileServer } from "../support/hostile.js"

const APP = { appId: "wx0123456789abcdef", appSecret: "matrix-secret-0001" }
const TIMEOUT_MS = 1000
const CONCURRENCY = 8

/** What a call needs: real values from the fake, or WeChat-shaped ones for the hostile server. */
interface Inputs {
  readonly code: string
  readonly jsCode: string
  readonly refreshToken: WechatConfig.Secret
  readonly accessToken: WechatConfig.Secret
  readonly openid: string
  readonly basicToken: WechatConfig.Secret
}

type Requirements = HttpClient.HttpClient | WechatConfig.WechatConfig | Compat.RefId<TokenStore.TokenStore>

const ENDPOINTS: ReadonlyArray<{
  readonly name: string
  readonly path: string
  readonly call: (inputs: Inputs) => Effect.Effect<unknown, WechatError.WechatError, Requirements>
}> = [
  { name: "Sns.exchangeCode", path: "sns/oauth2/access_token", call: (i) => Sns.exchangeCode(i.code, { binding: "session-matrix" }) },
  { name: "Sns.refreshToken", path: "sns/oauth2/refresh_token", call: (i) => Sns.refreshToken(i.refreshToken) },
  { name: "Sns.checkToken", path: "sns/auth", call: (i) => Sns.checkToken({ accessToken: i.accessToken, openid: i.openid }) },
  { name: "Sns.userInfo", path: "sns/userinfo", call: (i) => Sns.userInfo({ accessToken: i.accessToken, openid: i.openid }) },
  { name: "MiniProgram.code2Session", path: "sns/jscode2session", call: (i) => MiniProgram.code2Session(i.jsCode, { binding: "session-matrix" }) },
  { name: "BasicToken.fetch", path: "cgi-bin/token", call: () => BasicToken.fetch() },
  { name: "BasicToken.fetchStable", path: "cgi-bin/stable_token", call: () => BasicToken.fetchStable() },
  { name: "JsSdk.getTicket", path: "cgi-bin/ticket/getticket", call: (i) => JsSdk.getTicket({ accessToken: i.basicToken }) }
]

const CLIENTS: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["fetch", FetchHttpClient.layer],
  ["node", NodeHttpClient.layerNodeHttp]
]

/** An outcome as the table shows it. */
const transport = (reason: string) => `Transport(${reason})`
const errcodeTag = (path: string, errcode: number) => WechatError.fromErrcode(path, errcode, "")._tag

/** FakeWechat's injections, each with the outcome expected on an endpoint path. */
const FAKE_FAULTS: ReadonlyArray<{
  readonly name: string
  readonly fault: FakeWechat.Fault
  readonly expected: (path: string, client: string) => string
}> = [
  { name: "latency 200 ms", fault: { fault: "latency", millis: 200 }, expected: () => "ok" },
  { name: "latency 3 s", fault: { fault: "latency", millis: 3000 }, expected: () => transport("timeout") },
  { name: "reset", fault: { fault: "reset" }, expected: () => transport("network") },
  { name: "status (502)", fault: { fault: "status" }, expected: () => transport("status") },
  { name: "status 500", fault: { fault: "status", status: 500 }, expected: () => transport("status") },
  { name: "status 503", fault: { fault: "status", status: 503 }, expected: () => transport("status") },
  { name: "status 429", fault: { fault: "status", status: 429 }, expected: () => transport("status") },
  { name: "status 301", fault: { fault: "status", status: 301 }, expected: () => transport("redirect") },
  { name: "status 200 (HTML)", fault: { fault: "status", status: 200 }, expected: () => "WechatDecodeError" },
  { name: "empty", fault: { fault: "empty" }, expected: () => "WechatDecodeError" },
  { name: "truncated", fault: { fault: "truncated" }, expected: () => "WechatDecodeError" },
  { name: "errcode (99999)", fault: { fault: "errcode" }, expected: () => "UnknownWechatError" },
  { name: "errcode 40001", fault: { fault: "errcode", errcode: 40001, errmsg: "invalid credential" }, expected: (path) => errcodeTag(path, 40001) },
  { name: "busy", fault: { fault: "busy" }, expected: () => "SystemBusy" },
  { name: "rateLimit", fault: { fault: "rateLimit" }, expected: () => "RateLimited" },
  // a profile with raw control characters: the profile endpoint reads it, the others miss their fields
  { name: "controlChars", fault: { fault: "controlChars" }, expected: (path) => (path === "sns/userinfo" ? "ok" : "WechatDecodeError") }
]

/** The hostile server's modes, each with the outcome expected on an endpoint path. */
const HOSTILE_EXPECTED: Record<HostileMode, (path: string, client: string) => string> = {
  "stall": () => transport("timeout"),
  "drip": () => transport("timeout"),
  "reset-after-headers": () => transport("network"),
  "status-500": () => transport("status"),
  "status-502": () => transport("status"),
  "status-503": () => transport("status"),
  "status-429": () => transport("status"),
  "status-502-huge": () => transport("status"),
  "redirect-301": () => transport("redirect"),
  "redirect-302": () => transport("redirect"),
  "redirect-303": () => transport("redirect"),
  "redirect-307": () => transport("redirect"),
  "redirect-308": () => transport("redirect"),
  "empty-gbk": () => "WechatDecodeError",
  "truncated-json": () => "WechatDecodeError",
  "json-array": () => "WechatDecodeError",
  "json-number": () => "WechatDecodeError",
  "json-null": () => "WechatDecodeError",
  // a numeric string counts as an errcode
  "errcode-string": (path) => errcodeTag(path, 40001),
  "errcode-float": () => "WechatDecodeError",
  "errcode-huge": () => "UnknownWechatError",
  "errcode-infinite": () => "WechatDecodeError",
  "control-chars": () => "ok",
  "huge-announced": () => transport("too-large"),
  "huge-chunked": () => transport("too-large"),
  // fetch inflates (and stops at 1 MiB of output); Node's client hands over the gzip bytes, which are not JSON
  "gzip-bomb": (_, client) => (client === "fetch" ? transport("too-large") : "WechatDecodeError"),
  // 64 KiB every 100 ms reaches 1 MiB after ~1.6 s: the 1 s timeout comes first
  "slow-errmsg": () => transport("timeout"),
  "endless-chunked": () => transport("timeout")
}

const HOSTILE_INPUTS: Inputs = {
  code: "061Yc9Ga1pWrHE0Y2PIa1Y6T4f0Yc9GX",
  jsCode: "0a3Xa1100UhRcO1xJj300tXkIq4Xa11P",
  refreshToken: "REFRESH_TOKEN_matrix_0001",
  accessToken: "ACCESS_TOKEN_matrix_0001",
  openid: "oMatrixOpenid000000000000001",
  basicToken: "BASIC_TOKEN_matrix_0001"
}

interface Cell {
  readonly client: string
  readonly source: "fake" | "hostile"
  readonly fault: string
  readonly endpoint: string
  readonly outcome: string
  readonly expected: string
  readonly typed: boolean
  readonly defect: boolean
  readonly elapsedMs: number
}

const outcomeOf = (exit: Exit.Exit<unknown, unknown>): { outcome: string; typed: boolean; defect: boolean } => {
  if (Exit.isSuccess(exit)) return { outcome: "ok", typed: true, defect: false }
  if (isDie(exit.cause)) return { outcome: `DEFECT ${Cause.pretty(exit.cause).split("\n")[0]}`, typed: false, defect: true }
  const failure = Compat.failureOption(exit.cause)
  if (Option.isNone(failure)) return { outcome: "INTERRUPTED", typed: false, defect: true }
  const error = failure.value
  if (!WechatError.isWechatError(error)) return { outcome: `UNTYPED ${String(error)}`, typed: false, defect: false }
  return { outcome: error._tag === "WechatTransportError" ? transport(error.reason) : error._tag, typed: true, defect: false }
}

/** Times the call alone: the layer (client, config, store) is built before the clock starts. */
const timed = <A, E, R, LE>(effect: Effect.Effect<A, E, R>, layer: Layer.Layer<R, LE>) =>
  Effect.scoped(Effect.gen(function*() {
    const context = yield* Effect.orDie(Layer.build(layer))
    const started = performance.now()
    const exit = yield* Effect.exit(Effect.provide(effect, context))
    return { exit, elapsedMs: performance.now() - started }
  }))

/** A fresh fake (and server) per cell, so injected faults never leak into another cell. */
const fakeCell = (
  clientName: string,
  client: Layer.Layer<HttpClient.HttpClient>,
  endpoint: (typeof ENDPOINTS)[number],
  fault: (typeof FAKE_FAULTS)[number]
): Effect.Effect<Cell, never, Scope.Scope> =>
  Effect.gen(function*() {
    const fake = yield* FakeWechat.make({ apps: [{ ...APP, authorizedDomains: ["example.com"] }] })
    const address = yield* Effect.orDie(FakeWechat.serve().pipe(Effect.provideService(FakeWechat, fake)))
    // inputs made through the fake's in-memory client, before the fault is armed
    const inMemory = Layer.mergeAll(
      Layer.succeed(HttpClient.HttpClient, FakeWechat.httpClient(fake)),
      WechatConfig.layer(APP),
      TokenStore.layerMemory
    )
    const inputs = yield* Effect.gen(function*() {
      const user = yield* fake.addUser({ nickname: "matrix" })
      const code = yield* fake.authorize({ appId: APP.appId, userId: user.id, scope: "snsapi_userinfo" })
      const spare = yield* fake.authorize({ appId: APP.appId, userId: user.id, scope: "snsapi_userinfo" })
      const web = yield* Sns.exchangeCode(spare)
      const jsCode = yield* fake.miniProgramLogin({ appId: APP.appId, userId: user.id })
      const basic = yield* BasicToken.fetchStable()
      return {
        code,
        jsCode,
        refreshToken: web.refreshToken,
        accessToken: web.accessToken,
        openid: web.openid,
        basicToken: basic.accessToken
      } satisfies Inputs
    }).pipe(Effect.provide(inMemory), Effect.orDie)
    yield* Effect.orDie(fake.inject(endpoint.path, { ...fault.fault, times: 1 }))
    const layer = Layer.mergeAll(
      client,
      WechatConfig.layer({ ...APP, apiBaseUrl: address.url, timeout: `${TIMEOUT_MS} millis` }),
      TokenStore.layerMemory
    )
    const call = endpoint.call(inputs)
    const { exit, elapsedMs } = yield* timed(call, layer)
    return {
      client: clientName,
      source: "fake",
      fault: fault.name,
      endpoint: endpoint.name,
      ...outcomeOf(exit),
      expected: fault.expected(endpoint.path, clientName),
      elapsedMs
    } satisfies Cell
  })

const hostileCell = (
  clientName: string,
  client: Layer.Layer<HttpClient.HttpClient>,
  serverUrl: string,
  endpoint: (typeof ENDPOINTS)[number],
  mode: HostileMode
): Effect.Effect<Cell> =>
  Effect.gen(function*() {
    const layer = Layer.mergeAll(
      client,
      WechatConfig.layer({ ...APP, apiBaseUrl: `${serverUrl}/${mode}`, timeout: `${TIMEOUT_MS} millis` }),
      TokenStore.layerMemory
    )
    const { exit, elapsedMs } = yield* timed(endpoint.call(HOSTILE_INPUTS), layer)
    return {
      client: clientName,
      source: "hostile",
      fault: mode,
      endpoint: endpoint.name,
      ...outcomeOf(exit),
      expected: HOSTILE_EXPECTED[mode](endpoint.path, clientName),
      elapsedMs
    } satisfies Cell
  })

/** One table per client: a row per fault, a column per endpoint. */
const table = (cells: ReadonlyArray<Cell>, client: string): string => {
  const short = (s: string) => s.replace(/^Wechat/, "").replace(/Error$/, "")
  const names = ENDPOINTS.map((e) => e.name)
  const faults = [...new Set(cells.filter((c) => c.client === client).map((c) => `${c.source}: ${c.fault}`))]
  const width = 22
  const lines = [
    `| ${"fault".padEnd(32)} | ${names.map((n) => n.replace(/^.*\./, "").padEnd(width)).join(" | ")} |`,
    `|${"-".repeat(34)}|${names.map(() => "-".repeat(width + 2)).join("|")}|`
  ]
  for (const fault of faults) {
    const row = names.map((n) => {
      const cell = cells.find((c) => c.client === client && `${c.source}: ${c.fault}` === fault && c.endpoint === n)
      const text = cell === undefined ? "?" : short(cell.outcome) + (cell.outcome === cell.expected ? "" : ` ≠ ${short(cell.expected)}`)
      return text.padEnd(width)
    })
    lines.push(`| ${fault.padEnd(32)} | ${row.join(" | ")} |`)
  }
  return lines.join("\n")
}

const rejections: Array<unknown> = []
const onRejection = (reason: unknown) => {
  rejections.push(reason)
}

beforeAll(async () => {
  process.on("unhandledRejection", onRejection)
  await gzipBomb()
}, 60_000)

afterAll(() => {
  process.off("unhandledRejection", onRejection)
})

describe("fault matrix (issue 9, item 6)", () => {
  it.live("every endpoint × every fault × fetch and Node's client: a value or a typed error, in time, as expected", () =>
    Effect.gen(function*() {
      const cells = yield* Effect.scoped(Effect.gen(function*() {
        const target = yield* forgingServer()
        const server = yield* hostileServer({ redirectTo: target.url })
        const work: Array<Effect.Effect<Cell>> = []
        for (const [clientName, client] of CLIENTS) {
          for (const endpoint of ENDPOINTS) {
            for (const fault of FAKE_FAULTS) work.push(Effect.scoped(fakeCell(clientName, client, endpoint, fault)))
            for (const mode of Object.keys(HOSTILE_MODES) as Array<HostileMode>) {
              work.push(hostileCell(clientName, client, server.url, endpoint, mode))
            }
          }
        }
        const cells = yield* Effect.all(work, { concurrency: CONCURRENCY })
        // a 3xx is never followed
        expect(target.hits).toEqual([])
        return cells
      }))

      // late failures (a response dropped unread is aborted when collected) would surface now
      gc()
      yield* Effect.sleep("200 millis")

      for (const [client] of CLIENTS) console.log(`\n${client} (timeout ${TIMEOUT_MS} ms):\n${table(cells, client)}`)
      const slowest = cells.reduce((a, b) => (b.elapsedMs > a.elapsedMs ? b : a))
      console.log(
        `\n${cells.length} cells; slowest ${Math.round(slowest.elapsedMs)} ms (${slowest.client}, ${slowest.fault}, ${slowest.endpoint}); ` +
          `unhandled rejections ${rejections.length}`
      )

      expect(cells).toHaveLength(CLIENTS.length * ENDPOINTS.length * (FAKE_FAULTS.length + Object.keys(HOSTILE_MODES).length))
      expect(cells.filter((c) => c.defect)).toEqual([])
      expect(cells.filter((c) => !c.typed)).toEqual([])
      expect(cells.filter((c) => c.elapsedMs > TIMEOUT_MS + 1000)).toEqual([])
      expect(cells.filter((c) => c.outcome !== c.expected).map((c) => `${c.client} ${c.source}:${c.fault} ${c.endpoint}: ${c.outcome} ≠ ${c.expected}`)).toEqual([])
      expect(rejections).toEqual([])
    }), 120_000)
})
