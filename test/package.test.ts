/**
 * The published package works for a new user of either edition: `npm pack`, then install
 * the tarball into two empty folders the way the README says (Effect 3: `effect@3` and
 * `@effect/platform@0.97`; Effect 4: plain `effect`), with no flag. Each folder imports its
 * entries from plain Node, runs a login against the fake, type-checks a small consumer with
 * `tsc`, and runs the bin.
 */
import { execFileSync, spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { beforeAll, describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))
const npm = (args: Array<string>, cwd: string) =>
  execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_loglevel: "error" } })

const DEMO = { appId: "wx00000000000de001", appSecret: "fake-demo-secret-0123456789abcdef" }

/** Imports every entry of `prefix`, then logs in through the fake (in memory). */
const mainScript = (prefix: string) => `
import { Effect, Layer } from "effect"
import { Sns, WechatConfig, WechatError, BasicToken, JsSdk, MiniProgram } from "${prefix}"
import { Replay, Recorder, FakeWechat } from "${prefix}/testing"
import { RedisTokenStore } from "${prefix}/redis"
const app = ${JSON.stringify(DEMO)}
const url = await Effect.runPromise(Sns.authorizeUrl({ redirectUri: "https://e.com/cb", scope: "snsapi_base", state: "s" }).pipe(
  Effect.provide(WechatConfig.layer(app))))
const login = Effect.gen(function*() {
  const fake = yield* FakeWechat
  const code = yield* fake.authorize({ appId: app.appId, userId: "alice", scope: "snsapi_userinfo" })
  const token = yield* Sns.exchangeCode(code)
  const profile = yield* Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })
  return { openid: token.openid, nickname: profile.nickname }
})
const loggedIn = await Effect.runPromise(login.pipe(
  Effect.provide(Layer.merge(FakeWechat.layer({ apps: [app], users: [{ id: "alice", nickname: "Alice" }] }), WechatConfig.layer(app)))))
console.log(JSON.stringify({
  url,
  loggedIn,
  modules: [typeof BasicToken.fetch, typeof JsSdk.sign, typeof MiniProgram.code2Session, typeof WechatError.fromErrcode, typeof Replay.layer, typeof Recorder.layer, typeof FakeWechat.layer, typeof RedisTokenStore.layer]
}))
`

/** A consumer `tsc` checks: the entries' types, in the edition's idiom. */
const consumerSource = (prefix: string, edition: "v3" | "v4") => `
import { Effect, Layer, Option } from "effect"
import { Sns, WechatConfig, WechatDecode } from "${prefix}"
import { FakeWechat } from "${prefix}/testing"
import { RedisTokenStore } from "${prefix}/redis"

export const login: Effect.Effect<{ readonly openid: string; readonly unionid: Option.Option<string> }, unknown> = Effect.gen(function*() {
  const fake = yield* FakeWechat
  const code = yield* fake.authorize({ appId: "wx00000000000de001", userId: "alice", scope: "snsapi_base" })
  const token = yield* Sns.exchangeCode(code)
  return { openid: token.openid, unionid: token.unionid }
}).pipe(Effect.provide(Layer.merge(FakeWechat.layer(), WechatConfig.layer(${JSON.stringify(DEMO)}))))

// decoding answers a ${edition === "v3" ? "Either (Effect 3)" : "Result (Effect 4)"}
const decoded = WechatDecode.parseJson("{}")
export const ok: boolean = ${edition === "v3" ? "decoded._tag === \"Right\"" : "decoded._tag === \"Success\""}
export const store = RedisTokenStore.layer
`

const tsconfig = {
  compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: false, noEmit: true, types: ["node"] },
  files: ["consumer.ts"]
}

let dir = ""
let tarball = ""

// It packs and installs both editions whichever run it is in: the Effect 4 run (vitest 5)
// leaves it to the Effect 3 run rather than pack and install everything twice.
const otherRun = process.env["EFFECT_WECHAT_EDITION"] === "v4"

beforeAll(() => {
  if (otherRun) return
  dir = mkdtempSync(join(tmpdir(), "effect-wechat-pack-"))
  npm(["pack", "--pack-destination", dir], root)
  tarball = join(dir, readdirSync(dir).find((f) => f.endsWith(".tgz"))!)
}, 240_000)

const editions = [
  { edition: "v3" as const, prefix: "effect-wechat", install: ["effect@3", "@effect/platform@0.97", "@types/node@20"], effectMajor: "3" },
  { edition: "v4" as const, prefix: "effect-wechat/v4", install: ["effect", "@types/node@22"], effectMajor: "4" }
]

describe.skipIf(otherRun).each(editions)("npm package, $edition", ({ edition, prefix, install, effectMajor }) => {
  it("installs into an empty folder with no flag, imports its entries, logs in through the fake, type-checks a consumer, runs the bin", async () => {
    expect(tarball).toMatch(/effect-wechat-\d+\.\d+\.\d+\.tgz$/)
    const app = join(dir, edition)
    mkdirSync(app)
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: `app-${edition}`, version: "1.0.0", type: "module", private: true }))
    // what the README tells a new user to run (plus ioredis for the redis entry and tsc)
    npm(["install", "--no-audit", "--no-fund", ...install, tarball, "ioredis@5", "typescript@5.9"], app)
    const installed = JSON.parse(readFileSync(join(app, "node_modules", "effect", "package.json"), "utf8"))
    expect(installed.version.split(".")[0]).toBe(effectMajor)

    writeFileSync(join(app, "main.mjs"), mainScript(prefix))
    const out = JSON.parse(execFileSync(process.execPath, ["main.mjs"], { cwd: app, encoding: "utf8" }))
    expect(out.url).toBe("https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx00000000000de001&redirect_uri=https%3A%2F%2Fe.com%2Fcb&response_type=code&scope=snsapi_base&state=s#wechat_redirect")
    expect(out.loggedIn.nickname).toBe("Alice")
    expect(out.loggedIn.openid).toMatch(/^o/)
    expect(out.modules).toEqual(Array(8).fill("function"))

    writeFileSync(join(app, "consumer.ts"), consumerSource(prefix, edition))
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify(tsconfig))
    execFileSync(process.execPath, [join(app, "node_modules", "typescript", "bin", "tsc"), "-p", "."], { cwd: app, encoding: "utf8" })

    // the one bin starts the fake of the installed edition
    const fake = spawn(join(app, "node_modules", ".bin", "effect-wechat-fake"), ["--port", "0"], { cwd: app, stdio: ["ignore", "pipe", "pipe"] })
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        let text = ""
        fake.stdout.on("data", (chunk: Buffer) => {
          text += chunk.toString()
          if (text.includes("Ctrl-C to stop.")) resolve(text)
        })
        fake.stderr.on("data", (chunk: Buffer) => {
          text += chunk.toString()
        })
        fake.on("exit", (code) => reject(new Error(`effect-wechat-fake exited with ${code}: ${text}`)))
      })
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)![1]!
      expect(banner).toContain(`appId=${DEMO.appId}`)
      const state = await (await fetch(`${url}/__fake/state`)).json()
      expect(state.users.map((u: { id: string }) => u.id)).toEqual(["alice", "bob", "snap"])
      const token = await (await fetch(`${url}/cgi-bin/token?grant_type=client_credential&appid=${DEMO.appId}&secret=${DEMO.appSecret}`)).json()
      expect(token.expires_in).toBe(7200)
    } finally {
      const exited = new Promise((resolve) => fake.once("exit", resolve))
      fake.kill("SIGTERM")
      expect(await exited).toBe(0) // SIGTERM closes the server and exits cleanly
    }
  }, 300_000)
})

describe.skipIf(otherRun)("npm package contents", () => {
  it("ships both editions' compiled code and types, not tests", () => {
    const listing = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" })
    for (const file of ["dist/index.js", "dist/testing/index.d.ts", "dist/v4/index.js", "dist/v4/testing/index.d.ts", "dist/v4/redis/index.js", "dist/v4/package.json"]) {
      expect(listing).toContain(`package/${file}`)
    }
    expect(listing).not.toContain("package/test/")
  })
})
