/**
 * The published package works from plain Node: `npm pack`, install the tarball into an
 * empty folder, import both entry points.
 */
import { execFileSync, spawn } from "node:child_process"
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))
const npm = (args: Array<string>, cwd: string) =>
  execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_loglevel: "error" } })

describe("npm package", () => {
  it("packs, installs into an empty folder, imports from plain Node and runs the bin", async () => {
    const dir = mkdtempSync(join(tmpdir(), "effect-wechat-pack-"))
    npm(["pack", "--pack-destination", dir], root)
    const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"))
    expect(tarball).toMatch(/^effect-wechat-\d+\.\d+\.\d+\.tgz$/)
    const app = join(dir, "app")
    execFileSync("mkdir", ["-p", app])
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", type: "module", private: true }))
    npm(["install", "--no-audit", "--no-fund", join(dir, tarball!), "ioredis@5"], app)
    writeFileSync(join(app, "main.mjs"), `
import { Effect } from "effect"
import { Sns, WechatConfig, WechatError, BasicToken, JsSdk, MiniProgram } from "effect-wechat"
import { Replay, Recorder, FakeWechat } from "effect-wechat/testing"
import { RedisTokenStore } from "effect-wechat/redis"
const url = await Effect.runPromise(Sns.authorizeUrl({ redirectUri: "https://e.com/cb", scope: "snsapi_base", state: "s" }).pipe(
  Effect.provide(WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s" }))))
console.log(JSON.stringify({
  url,
  modules: [typeof BasicToken.fetch, typeof JsSdk.sign, typeof MiniProgram.code2Session, typeof WechatError.fromErrcode, typeof Replay.layer, typeof Recorder.layer, typeof FakeWechat.layer, typeof RedisTokenStore.layer]
}))
`)
    const out = JSON.parse(execFileSync("node", ["main.mjs"], { cwd: app, encoding: "utf8" }))
    expect(out.url).toBe("https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx0000000000000001&redirect_uri=https%3A%2F%2Fe.com%2Fcb&response_type=code&scope=snsapi_base&state=s#wechat_redirect")
    expect(out.modules).toEqual(Array(8).fill("function"))
    // the bin runs the fake standalone
    const fake = spawn(join(app, "node_modules", ".bin", "effect-wechat-fake"), ["--port", "0"], { cwd: app, stdio: ["ignore", "pipe", "pipe"] })
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        let out = ""
        fake.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString()
          if (out.includes("Ctrl-C to stop.")) resolve(out)
        })
        fake.on("exit", (code) => reject(new Error(`effect-wechat-fake exited with ${code}: ${out}`)))
      })
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)![1]!
      expect(banner).toContain("appId=wx00000000000de001")
      const state = await (await fetch(`${url}/__fake/state`)).json()
      expect(state.users.map((u: { id: string }) => u.id)).toEqual(["alice", "bob", "snap"])
      const token = await (await fetch(`${url}/cgi-bin/token?grant_type=client_credential&appid=wx00000000000de001&secret=fake-demo-secret-0123456789abcdef`)).json()
      expect(token.expires_in).toBe(7200)
    } finally {
      const exited = new Promise((resolve) => fake.once("exit", resolve))
      fake.kill("SIGTERM")
      expect(await exited).toBe(0) // SIGTERM closes the server and exits cleanly
    }
    // the tarball ships compiled code and types, not tests
    const listing = execFileSync("tar", ["-tzf", join(dir, tarball!)], { encoding: "utf8" })
    expect(listing).toContain("package/dist/index.js")
    expect(listing).toContain("package/dist/testing/index.d.ts")
    expect(listing).not.toContain("package/test/")
  }, 240_000)
})
