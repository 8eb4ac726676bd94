/**
 * A hostile "WeChat API host" on 127.0.0.1 (issue 9): one server whose behaviour is chosen
 * by the first path segment, so `apiBaseUrl: `${server.url}/<mode>`` points a client at one
 * kind of misbehaviour. Large bodies are generated chunk by chunk with backpressure (never
 * allocated whole, so the test process's RSS reflects the client, not the server), and the
 * server records how many body bytes each answer got out before the client hung up.
 *
 * Also: a gzip bomb built by streaming, a way to call `gc()` without `--expose-gc`, and a
 * sampler of peak RSS.
 */
import * as Compat from "#compat"
import { Effect } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { createGzip } from "node:zlib"
import { loopbackServer } from "./loopback.js"

/** What a hostile answer got out before it ended or the client went away. */
export interface Sent {
  readonly mode: string
  /** Body bytes handed to the socket (for the gzip bomb, the compressed bytes). */
  bytes: number
  /** The answer was written to its end (false: the client hung up first, or it never ends). */
  finished: boolean
}

export interface HostileServer {
  readonly url: string
  /** Request paths, including the mode segment. */
  readonly hits: Array<string>
  readonly sent: Array<Sent>
  /** Connections open now (a client that dropped an answer unread may keep one open). */
  readonly openConnections: () => number
}

const MiB = 1024 * 1024
const CHUNK = 64 * 1024
const X_CHUNK = Buffer.alloc(CHUNK, "x")
const SPACE_CHUNK = Buffer.alloc(CHUNK, " ")

/** A success body every endpoint accepts (schemas ignore extra fields): ok for all eight. */
export const universalSuccess = (extra: Record<string, string> = {}) => {
  const fields: Record<string, string> = {
    errcode: "0",
    errmsg: `"ok"`,
    access_token: `"ACCESS_TOKEN_hostile_0001"`,
    expires_in: "7200",
    refresh_token: `"REFRESH_TOKEN_hostile_0001"`,
    openid: `"oHostileOpenid0000000000001"`,
    scope: `"snsapi_userinfo"`,
    nickname: `"hostile"`,
    session_key: `"c2Vzc2lvbmtleWhvc3RpbGUwMQ=="`,
    ticket: `"TICKET_hostile_0001"`,
    ...extra
  }
  return `{${Object.entries(fields).map(([k, v]) => `"${k}":${v}`).join(",")}}`
}

/** Raw U+0000–U+001F characters inside strings, as WeChat sends some nicknames. */
export const CONTROL_CHARS_BODY = universalSuccess({ nickname: `"\u0000\u0007bell\u0014\u001f\n"`, openid: `"oHostile\u0001Openid"` })

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * Writes `count` chunks (Infinity: until the client leaves), waiting for `drain` when the
 * socket is full and `delayMs` between chunks. Stops as soon as the connection closes.
 */
const pump = async (
  res: ServerResponse,
  record: Sent,
  chunk: Buffer,
  count: number,
  delayMs = 0
): Promise<void> => {
  let closed = false
  res.once("close", () => {
    closed = true
  })
  for (let i = 0; i < count && !closed; i++) {
    const ok = res.write(chunk)
    record.bytes += chunk.length
    if (!ok) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off("drain", done)
          res.off("close", done)
          resolve()
        }
        res.once("drain", done)
        res.once("close", done)
      })
    }
    if (delayMs > 0) await sleep(delayMs)
  }
  if (!closed && Number.isFinite(count)) {
    res.end()
    record.finished = true
  }
}

let bomb: Promise<Buffer> | undefined

/** ~300 KB of gzip that inflates to 300 MiB of zeros; built once, by streaming. */
export const gzipBomb = (): Promise<Buffer> =>
  bomb ??= new Promise((resolve, reject) => {
    const gzip = createGzip({ level: 9 })
    const out: Array<Buffer> = []
    gzip.on("data", (c: Buffer) => out.push(c))
    gzip.on("end", () => resolve(Buffer.concat(out)))
    gzip.on("error", reject)
    const zeros = Buffer.alloc(MiB)
    let i = 0
    const write = () => {
      while (i < 300) {
        i++
        if (!gzip.write(zeros)) return void gzip.once("drain", write)
      }
      gzip.end()
    }
    write()
  })

/** Every mode the hostile server knows, and what it does. */
export const HOSTILE_MODES = {
  "stall": "accepts the request and never answers (no headers)",
  "drip": "a valid answer, one byte every 100 ms (done after ~30 s)",
  "reset-after-headers": "200 with content-length 2000, 10 bytes of body, then a TCP reset",
  "status-500": "HTTP 500 with an HTML body",
  "status-502": "HTTP 502 with an HTML body",
  "status-503": "HTTP 503 with an HTML body",
  "status-429": "HTTP 429 with an HTML body",
  "status-502-huge": "HTTP 502 with content-length 200 MiB, streamed (a proxy's endless error page)",
  "redirect-301": "301 to another loopback origin",
  "redirect-302": "302 to another loopback origin",
  "redirect-303": "303 to another loopback origin",
  "redirect-307": "307 to another loopback origin",
  "redirect-308": "308 to another loopback origin",
  "empty-gbk": "200, empty body, text/html; charset=gbk, content-length 0",
  "truncated-json": "200, a token answer cut in the middle",
  "json-array": "200, a JSON array",
  "json-number": "200, a JSON number",
  "json-null": "200, JSON null",
  "errcode-string": "200, errcode as a numeric string (\"40001\")",
  "errcode-float": "200, errcode 40001.5",
  "errcode-huge": "200, errcode 99999999999999999999",
  "errcode-infinite": "200, errcode 1e999 (parses as Infinity)",
  "control-chars": "200, a success body with raw control characters inside strings",
  "huge-announced": "200 with content-length 200 MiB, streamed",
  "huge-chunked": "200, chunked, 200 MiB streamed as fast as the client reads",
  "gzip-bomb": "200, content-encoding gzip, ~300 KB inflating to 300 MiB",
  "slow-errmsg": "200, `{\"errcode\":40001,\"errmsg\":\"xxxx…` 150 MiB, 64 KiB every 100 ms",
  "endless-chunked": "200, chunked, whitespace forever, 1 KiB every 10 ms"
} as const

export type HostileMode = keyof typeof HOSTILE_MODES

const STATUS = /^status-(\d{3})$/
const REDIRECT = /^redirect-(\d{3})$/

/**
 * The hostile server, for the scope's duration. `redirectTo` is the origin 3xx answers
 * point at (the rest of the URL is kept, as a hostile host would).
 */
export const hostileServer = (options: { readonly redirectTo?: string } = {}) =>
  Effect.acquireRelease(
    Compat.callback<HostileServer & { readonly close: () => Promise<void> }>((resume) => {
      const hits: Array<string> = []
      const sent: Array<Sent> = []
      const sockets = new Set<Socket>()
      const server = createServer((req, res) => {
        hits.push(req.url ?? "")
        // read the request body (stable_token's JSON) so the request is complete
        req.resume()
        const mode = (req.url ?? "/").split("/")[1]?.split("?")[0] ?? ""
        const record: Sent = { mode, bytes: 0, finished: false }
        sent.push(record)
        void answer(mode, req, res, record, options.redirectTo).catch(() => res.destroy())
      })
      server.on("connection", (socket) => {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
      })
      server.listen(0, "127.0.0.1", () => {
        resume(Effect.succeed({
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          hits,
          sent,
          openConnections: () => sockets.size,
          close: () =>
            new Promise<void>((resolve) => {
              for (const s of sockets) s.destroy()
              server.close(() => resolve())
            })
        }))
      })
    }),
    (s) => Effect.promise(s.close)
  )

const text = (res: ServerResponse, record: Sent, status: number, body: string, type = "text/plain") => {
  const bytes = Buffer.from(body, "utf8")
  res.writeHead(status, { "content-type": type, "content-length": String(bytes.length) })
  res.end(bytes)
  record.bytes = bytes.length
  record.finished = true
}

const answer = async (mode: string, req: IncomingMessage, res: ServerResponse, record: Sent, redirectTo: string | undefined) => {
  if (mode === "status-502-huge") {
    res.writeHead(502, { "content-type": "text/html", "content-length": String(200 * MiB) })
    return pump(res, record, X_CHUNK, (200 * MiB) / CHUNK)
  }
  const status = STATUS.exec(mode)
  if (status !== null) return text(res, record, Number(status[1]), `<html><body>${status[1]} from a proxy</body></html>`, "text/html")
  const redirect = REDIRECT.exec(mode)
  if (redirect !== null) {
    const target = `${redirectTo ?? "http://127.0.0.1:9"}${(req.url ?? "/").slice(mode.length + 1)}`
    res.writeHead(Number(redirect[1]), { location: target, "content-type": "text/html", "content-length": "0" })
    res.end()
    record.finished = true
    return
  }
  switch (mode) {
    case "stall":
      return // the socket stays open until the client gives up or the server closes
    case "drip": {
      const body = Buffer.from(universalSuccess())
      res.writeHead(200, { "content-type": "text/plain", "content-length": String(body.length) })
      res.flushHeaders()
      for (let i = 0; i < body.length && !res.destroyed; i++) {
        res.write(body.subarray(i, i + 1))
        record.bytes++
        await sleep(100)
      }
      if (!res.destroyed) {
        res.end()
        record.finished = true
      }
      return
    }
    case "reset-after-headers":
      res.writeHead(200, { "content-type": "text/plain", "content-length": "2000" })
      res.write(`{"access_t`)
      record.bytes = 10
      await sleep(20)
      res.socket?.resetAndDestroy()
      return
    case "empty-gbk":
      return text(res, record, 200, "", "text/html; charset=gbk")
    case "truncated-json":
      return text(res, record, 200, `{"access_token":"ACCESS_TOKEN_hostile_0001","expires_in":72`)
    case "json-array":
      return text(res, record, 200, `[{"errcode":0},{"access_token":"x"}]`)
    case "json-number":
      return text(res, record, 200, "40001")
    case "json-null":
      return text(res, record, 200, "null")
    case "errcode-string":
      return text(res, record, 200, `{"errcode":"40001","errmsg":"invalid credential rid: 0a1b2c3d-0a1b2c3d-0a1b2c3d"}`)
    case "errcode-float":
      return text(res, record, 200, `{"errcode":40001.5,"errmsg":"half a credential"}`)
    case "errcode-huge":
      return text(res, record, 200, `{"errcode":99999999999999999999,"errmsg":"huge"}`)
    case "errcode-infinite":
      return text(res, record, 200, `{"errcode":1e999,"errmsg":"infinite"}`)
    case "control-chars":
      return text(res, record, 200, CONTROL_CHARS_BODY)
    case "huge-announced":
      res.writeHead(200, { "content-type": "text/plain", "content-length": String(200 * MiB + 17) })
      res.write(`{"access_token":"`)
      return pump(res, record, X_CHUNK, (200 * MiB) / CHUNK)
    case "huge-chunked":
      res.writeHead(200, { "content-type": "text/plain" })
      res.write(`{"access_token":"`)
      return pump(res, record, X_CHUNK, (200 * MiB) / CHUNK)
    case "gzip-bomb": {
      const gz = await gzipBomb()
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip", "content-length": String(gz.length) })
      res.end(gz)
      record.bytes = gz.length
      record.finished = true
      return
    }
    case "slow-errmsg":
      res.writeHead(200, { "content-type": "text/plain" })
      res.write(`{"errcode":40001,"errmsg":"`)
      return pump(res, record, X_CHUNK, (150 * MiB) / CHUNK, 100)
    case "endless-chunked":
      res.writeHead(200, { "content-type": "text/plain" })
      res.write(`{"errcode":0,`)
      return pump(res, record, SPACE_CHUNK.subarray(0, 1024), Infinity, 10)
    default:
      return text(res, record, 404, "no such mode", "text/html")
  }
}

/** A server that counts its requests (`METHOD url`) and answers every one with a forged success. */
export const forgingServer = () => {
  const hits: Array<string> = []
  return loopbackServer((req, res) => {
    hits.push(`${req.method} ${req.url}`)
    req.resume()
    const body = universalSuccess({ openid: `"oFORGED-by-the-redirect-target"` })
    res.writeHead(200, { "content-type": "text/plain", "content-length": String(Buffer.byteLength(body)) })
    res.end(body)
  }).pipe(Effect.map((server) => ({ ...server, hits })))
}

let gcFn: (() => void) | undefined

/** `global.gc`, also in a process started without `--expose-gc`. */
export const gc = (): void => {
  if (gcFn === undefined) {
    const global = globalThis as { gc?: () => void }
    if (typeof global.gc === "function") {
      gcFn = global.gc
    } else {
      setFlagsFromString("--expose-gc")
      gcFn = runInNewContext("gc") as () => void
    }
  }
  gcFn()
  gcFn()
}

/** Samples `process.memoryUsage.rss()` every few ms until stopped: the peak, in bytes. */
export const rssSampler = () => {
  let peak = process.memoryUsage.rss()
  const timer = setInterval(() => {
    const now = process.memoryUsage.rss()
    if (now > peak) peak = now
  }, 5)
  return {
    stop: () => {
      clearInterval(timer)
      return Math.max(peak, process.memoryUsage.rss())
    }
  }
}
