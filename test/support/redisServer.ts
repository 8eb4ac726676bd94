/**
 * A real redis-server (Debian's package) on a loopback port, for tests.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { createConnection, createServer } from "node:net"

export const INSTALL_HINT =
  "redis-server is missing: run `bash scripts/ensure-system-deps.sh` (or `apt-get install -y redis-server`)"

export const redisBinary = (): string => {
  try {
    return execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim()
  } catch {
    throw new Error(INSTALL_HINT)
  }
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const ping = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port })
    socket.setTimeout(500)
    socket.once("connect", () => socket.write("PING\r\n"))
    socket.once("data", (d) => {
      socket.destroy()
      resolve(d.toString().startsWith("+PONG"))
    })
    socket.once("error", () => resolve(false))
    socket.once("timeout", () => {
      socket.destroy()
      resolve(false)
    })
  })

export interface RedisServer {
  readonly port: number
  readonly url: string
  stop(): Promise<void>
}

/** Starts redis-server on `port` (a free one by default) and waits until it answers PING. */
export const startRedis = async (port?: number): Promise<RedisServer> => {
  const binary = redisBinary()
  const p = port ?? (await freePort())
  const child: ChildProcess = spawn(
    binary,
    ["--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
    { stdio: "ignore" }
  )
  let exited = false
  child.once("exit", () => {
    exited = true
  })
  for (let i = 0; i < 200; i++) {
    if (await ping(p)) {
      return {
        port: p,
        url: `redis://127.0.0.1:${p}`,
        stop: () =>
          new Promise<void>((resolve) => {
            if (exited) return resolve()
            child.once("exit", () => resolve())
            child.kill("SIGKILL")
          })
      }
    }
    if (exited) break
    await new Promise((r) => setTimeout(r, 25))
  }
  child.kill("SIGKILL")
  throw new Error(`redis-server did not start on 127.0.0.1:${p}`)
}
