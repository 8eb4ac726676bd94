/**
 * The HTTP control API is the in-process control API: a route per operation, listed by
 * `GET /__fake/`, and a Python client (standard library only) that logs in, expires a
 * code by advancing the fake's clock and injects a fault through it.
 */
import * as Compat from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { execFile } from "node:child_process"
import { readFileSync } from "node:fs"
import { request as httpRequest } from "node:http"
import { fileURLToPath } from "node:url"
import { FakeWechat } from "../../src/testing/index.js"
import { captureLogs } from "#test-compat"

const SCRIPT = fileURLToPath(new URL("./fake_http_login.py", import.meta.url))

/** The route of each operation of the control service. */
const PARITY: Record<Exclude<keyof FakeWechat.Service, "emulator">, string> = {
  addApp: "POST /__fake/apps",
  addUser: "POST /__fake/users",
  authorize: "POST /__fake/authorize",
  miniProgramLogin: "POST /__fake/jscode",
  phoneCode: "POST /__fake/phone-code",
  encryptedData: "POST /__fake/encrypted-data",
  openid: "GET /__fake/openid",
  consent: "POST /__fake/consent",
  answerQrLogin: "POST /__fake/qr-logins/answer",
  revokeConsent: "POST /__fake/revoke",
  callCount: "GET /__fake/calls",
  inject: "POST /__fake/faults",
  clearFaults: "DELETE /__fake/faults",
  setCallerIp: "POST /__fake/caller-ip",
  setLifetimes: "POST /__fake/lifetimes",
  setQuotas: "POST /__fake/quotas",
  advanceClock: "POST /__fake/clock/advance",
  now: "GET /__fake/clock",
  state: "GET /__fake/state"
}

const withServer = <A, E>(f: (url: string) => Effect.Effect<A, E, FakeWechat>) =>
  Effect.scoped(Effect.flatMap(FakeWechat.serve({ port: 0 }), (address) => f(address.url))).pipe(Effect.provide(FakeWechat.layerControl()))

/** A control-API call; `T` is the shape the test reads from the answer. */
const request = <T = Record<string, unknown>>(url: string, method: string, body?: unknown) =>
  Effect.promise(() =>
    fetch(url, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }).then(async (r) => ({ status: r.status, json: await r.json() as T }))
  )

describe("HTTP control API", () => {
  it.effect("GET /__fake/ lists a documented route for every operation of the control service", () =>
    withServer((url) =>
      Effect.gen(function*() {
        const fake = yield* FakeWechat
        const operations = Object.keys(fake).filter((k) => k !== "emulator").sort()
        expect(operations).toEqual(Object.keys(PARITY).sort())
        const listed = (yield* request<{ routes: Array<{ method: string; path: string; summary: string }> }>(`${url}/__fake/`, "GET")).json.routes
        const names = listed.map((r) => `${r.method} ${r.path}`)
        for (const route of Object.values(PARITY)) expect(names).toContain(route)
        for (const r of listed) expect(r.summary.length).toBeGreaterThan(3)
        const docs = readFileSync(new URL("../../docs/testing.md", import.meta.url), "utf8")
        for (const name of names) expect(docs).toContain(`\`${name}\``)
        expect((yield* request(`${url}/__fake/nope`, "GET")).status).toBe(404)
        expect((yield* request(`${url}/__fake/faults`, "GET")).status).toBe(405)
      })))

  it.effect("each route does what its operation does", () =>
    withServer((url) =>
      Effect.gen(function*() {
        const fake = yield* FakeWechat
        const post = <T = Record<string, unknown>>(path: string, body: unknown) => request<T>(`${url}/__fake/${path}`, "POST", body)
        const app = yield* post("apps", { appId: "wx0000000000000002", appSecret: "http-secret", kind: ["official-account", "mini-program"], authorizedDomains: ["a.example.com"], duplicateCallbacks: true })
        expect(app.json).toMatchObject({ appId: "wx0000000000000002", kinds: ["official-account", "mini-program"], duplicateCallbacks: true })
        expect(app.json.appSecret).toBeUndefined()
        expect((yield* post("apps", { appId: "wx000000000000000e", appSecret: "s", kind: "official-account", ipWhitelist: ["1.2.3.*"] })).status).toBe(400)
        expect((yield* post<{ error: string }>("apps", { appId: "wx000000000000000e", appSecret: 7 })).json.error).toContain("appSecret")
        const user = (yield* post<{ id: string }>("users", { nickname: "h", snapshot: false })).json
        const { code } = (yield* post<{ code: string }>("authorize", { appId: "wx0000000000000002", userId: user.id, scope: "snsapi_base" })).json
        expect(code).toMatch(/^[0-9a-f]{32}$/)
        expect((yield* post("jscode", { appId: "wx0000000000000002", userId: user.id })).json.code).toMatch(/^[0-9a-f]{32}$/)
        expect((yield* request<{ openid: string }>(`${url}/__fake/openid?appId=wx0000000000000002&userId=${user.id}`, "GET")).json.openid).toBe(yield* fake.openid({ appId: "wx0000000000000002", userId: user.id }))
        const link = `${url}/connect/oauth2/authorize?appid=wx0000000000000002&redirect_uri=${encodeURIComponent("https://a.example.com/cb")}&response_type=code&scope=snsapi_base&state=x#wechat_redirect`
        const consent = (yield* post<{ location: string; code: string }>("consent", { url: link, userId: user.id, decision: "allow" })).json
        expect(consent).toMatchObject({ deliveries: 2, code: expect.stringMatching(/^[0-9a-f]{32}$/) })
        expect(consent.location).toBe(`https://a.example.com/cb?code=${consent.code}&state=x`)
        expect((yield* post("consent", { url: link, decision: "deny" })).json).toEqual({ location: "https://a.example.com/cb?state=x", deliveries: 1 })
        expect((yield* post<{ error: string }>("consent", { url: link.replace("appid=wx0000000000000002&", ""), decision: "deny" })).json.error).toContain("appid不能为空，错误码：10012")
        expect((yield* post<{ error: string }>("qr-logins/answer", { uuid: "none", decision: "deny" })).json.error).toContain("unknown")
        expect((yield* post("revoke", { appId: "wx0000000000000002", userId: user.id })).json).toEqual({ ok: true })
        expect((yield* post("faults", { endpoint: "cgi-bin/token", fault: "status", status: 503, times: 2 })).json).toEqual({ ok: true })
        expect((yield* post("faults", { endpoint: "cgi-bin/token", fault: "explode" })).status).toBe(400)
        expect((yield* fake.state).faults).toEqual([{ endpoint: "cgi-bin/token", fault: { fault: "status", status: 503, times: 2 }, remaining: 2, probability: undefined }])
        expect((yield* request(`${url}/__fake/faults`, "DELETE")).json).toEqual({ ok: true })
        expect((yield* fake.state).faults).toEqual([])
        yield* post("caller-ip", { ip: "10.9.8.7" })
        yield* post("lifetimes", { webToken: 60 })
        yield* post("quotas", { daily: { "cgi-bin/token": 3 }, userMinute: { "sns/jscode2session": 7 } })
        const state = yield* fake.state
        expect([state.callerIp, state.lifetimes.webToken, state.quotas.daily["cgi-bin/token"], state.quotas.userMinute["sns/jscode2session"]]).toEqual(["10.9.8.7", 60, 3, 7])
        const before = (yield* request<{ now: number }>(`${url}/__fake/clock`, "GET")).json
        const after = (yield* post<{ now: number; offsetMillis: number }>("clock/advance", { seconds: 90 })).json
        expect(after.offsetMillis).toBe(90_000)
        expect(after.now - before.now).toBeGreaterThanOrEqual(90_000)
        expect((yield* post("clock/advance", { seconds: -1 })).status).toBe(400)
        yield* fake.inject("sns/auth", { fault: "busy" })
        yield* Effect.promise(() => fetch(`${url}/sns/auth?access_token=x&openid=y`))
        expect((yield* request(`${url}/__fake/calls?endpoint=sns/auth`, "GET")).json).toEqual({ endpoint: "sns/auth", count: 1 })
        expect((yield* request(`${url}/__fake/calls`, "GET")).json).toEqual({ "sns/auth": 1 })
        const remote = (yield* request<{ codes: Array<{ code: string }>; users: unknown }>(`${url}/__fake/state`, "GET")).json
        expect(remote.codes.map((c) => c.code)).toContain(code)
        expect(remote.users).toEqual([user])
        expect(Object.keys(remote).sort()).toEqual(["apps", "callerIp", "calls", "clockOffsetMillis", "codes", "faults", "lifetimes", "now", "qrLogins", "quotas", "tickets", "users"])
      })))

  it.effect("a Python client (standard library only) logs in, expires a code and injects a fault through it", () =>
    withServer((url) =>
      Effect.gen(function*() {
        const out = yield* Compat.callback<string, Error>((resume) => {
          execFile("python3", [SCRIPT, url], { timeout: 60_000 }, (error, stdout, stderr) => {
            resume(error === null ? Effect.succeed(stdout) : Effect.fail(new Error(`${error.message}\n${stderr}`)))
          })
        })
        expect(JSON.parse(out)).toEqual({ nickname: "Py 小明", expired: 40029, busy: -1, after: "Py 小明", userinfoCalls: 3 })
        const fake = yield* FakeWechat
        expect((yield* fake.state).clockOffsetMillis).toBe(300_000)
        // the script in docs/testing.md is this one
        const docs = readFileSync(new URL("../../docs/testing.md", import.meta.url), "utf8")
        expect(docs).toContain(readFileSync(SCRIPT, "utf8"))
      })))
})

/** A raw request to the server on 127.0.0.1, with the `Host` and `Origin` a browser or a rebinding page would send. */
const raw = (port: number, method: string, path: string, headers: Record<string, string>, body = "") =>
  Effect.promise(() =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, method, path, headers }, (res) => {
        let text = ""
        res.setEncoding("utf8")
        res.on("data", (chunk: string) => (text += chunk))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }))
      })
      req.on("error", reject)
      req.end(body)
    })
  )

describe("HTTP control API: who may call it", () => {
  const app = JSON.stringify({ appId: "wx00000000000000e1", appSecret: "x", authorizedDomains: ["evil.com"] })

  it.effect("on loopback: only requests addressed to a loopback host, and no cross-origin browser request", () =>
    withServer((url) =>
      Effect.gen(function*() {
        const fake = yield* FakeWechat
        const port = Number(new URL(url).port)
        for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, "LOCALHOST"]) {
          expect((yield* raw(port, "GET", "/__fake/state", { host })).status).toBe(200)
        }
        // DNS rebinding: a page of attacker.example whose name now points at 127.0.0.1
        for (const host of ["attacker.example", `attacker.example:${port}`, "127.0.0.1.nip.io"]) {
          const refused = yield* raw(port, "GET", "/__fake/state", { host })
          expect([host, refused.status]).toEqual([host, 403])
          expect(refused.text).not.toContain("appId")
        }
        expect((yield* raw(port, "POST", "/__fake/apps", { host: "evil.com", "content-type": "text/plain" }, app)).status).toBe(403)
        // a cross-site form or fetch: the browser names the page's origin
        for (const origin of ["https://evil.com", "null", `http://127.0.0.1:${port + 1}`, `https://127.0.0.1:${port}`]) {
          expect((yield* raw(port, "POST", "/__fake/apps", { host: `127.0.0.1:${port}`, origin, "content-type": "text/plain" }, app)).status).toBe(403)
        }
        expect((yield* fake.state).apps.map((a) => a.appId)).not.toContain("wx00000000000000e1")
        // the server's own origin, and clients that send none
        expect((yield* raw(port, "POST", "/__fake/apps", { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` }, app)).status).toBe(200)
        expect((yield* raw(port, "DELETE", "/__fake/faults", { host: `127.0.0.1:${port}` })).status).toBe(200)
        // the API and the consent pages do not care
        expect((yield* raw(port, "GET", "/sns/auth?access_token=x&openid=y", { host: "api.weixin.qq.com" })).status).toBe(200)
      })))

  it.effect("serving on a host that is not loopback warns, and its control API takes any host name (a container's)", () =>
    Effect.gen(function*() {
      const warnings: Array<string> = []
      yield* Effect.scoped(Effect.gen(function*() {
        yield* FakeWechat.serve({ port: 0 })
        expect(warnings).toEqual([])
        const open = yield* FakeWechat.serve({ port: 0, host: "0.0.0.0" })
        expect(warnings.join("\n")).toContain("0.0.0.0, not a loopback address")
        // another container reaches it by its name; a cross-origin browser request is still refused
        expect((yield* raw(open.port, "GET", "/__fake/state", { host: `0.0.0.0:${open.port}` })).status).toBe(200)
        expect((yield* raw(open.port, "GET", "/__fake/state", { host: `fake:${open.port}` })).status).toBe(200)
        expect((yield* raw(open.port, "POST", "/__fake/apps", { host: `fake:${open.port}`, origin: "https://evil.com", "content-type": "text/plain" }, app)).status).toBe(403)
      })).pipe(Effect.provide(Layer.merge(
        FakeWechat.layerControl(),
        captureLogs((entry) => {
          if (entry.level === "WARN") warnings.push(String(entry.message))
        })
      )))
    }))
})
