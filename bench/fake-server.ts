/**
 * The fake WeChat for the bench, in its own process (started by bench/fake.ts), so that the
 * bench's CPU figures are the client's alone. `FakeWechat.serve` on 127.0.0.1 with the
 * bench's app and users and quotas no run reaches. Codes are issued through its HTTP
 * control API (`POST /__fake/authorize`), as any test in any language would.
 *
 * Over the IPC channel it reports, on request, what the HTTP API cannot: the TCP
 * connections the server accepted (to check that every contender keeps connections alive)
 * and its own CPU time (to see when the fake, not the client, is the limit).
 *
 * Idle connections are kept for 10 minutes (Node's server default is 5 s, and tells
 * clients so in its `Keep-Alive` header): contenders run in turn, so each one's
 * connections sit idle while the others run, and with 5 s each run would start with
 * reconnects, or lose a request to the race between a client reusing a connection and the
 * server closing it (urllib does not retry).
 */
import { Effect } from "effect"
import { subscribe } from "node:diagnostics_channel"
import { Server } from "node:http"
import { FakeWechat } from "effect-wechat/testing"
import { APP, QUOTAS, USERS } from "./config.js"

export type Request = { readonly type: "stats"; readonly id: number }
export type Message =
  | { readonly type: "ready"; readonly url: string }
  | { readonly type: "stats"; readonly id: number; readonly connections: number; readonly cpuMicros: number; readonly heapBytes: number }

const KEEP_ALIVE_MS = 10 * 60_000

let connections = 0
subscribe("net.server.socket", (message) => {
  connections++
  // the accepted socket knows its server: the only way to reach the one FakeWechat.serve made
  const server = (message as { readonly socket?: { readonly server?: unknown } }).socket?.server
  if (server instanceof Server && server.keepAliveTimeout !== KEEP_ALIVE_MS) server.keepAliveTimeout = KEEP_ALIVE_MS
})

const send = (message: Message) => process.send?.(message)

const main = Effect.gen(function*() {
  const address = yield* FakeWechat.serve({ host: "127.0.0.1", port: 0 })
  process.on("message", (request: Request) => {
    if (request.type !== "stats") return
    const cpu = process.cpuUsage()
    send({ type: "stats", id: request.id, connections, cpuMicros: cpu.user + cpu.system, heapBytes: process.memoryUsage().heapUsed })
  })
  // the bench's end (or its crash) closes the channel: nothing else stops this process
  process.on("disconnect", () => process.exit(0))
  send({ type: "ready", url: address.url })
  return yield* Effect.never
}).pipe(
  Effect.scoped,
  Effect.provide(FakeWechat.layerControl({ apps: [APP], users: USERS, minuteQuota: QUOTAS }))
)

Effect.runPromise(main).catch((e: unknown) => {
  console.error("bench fake:", e)
  process.exit(1)
})
