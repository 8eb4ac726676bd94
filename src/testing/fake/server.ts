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
import { isLoopbackHost } from "../../internal/loopback.js"

const readBody = (req: IncomingMessage) =>
  Compat.callback<string>((resume) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resume(Effect.succeed(Buffer.concat(chunks).toString("utf8"))))
    req.on("error", () => resume(Effect.succeed("")))
  })

/** The host of a `Host` header or an origin (`[::1]:8788` → `[::1]:8788`, lower case), or `undefined`. */
const authorityOf = (authority: string): URL | undefined => {
  try {
    return new URL(`http://${authority}`)
  } catch {
    return undefined
  }
}

/**
 * Why a control-API request is refused, or `undefined`. Bound to loopback (the default),
 * its `Host` must be a loopback name: a page of another site reaching the fake through DNS
 * rebinding names its own host. Bound elsewhere (a container's `0.0.0.0`), the fake is
 * reachable by name anyway and any `Host` is taken. Either way a browser's `Origin`, when
 * sent, must be the host the request was sent to: a cross-site form or `fetch` may not
 * seed apps or read state.
 */
const controlRefusal = (req: IncomingMessage, boundHost: string): string | undefined => {
  const host = authorityOf(req.headers.host ?? "")
  if (host === undefined || (isLoopbackHost(boundHost) && !isLoopbackHost(host.hostname))) {
    return "the control API answers only requests to a loopback host"
  }
  const origin = req.headers.origin
  if (origin === undefined) return undefined
  let from: URL | undefined
  try {
    from = new URL(origin)
  } catch {
    from = undefined
  }
  return from !== undefined && from.protocol === "http:" && from.host === host.host ? undefined : "the control API refuses requests from another origin"
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
    if (!isLoopbackHost(host)) {
      yield* Effect.logWarning(
        `FakeWechat.serve: listening on ${host}, not a loopback address: whoever reaches it can log in as whichever fake user they like; ` +
          `its control API (/__fake/) answers any host name, and still refuses cross-origin browser requests`
      )
    }
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://fake")
      if (url.pathname === "/__fake" || url.pathname.startsWith("/__fake/")) {
        const refusal = controlRefusal(req, host)
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
