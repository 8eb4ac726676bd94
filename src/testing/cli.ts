#!/usr/bin/env node
/**
 * `effect-wechat-fake [--port 8788] [--host 127.0.0.1] [--domain host:port]…`: the fake
 * WeChat as a standalone server with a seeded demo app and users, for tests in any
 * language. `--domain` (repeatable) adds an authorized domain to the demo app: the fake
 * matches `redirect_uri` by `host[:port]`, as WeChat does.
 * @since 0.1.0
 */
import * as Compat from "#compat"
import { Console, Effect, Fiber } from "effect"
import { FakeWechat } from "./FakeWechat.js"

const DEMO_APP = {
  appId: "wx00000000000de001",
  appSecret: "fake-demo-secret-0123456789abcdef",
  authorizedDomains: ["127.0.0.1", "localhost"],
  openPlatform: true,
  name: "FakeWechat Demo"
}

const DEMO_USERS = [
  { id: "alice", nickname: "Alice 🐱", headImgUrl: "" },
  { id: "bob", nickname: "小明\u0007", headImgUrl: "" },
  { id: "snap", nickname: "微信用户", snapshot: true }
]

const argument = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? undefined : process.argv[i + 1]
}

/** Every value of a repeatable flag. */
const argumentsOf = (name: string): ReadonlyArray<string> =>
  process.argv.flatMap((arg, i) => (arg === `--${name}` && process.argv[i + 1] !== undefined ? [process.argv[i + 1]!] : []))

const usage = "usage: effect-wechat-fake [--port 8788] [--host 127.0.0.1] [--domain host:port]..."

const main = Effect.gen(function*() {
  if (process.argv.includes("--help")) return yield* Console.log(usage)
  const portText = argument("port") ?? "8788"
  const port = Number(portText)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    yield* Console.error(`invalid --port ${portText}\n${usage}`)
    return yield* Effect.sync(() => process.exit(2))
  }
  const address = yield* FakeWechat.serve({ port, host: argument("host") })
  const fake = yield* FakeWechat
  const app = yield* fake.addApp({ ...DEMO_APP, authorizedDomains: [...DEMO_APP.authorizedDomains, ...argumentsOf("domain")] })
  yield* Console.log([
    `FakeWechat listening on ${address.url}`,
    `  API base URL:   ${address.url}   (WechatConfig apiBaseUrl)`,
    `  consent pages:  ${address.url}/connect/oauth2/authorize , ${address.url}/connect/qrconnect`,
    `  control API:    ${address.url}/__fake/ (lists its routes)`,
    `  app:            appId=${app.appId} appSecret=${app.appSecret} (every kind: H5, QR and mini-program logins)`,
    `                  authorized domains: ${app.authorizedDomains.join(", ")} (host[:port]; add yours with --domain)`,
    `  users:          ${DEMO_USERS.map((u) => `${u.id}${u.snapshot ? " (snapshot)" : ""}`).join(", ")}`,
    "Ctrl-C to stop."
  ].join("\n"))
  return yield* Effect.never
}).pipe(Effect.scoped, Effect.provide(FakeWechat.layerControl({ apps: [DEMO_APP], users: DEMO_USERS })))

const fiber = Effect.runFork(main.pipe(Compat.catchAll((e) => Console.error(e.message).pipe(Effect.andThen(Effect.sync(() => {
  process.exitCode = 1
}))))))
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    Effect.runFork(Fiber.interrupt(fiber))
  })
}

export {}
