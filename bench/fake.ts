/**
 * The bench's side of the fake: starts bench/fake-server.ts in a child process on
 * 127.0.0.1, issues codes in bulk through its HTTP control API before each timed run, reads
 * call counts, and asks the child for its accepted connections and CPU time.
 *
 * Control calls go through their own keep-alive `http.Agent`, never through the pools a
 * contender uses (fetch's global dispatcher, undici, the peers' agents).
 */
import { type ChildProcess, fork } from "node:child_process"
import { randomBytes } from "node:crypto"
import { Agent, request } from "node:http"
import { fileURLToPath } from "node:url"
import { APP, USERS } from "./config.js"
import type { Message, Request } from "./fake-server.js"

/** A code to log in with, the binding its login presents, and the nickname it must yield. */
export interface Login {
  readonly code: string
  readonly binding: string
  readonly nickname: string
}

export interface FakeStats {
  /** TCP connections the fake accepted so far. */
  readonly connections: number
  /** The fake process's CPU time so far (user + system), µs. */
  readonly cpuMicros: number
  /** The fake's heap in use (it keeps every code and token it issued). */
  readonly heapBytes: number
}

export interface Fake {
  readonly url: string
  /** `n` fresh `snsapi_userinfo` codes, rotating over the seeded users. */
  readonly codes: (n: number) => Promise<ReadonlyArray<Login>>
  /** Requests the fake answered on an endpoint path so far. */
  readonly calls: (endpoint: string) => Promise<number>
  readonly stats: () => Promise<FakeStats>
  readonly close: () => Promise<void>
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 })

const call = (url: string, method: "GET" | "POST", body?: unknown): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = request(url, { method, agent, headers: payload === undefined ? {} : { "content-type": "application/json" } }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        if (res.statusCode !== 200) reject(new Error(`fake control ${method} ${new URL(url).pathname}: ${res.statusCode} ${text}`))
        else resolve(JSON.parse(text))
      })
      res.on("error", reject)
    })
    req.on("error", reject)
    req.end(payload)
  })

/** Runs `f` over `0..n-1`, `width` at a time. */
const pool = async (n: number, width: number, f: (i: number) => Promise<void>) => {
  let next = 0
  const worker = async () => {
    while (next < n) await f(next++)
  }
  await Promise.all(Array.from({ length: Math.min(width, n) }, worker))
}

/** The control API of a fake already listening at `url` (what a heap-measuring process uses). */
export type Control = Pick<Fake, "url" | "codes" | "calls"> & { readonly close: () => void }

export const connect = (url: string): Control => {
  let userSeq = 0
  return {
    url,
    codes: async (n) => {
      const out = new Array<Login>(n)
      await pool(n, 16, async (i) => {
        const user = USERS[userSeq++ % USERS.length]!
        const { code } = (await call(`${url}/__fake/authorize`, "POST", { appId: APP.appId, userId: user.id, scope: "snsapi_userinfo" })) as { code: string }
        out[i] = { code, binding: randomBytes(12).toString("hex"), nickname: user.nickname }
      })
      return out
    },
    calls: async (endpoint) => ((await call(`${url}/__fake/calls?endpoint=${encodeURIComponent(endpoint)}`, "GET")) as { count: number }).count,
    close: () => agent.destroy()
  }
}

/** Starts the fake in a child process; `close` ends it. */
export const start = async (): Promise<Fake> => {
  const child: ChildProcess = fork(fileURLToPath(new URL("./fake-server.ts", import.meta.url)), [], {
    execArgv: ["--conditions=effect-wechat-source", "--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const url = await new Promise<string>((resolve, reject) => {
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`the fake exited with ${code} before listening`)))
    child.on("message", (m: Message) => {
      if (m.type === "ready") resolve(m.url)
    })
  })
  child.removeAllListeners("exit")
  let nextId = 0
  const pending = new Map<number, (stats: FakeStats) => void>()
  child.on("message", (m: Message) => {
    if (m.type !== "stats") return
    pending.get(m.id)?.({ connections: m.connections, cpuMicros: m.cpuMicros, heapBytes: m.heapBytes })
    pending.delete(m.id)
  })
  const control = connect(url)
  return {
    ...control,
    stats: () =>
      new Promise((resolve) => {
        const id = nextId++
        pending.set(id, resolve)
        child.send({ type: "stats", id } satisfies Request)
      }),
    close: async () => {
      control.close()
      const exited = new Promise((resolve) => child.once("exit", resolve))
      child.disconnect()
      await exited
    }
  }
}
