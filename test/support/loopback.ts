/**
 * A real HTTP server on 127.0.0.1 for the duration of a scope, recording request URLs.
 */
import * as Compat from "#compat"
import { Effect } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

export const loopbackServer = (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
  Effect.acquireRelease(
    Compat.callback<{ readonly url: string; readonly hits: Array<string>; readonly close: () => Promise<void> }>((resume) => {
      const hits: Array<string> = []
      const server = createServer((req, res) => {
        hits.push(req.url ?? "")
        handler(req, res)
      })
      server.listen(0, "127.0.0.1", () => {
        resume(Effect.succeed({
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          hits,
          close: () =>
            new Promise<void>((resolve) => {
              server.closeAllConnections()
              server.close(() => resolve())
            })
        }))
      })
    }),
    (s) => Effect.promise(s.close)
  )

/** A server answering every request with `body` as WeChat does (HTTP 200, text/plain). */
export const answeringServer = (body: string) =>
  loopbackServer((_, res) => {
    res.writeHead(200, { "content-type": "text/plain" })
    res.end(body)
  })
