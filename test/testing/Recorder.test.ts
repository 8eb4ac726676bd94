import { FetchHttpClient, HttpClient } from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Redacted } from "effect"
import fc from "fast-check"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { BasicToken, Sns, TokenStore, WechatConfig } from "../../src/index.js"
import { Cassette, FakeWechat, Recorder, Replay } from "../../src/testing/index.js"
import { loopbackServer } from "../support/loopback.js"
import { scoped } from "#test-compat"

const SECRET = "RECORDER-SENTINEL-SECRET"
const TOKEN = "RECORDER-SENTINEL-TOKEN"
const REFRESH = "RECORDER-SENTINEL-REFRESH"

const liveServer = loopbackServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain", "set-cookie": "x=1" })
  if (req.url?.startsWith("/sns/oauth2/access_token")) {
    res.end(JSON.stringify({ access_token: TOKEN, expires_in: 7200, refresh_token: REFRESH, openid: "OPENID", scope: "snsapi_base" }))
  } else {
    res.end(`{"errcode":40125,"errmsg":"invalid appsecret rid: 671b9ddb-6ce940c8-7d5bcaf9"}`)
  }
})

describe("Recorder", () => {
  scoped("writes a cassette with secrets masked, which Replay then answers from", () =>
    Effect.gen(function*() {
      const server = yield* liveServer
      const path = join(mkdtempSync(join(tmpdir(), "rec-")), "login.json")
      const app = Layer.merge(WechatConfig.layer({ appId: "wx0000000000000001", appSecret: Redacted.make(SECRET), apiBaseUrl: server.url }), TokenStore.layerMemory)

      const live = yield* Sns.exchangeCode("LIVE-CODE-123456").pipe(
        Effect.provide(Layer.merge(Recorder.layer(path).pipe(Layer.provide(FetchHttpClient.layer)), app))
      )
      expect(Redacted.value(live.accessToken)).toBe(TOKEN)
      const failed = yield* Effect.flip(BasicToken.fetch().pipe(
        Effect.provide(Layer.merge(Recorder.layer(path + ".2").pipe(Layer.provide(FetchHttpClient.layer)), app))
      ))
      expect(failed._tag).toBe("AppMisconfigured")

      const text = readFileSync(path, "utf8")
      for (const s of [SECRET, TOKEN, REFRESH, "LIVE-CODE-123456"]) expect(text).not.toContain(s)
      expect(readFileSync(path + ".2", "utf8")).not.toContain(SECRET)
      const cassette = JSON.parse(text)
      expect(cassette.interactions).toHaveLength(1)
      expect(cassette.interactions[0].request).toEqual({
        method: "GET",
        host: new URL(server.url).host,
        path: "/sns/oauth2/access_token",
        query: { appid: "wx0000000000000001", secret: "<redacted:1>", code: "<redacted:2>", grant_type: "authorization_code" },
        exact: true
      })
      expect(cassette.interactions[0].response.headers).toEqual({ "content-type": "text/plain" })
      expect(JSON.parse(cassette.interactions[0].response.body)).toMatchObject({ access_token: "<redacted:3>", refresh_token: "<redacted:4>", openid: "OPENID" })

      const replayed = yield* Sns.exchangeCode("ANY-OTHER-CODE").pipe(Effect.provide(Layer.merge(Replay.layer(path), app)))
      expect(replayed.openid).toBe("OPENID")
      expect(replayed.scope).toEqual(["snsapi_base"])
    }))
})

/** A Recorder over the fake's client, writing to a fresh file `<name>.json`. */
const recordingOf = (fake: FakeWechat.Service, name: string) => {
  const path = join(mkdtempSync(join(tmpdir(), "rec-")), `${name}.json`)
  return Effect.map(Recorder.make(path).pipe(Effect.provideService(HttpClient.HttpClient, FakeWechat.httpClient(fake))), (recording) => ({ path, recording }))
}

describe("Recorder: concurrent requests", () => {
  const APP = { appId: "wx00000000000000a1", appSecret: "recorder-app-secret", kind: "official-account" as const }
  const config = WechatConfig.layer({ appId: APP.appId, appSecret: APP.appSecret })

  it.live("are recorded in the order they were sent, so replay hands each user their own answer", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat.make({ apps: [APP] })
      const alice = yield* fake.addUser({ id: "alice", nickname: "a" })
      const bob = yield* fake.addUser({ id: "bob", nickname: "b" })
      const { path, recording } = yield* recordingOf(fake, "concurrent")
      const codeA = yield* fake.authorize({ appId: APP.appId, userId: alice.id, scope: "snsapi_base" })
      const codeB = yield* fake.authorize({ appId: APP.appId, userId: bob.id, scope: "snsapi_base" })
      // alice's exchange is sent first and answered last
      yield* fake.inject("sns/oauth2/access_token", { fault: "latency", millis: 100, times: 1 })
      const live = yield* Effect.all([Sns.exchangeCode(codeA), Sns.exchangeCode(codeB)], { concurrency: 2 }).pipe(
        Effect.provide(Layer.mergeAll(config, TokenStore.layerMemory, Layer.succeed(HttpClient.HttpClient, recording)))
      )
      expect(live.map((t) => t.openid)).toEqual([yield* fake.openid({ appId: APP.appId, userId: alice.id }), yield* fake.openid({ appId: APP.appId, userId: bob.id })])
      const recorded: Array<{ response: { body: string } }> = JSON.parse(readFileSync(path, "utf8")).interactions
      expect(recorded.map((i) => JSON.parse(i.response.body).openid)).toEqual(live.map((t) => t.openid))

      const replayed = yield* Effect.all([Sns.exchangeCode("ALICE-CODE-0001"), Sns.exchangeCode("BOB-CODE-0002")]).pipe(
        Effect.provide(Layer.mergeAll(config, TokenStore.layerMemory, Replay.layer(path)))
      )
      expect(replayed.map((t) => t.openid)).toEqual(live.map((t) => t.openid))
    }))
})

describe("Recorder: numbered placeholders", () => {
  const APP = { appId: "wx00000000000000a2", appSecret: "numbered-app-secret", kind: "official-account" as const }
  const config = WechatConfig.layer({ appId: APP.appId, appSecret: APP.appSecret })

  it.effect("give each secret its own number, the same wherever it appears, and the recording replays", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat.make({ apps: [APP] })
      const user = yield* fake.addUser({ nickname: "Ann" })
      const { path, recording } = yield* recordingOf(fake, "numbered")
      const flow = (code: string) =>
        Effect.flatMap(Sns.exchangeCode(code), (token) => Sns.userInfo({ accessToken: token.accessToken, openid: token.openid }))
      const live = yield* flow(yield* fake.authorize({ appId: APP.appId, userId: user.id, scope: "snsapi_userinfo" })).pipe(
        Effect.provide(Layer.mergeAll(config, TokenStore.layerMemory, Layer.succeed(HttpClient.HttpClient, recording)))
      )
      const [exchange, info] = JSON.parse(readFileSync(path, "utf8")).interactions
      expect(exchange.request.query).toMatchObject({ secret: "<redacted:1>", code: "<redacted:2>" })
      expect(JSON.parse(exchange.response.body)).toMatchObject({ access_token: "<redacted:3>", refresh_token: "<redacted:4>" })
      // the token the exchange returned, sent again: the same number
      expect(info.request.query.access_token).toBe("<redacted:3>")

      const replayed = yield* flow("ANOTHER-CODE-123").pipe(Effect.provide(Layer.mergeAll(config, TokenStore.layerMemory, Replay.layer(path))))
      expect(replayed.nickname).toBe(live.nickname)
    }))

  it("numbers the secrets of a body and scrubs known ones anywhere in it", () => {
    const numbers = new Map<string, number>()
    const placeholderFor = (value: string) => `<redacted:${numbers.get(value) ?? (numbers.set(value, numbers.size + 1), numbers.size)}>`
    placeholderFor("REQUEST-SECRET-1")
    expect(Recorder.maskBody(`{"access_token":"NEW-TOKEN-2","errmsg":"echo REQUEST-SECRET-1 and NEW-TOKEN-2","refresh_token":"NEW-TOKEN-2"}`, ["REQUEST-SECRET-1", "NEW-TOKEN-2"], placeholderFor))
      .toBe(`{"access_token":"<redacted:2>","errmsg":"echo <redacted:1> and <redacted:2>","refresh_token":"<redacted:2>"}`)
    expect(Recorder.maskBody(`{"session_key":"SK-3\\/x","expires_in":72`, [], placeholderFor)).toBe(`{"session_key":"<redacted:3>","expires_in":72`)
    expect(numbers.get("SK-3/x")).toBe(3)
  })
})

describe("Recorder: recorded matchers", () => {
  const APP = { appId: "wx00000000000000a3", appSecret: "exact-app-secret", kind: "official-account" as const }

  it.effect("are exact and name their host: a force refresh, or the same call to another host, is not replayed", () =>
    Effect.gen(function*() {
      const fake = yield* FakeWechat.make({ apps: [APP] })
      const { path, recording } = yield* recordingOf(fake, "exact")
      const config = (apiBaseUrl?: string) => WechatConfig.layer({ appId: APP.appId, appSecret: APP.appSecret, ...(apiBaseUrl === undefined ? {} : { apiBaseUrl }) })
      yield* BasicToken.fetchStable().pipe(Effect.provide(Layer.merge(config(), Layer.succeed(HttpClient.HttpClient, recording))))

      const replay = (effect: Effect.Effect<unknown, unknown, HttpClient.HttpClient | WechatConfig.WechatConfig>, apiBaseUrl?: string) =>
        Effect.exit(effect.pipe(Effect.provide(Layer.merge(config(apiBaseUrl), Replay.layer(path)))))
      expect(Exit.isSuccess(yield* replay(BasicToken.fetchStable()))).toBe(true)
      for (const exit of [yield* replay(BasicToken.fetchStable({ forceRefresh: true })), yield* replay(BasicToken.fetchStable(), "https://evil.example")]) {
        expect(Exit.isFailure(exit) && (Cause.squash(exit.cause) as Replay.UnmatchedRequest)._tag).toBe("UnmatchedRequest")
      }
    }))
})

describe("Recorder.maskBody", () => {
  it("masks a secret field of a truncated body that ends inside its string, even right after a backslash", () => {
    for (const body of [`{"access_token":"97_TRUNCATED-SECRET\\`, `{"access_token":"97_TRUNCATED-SECRET`, `{"session_key":"TRUNCATED-SECRET\\/x\\`]) {
      const masked = Recorder.maskBody(body, [])
      expect(masked).not.toContain("TRUNCATED-SECRET")
      expect(masked).toMatch(/^\{"(access_token|session_key)":"<redacted>"/)
    }
  })
})

/** A JSON string as WeChat writes it: `/` escaped as `\/`, control characters raw. */
const wechatString = (s: string): string =>
  JSON.stringify(s).replace(/\//g, "\\/").replace(/\\u00([01][0-9a-f])/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))

type Node = string | number | { readonly entries: ReadonlyArray<readonly [string, Node]> } | ReadonlyArray<Node>

/** WeChat-style JSON text for a tree; with `masked`, every secret key's string value is the mask. */
const render = (node: Node, masked: boolean, space: string): string => {
  if (typeof node === "string") return wechatString(node)
  if (typeof node === "number") return String(node)
  if (Array.isArray(node)) return `[${node.map((n) => render(n, masked, space)).join(",")}]`
  const { entries } = node as { readonly entries: ReadonlyArray<readonly [string, Node]> }
  return `{${
    entries.map(([k, v]) =>
      `${wechatString(k)}${space}:${space}${masked && Cassette.secretKeys.has(k) && typeof v === "string" ? `"${Cassette.MASK}"` : render(v, masked, space)}`
    ).join(",")
  }}`
}

describe("Recorder.maskBody keeps the body's bytes", () => {
  const nasty = fc.string({ unit: fc.oneof(fc.constantFrom("/", "\\", "\"", "\u0000", "\u0007", "\u001f", "\n", "中", ":", "{"), fc.char()), maxLength: 20 })
  const key = fc.constantFrom(...Cassette.secretKeys, "openid", "nickname", "errmsg", "headimgurl", "data")
  const tree: fc.Arbitrary<Node> = fc.letrec<{ node: Node; object: Node }>((tie) => ({
    node: fc.oneof({ depthSize: "small", withCrossShrink: true }, nasty, fc.integer(), tie("object"), fc.array(tie("node"), { maxLength: 3 })),
    object: fc.record({ entries: fc.array(fc.tuple(key, tie("node")), { maxLength: 5 }) })
  })).object

  it("masks exactly the string values of secret keys, at any depth, and keeps every other byte (property)", () => {
    fc.assert(
      fc.property(tree, fc.constantFrom("", " "), (node, space) => {
        expect(Recorder.maskBody(render(node, false, space), [])).toBe(render(node, true, space))
      }),
      { numRuns: 300 }
    )
  })

  it.each([
    [
      `{"openid":"o1","nickname":"Ann\\/\u0007","access_token":"97_SECRET\\/x","headimgurl":"http:\\/\\/wx.qlogo.cn\\/a"}`,
      `{"openid":"o1","nickname":"Ann\\/\u0007","access_token":"<redacted>","headimgurl":"http:\\/\\/wx.qlogo.cn\\/a"}`
    ],
    [
      `{"data":{"list":[{"ticket":"T\u0001SECRET"}],"session_key" : "SK\\/SECRET"},"errmsg":"\\"code\\":\\"not-a-field\\""}`,
      `{"data":{"list":[{"ticket":"<redacted>"}],"session_key" : "<redacted>"},"errmsg":"\\"code\\":\\"not-a-field\\""}`
    ],
    [`{"acc\\u0065ss_token":"ESCAPED-KEY-SECRET","n":1}\n`, `{"acc\\u0065ss_token":"<redacted>","n":1}\n`],
    [`{"access_token" : "97_SECRET", "expires_in":7200}garbage`, `{"access_token" : "<redacted>", "expires_in":7200}garbage`]
  ])("masks %j in place", (body, expected) => {
    expect(Recorder.maskBody(body, [])).toBe(expected)
  })
})
