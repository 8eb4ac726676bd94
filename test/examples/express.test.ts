/**
 * examples/express: the WeChat login in an Express app through the framework-free
 * functions, against FakeWechat, over real loopback HTTP.
 */
import { HttpClient } from "#compat"
import { Effect, Layer } from "effect"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeApp } from "../../examples/express/app.js"
import { WechatClient } from "../../src/index.js"
import { FakeWechat } from "../../src/testing/index.js"

const APP = { appId: "wx00000000000e0002", appSecret: "express-test-secret" }
let fake: FakeWechat.Service
let server: Server
let base: string
let dispose: () => Promise<void>

beforeAll(async () => {
  fake = await Effect.runPromise(FakeWechat.make({ users: [{ id: "ann", nickname: "Ann" }] }))
  // listen first: the callback's origin (an authorized domain of the app) includes the port
  server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  await Effect.runPromise(fake.addApp({ ...APP, authorizedDomains: [new URL(base).host] }))
  const made = makeApp({
    publicUrl: base,
    wechat: WechatClient.layer({ appId: APP.appId, appSecret: APP.appSecret }, {
      httpClient: Layer.succeed(HttpClient.HttpClient, FakeWechat.httpClient(fake))
    })
  })
  dispose = made.dispose
  server.on("request", made.app)
})

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()))
  await dispose()
})

const cookieOf = (response: Response, name: string) =>
  new RegExp(`${name}=([^;]*)`).exec(response.headers.getSetCookie().join("\n"))?.[1]

describe("examples/express", () => {
  it("logs in, answers a replay with the library's 400, and signs out", async () => {
    const started = await fetch(`${base}/login/wechat?returnTo=%2Fme`, { redirect: "manual", headers: { "user-agent": "MicroMessenger" } })
    expect(started.status).toBe(302)
    const loginCookie = cookieOf(started, "wechat_login")!
    expect(loginCookie).toMatch(/^[A-Za-z0-9]{32}$/)
    const consent = new URL(started.headers.get("location")!)
    const code = await Effect.runPromise(fake.authorize({ appId: APP.appId, userId: "ann", scope: "snsapi_userinfo" }))
    const callback = `${consent.searchParams.get("redirect_uri")}?code=${code}&state=${consent.searchParams.get("state")}`

    const done = await fetch(callback, { redirect: "manual", headers: { cookie: `wechat_login=${loginCookie}` } })
    expect([done.status, done.headers.get("location")]).toEqual([303, "/me"])
    const sid = cookieOf(done, "sid")!
    const me = await fetch(`${base}/me`, { headers: { cookie: `sid=${sid}` } })
    expect(await me.json()).toEqual({ openid: await Effect.runPromise(fake.openid({ appId: APP.appId, userId: "ann" })), nickname: "Ann" })

    const replay = await fetch(callback, { redirect: "manual", headers: { accept: "application/json" } })
    expect(replay.status).toBe(400)
    expect(await replay.json()).toMatchObject({ error: "InvalidState", reason: "other-session" })

    const out = await fetch(`${base}/logout`, { method: "POST", redirect: "manual", headers: { cookie: `sid=${sid}` } })
    expect(out.status).toBe(303)
    expect((await fetch(`${base}/me`, { headers: { cookie: `sid=${sid}` } })).status).toBe(401)
  })
})
