/**
 * The fake as a real HTTP server on loopback (plain `node:http`, no extra dependency).
 * @internal
 */
import * as Compat from "#compat"
import { Effect, Exit, type Scope } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { Service } from "../FakeWechat.js"
import { handlePages } from "./consent.js"
import { handleControl } from "./control.js"
import { type FakeRequest, type FakeResponse, FakeWechatError } from "./model.js"
import { reply } from "./wire.js"

const readBody = (req: IncomingMessage) =>
  Compat.callback<string>((resume) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resume(Effect.succeed(Buffer.concat(chunks).toString("utf8"))))
    req.on("error", () => resume(Effect.succeed("")))
  })

/** Whether a host name or address is this machine's loopback: `localhost`, 127.0.0.0/8, `::1`. */
export const isLoopback = (host: string): boolean => {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, "$1")
  return name === "localhost" || name === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)
}

/** The host name of a `Host` header or an origin's authority (`[::1]:8788` → `::1`), or `undefined`. */
const hostnameOf = (authority: string): string | undefined => {
  try {
    return new URL(`http://${authority}`).hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1")
  } catch {
    return undefined
  }
}

/**
 * Why a control-API request is refused, or `undefined`: its `Host` must be a loopback name
 * or the host the server was bound to (a page of another site reaching the fake through
 * DNS rebinding names its own host), and a browser's `Origin`, when sent, must be the
 * server's own (a cross-site form or `fetch` may not seed apps or read state).
 */
const controlRefusal = (req: IncomingMessage, boundHost: string, port: number): string | undefined => {
  const bound = boundHost.toLowerCase().replace(/^\[(.*)\]$/, "$1")
  const ours = (name: string | undefined) => name !== undefined && (isLoopback(name) || name === bound)
  if (!ours(hostnameOf(req.headers.host ?? ""))) return "the control API answers only requests to a loopback host or the host it is bound to"
  const origin = req.headers.origin
  if (origin === undefined) return undefined
  let url: URL | undefined
  try {
    url = new URL(origin)
  } catch {
    url = undefined
  }
  const own = url !== undefined && url.protocol === "http:" && ours(hostnameOf(url.host)) && (url.port === "" ? 80 : Number(url.port)) === port
  return own ? undefined : "the control API refuses requests from another origin"
}

const respond = (res: ServerResponse, response: FakeResponse) => {
  if (response._tag === "Reset") {
    res.socket?.destroy()
    return
  }
  const body = Buffer.from(response.body, "utf8")
  res.writeHead(response.status, { ...response.headers, "content-length": String(body.length) })
  res.end(body)
}

export interface Address {
  readonly host: string
  readonly port: number
  /** `http://host:port`: use it as both `apiBaseUrl` and `openBaseUrl`. */
  readonly url: string
}

/** Serves the fake (API, consent pages, control API) until the scope closes. */
export const serve = (
  fake: Service,
  options: { readonly port?: number | undefined; readonly host?: string | undefined }
): Effect.Effect<Address, FakeWechatError, Scope.Scope> =>
  Effect.gen(function*() {
    const run = yield* Compat.runner()
    const host = options.host ?? "127.0.0.1"
    if (!isLoopback(host)) {
      yield* Effect.logWarning(
        `FakeWechat.serve: listening on ${host}, not a loopback address: whoever reaches it can log in as any fake user; ` +
          `its control API (/__fake/) still answers only requests addressed to ${host} or a loopback name`
      )
    }
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://fake")
      if (url.pathname === "/__fake" || url.pathname.startsWith("/__fake/")) {
        const refusal = controlRefusal(req, host, (server.address() as AddressInfo).port)
        if (refusal !== undefined) return respond(res, reply(403, { error: refusal }))
      }
      const query: Record<string, string> = {}
      url.searchParams.forEach((v, k) => {
        query[k] = v
      })
      const fiber = run(
        readBody(req).pipe(
          Effect.flatMap((body) => {
            const request: FakeRequest = {
              method: req.method ?? "GET",
              path: url.pathname,
              query,
              body,
              ip: (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
              origin: `http://${req.headers.host ?? `${host}:${options.port ?? 0}`}`
            }
            return handleControl(fake, request) ?? handlePages(fake.emulator, request) ?? fake.emulator.handle(request)
          })
        )
      )
      Compat.observe(fiber, (exit) => {
        if (Exit.isSuccess(exit)) respond(res, exit.value)
        else res.socket?.destroy()
      })
    })
    const address = yield* Effect.acquireRelease(
      Compat.callback<Address, FakeWechatError>((resume) => {
        server.once("error", (e) => resume(Effect.fail(new FakeWechatError({ reason: `cannot listen on ${host}:${options.port ?? 0}: ${e.message}` }))))
        server.listen(options.port ?? 0, host, () => {
          const port = (server.address() as AddressInfo).port
          resume(Effect.succeed({ host, port, url: `http://${host.includes(":") ? `[${host}]` : host}:${port}` }))
        })
      }),
      () =>
        Compat.callback<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    return address
  })
