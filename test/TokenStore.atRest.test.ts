/**
 * Secrets at rest: every value the library stores is sealed; the file store is private and
 * removes what expired; the memory store evicts; a failing store never costs a login.
 */
import { captureLogs, NodeServices, withClock } from "#test-compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { TestClock } from "#test-compat"
import { createDecipheriv, createHmac, hkdfSync } from "node:crypto"
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runInNewContext } from "node:vm"
import { setFlagsFromString } from "node:v8"
import { HttpClient, HttpClientResponse } from "#compat"
import { AccessTokenProvider, JsSdk, MiniProgram, Sns, TokenStore, WechatConfig } from "../src/index.js"
import { Replay } from "../src/testing/index.js"
import { fastForwardClock } from "./helpers.js"

const S = {
  appSecret: "SENTINEL-APPSECRET-at-rest-01",
  accessToken: "SENTINEL-WEB-TOKEN-at-rest-02",
  refreshToken: "SENTINEL-REFRESH-at-rest-03",
  sessionKey: "SENTINEL-SESSION-KEY-at-rest-04",
  basicToken: "SENTINEL-BASIC-TOKEN-at-rest-05",
  ticket: "SENTINEL-TICKET-at-rest-06",
  code: "SENTINEL-CODE-at-rest-07",
  binding: "SENTINEL-LOGIN-SESSION-at-rest-08"
}
const sentinels = Object.values(S)

const wechat = Replay.layer({
  interactions: [
    { request: { path: "sns/oauth2/access_token" }, response: { body: JSON.stringify({ access_token: S.accessToken, expires_in: 7200, refresh_token: S.refreshToken, openid: "O", scope: "snsapi_userinfo" }) } },
    { request: { path: "sns/jscode2session" }, response: { body: JSON.stringify({ openid: "O", session_key: S.sessionKey }) } },
    { request: { method: "POST" as const, path: "cgi-bin/stable_token" }, response: { body: JSON.stringify({ access_token: S.basicToken, expires_in: 7200 }) } },
    { request: { path: "cgi-bin/ticket/getticket" }, response: { body: JSON.stringify({ errcode: 0, errmsg: "ok", ticket: S.ticket, expires_in: 7200 }) } }
  ].map((i) => ({ ...i, repeat: true }))
})
const config = WechatConfig.layer({ appId: "wx0000000000000001", appSecret: Redacted.make(S.appSecret) })

/** A store that remembers every raw value written to it, over another store. */
const recording = (inner: TokenStore.Service) => {
  const keys = new Set<string>()
  const store: TokenStore.Service = { ...inner, set: (k, v, ttl) => Effect.andThen(Effect.sync(() => keys.add(k)), inner.set(k, v, ttl)) }
  return { keys, store }
}

/** Every kind of value the library stores: an exchange result, a session, a token, a ticket. */
const storeEverything = Effect.gen(function*() {
  yield* Sns.exchangeCode(S.code, { binding: S.binding })
  yield* MiniProgram.code2Session(S.code + "-mini", { binding: S.binding })
  yield* JsSdk.signPage("https://example.com/page")
}).pipe(
  Effect.provide(JsSdk.layerTicketProvider().pipe(Layer.provideMerge(AccessTokenProvider.layer()), Layer.provideMerge(Layer.merge(wechat, config))))
)

const expectNoSentinel = (label: string, text: string) => {
  for (const s of sentinels) if (text.includes(s)) throw new Error(`${label} holds ${s}`)
}

describe("sealed at rest", () => {
  it.effect("memory: every stored cell is sealed, none holds a secret, and each reads back", () =>
    Effect.gen(function*() {
      const inner = yield* TokenStore.makeMemory()
      const { keys, store } = recording(inner)
      yield* storeEverything.pipe(Effect.provide(Layer.succeed(TokenStore.TokenStore, store)), Effect.scoped)
      expect(keys.size).toBe(4) // exchange, mini-program session, basic token, ticket
      for (const k of keys) {
        expectNoSentinel(`key ${k}`, k)
        const raw = Option.getOrThrow(yield* inner.get(k))
        expect(raw).toMatch(/^s1\.[A-Za-z0-9_-]+$/)
        expectNoSentinel(`cell ${k}`, raw)
      }
      // and the library reads them back: the same session's duplicate needs no request
      const again = yield* Sns.exchangeCode(S.code, { binding: S.binding }).pipe(
        Effect.provide(Layer.mergeAll(Replay.layer({ interactions: [] }), config, Layer.succeed(TokenStore.TokenStore, store)))
      )
      expect(Redacted.value(again.accessToken)).toBe(S.accessToken)
    }))

  it.effect("a value sealed under another key (another app secret or storeKey) reads as absent", () =>
    Effect.gen(function*() {
      const store = yield* TokenStore.makeMemory()
      const provide = (storeKey: string | undefined) =>
        Effect.provide(Layer.mergeAll(
          wechat,
          WechatConfig.layer({ appId: "wx0000000000000001", appSecret: S.appSecret, storeKey }),
          Layer.succeed(TokenStore.TokenStore, store)
        ))
      yield* Sns.exchangeCode(S.code, { binding: S.binding }).pipe(provide(undefined))
      // same app, rotated storeKey: the cached exchange is unreadable, so the code goes to WeChat again
      const calls: Array<string> = []
      const counting = Layer.succeed(HttpClient.HttpClient, HttpClient.make((request) => {
        calls.push(request.url)
        return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(`{"errcode":40163,"errmsg":"code been used"}`)))
      }))
      const error = yield* Effect.flip(Sns.exchangeCode(S.code, { binding: S.binding }).pipe(
        Effect.provide(Layer.mergeAll(counting, WechatConfig.layer({ appId: "wx0000000000000001", appSecret: S.appSecret, storeKey: "a-brand-new-store-key-0123456789abcdef" }), Layer.succeed(TokenStore.TokenStore, store)))
      ))
      expect(error._tag).toBe("CodeAlreadyUsed")
      expect(calls.length).toBe(1)
    }))

  it.effect("after a storeKey rotation, tokens and tickets are fetched again even with the old key listed: it opens kept sessions only", () =>
    Effect.gen(function*() {
      const store = yield* TokenStore.makeMemory()
      const OLD = "old-store-key-0123456789abcdef0123456789"
      const NEW = "new-store-key-0123456789abcdef0123456789"
      const calls: Array<string> = []
      const counting = Layer.succeed(HttpClient.HttpClient, HttpClient.make((request) => {
        calls.push(new URL(request.url).pathname)
        return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(request.url.includes("ticket")
          ? JSON.stringify({ errcode: 0, errmsg: "ok", ticket: S.ticket, expires_in: 7200 })
          : JSON.stringify({ access_token: S.basicToken, expires_in: 7200 }))))
      }))
      const signing = (options: Pick<WechatConfig.Options, "storeKey" | "previousStoreKeys">) =>
        Effect.provide(JsSdk.signPage("https://example.com/page"), JsSdk.layerTicketProvider().pipe(
          Layer.provideMerge(AccessTokenProvider.layer()),
          Layer.provideMerge(Layer.mergeAll(counting, WechatConfig.layer({ appId: "wx0000000000000001", appSecret: S.appSecret, ...options }), Layer.succeed(TokenStore.TokenStore, store)))
        )).pipe(Effect.scoped)
      yield* signing({ storeKey: OLD })
      yield* signing({ storeKey: OLD })
      expect(calls).toEqual(["/cgi-bin/stable_token", "/cgi-bin/ticket/getticket"])
      // a value sealed under a listed old key is not trusted: whoever holds that key could have written it
      yield* signing({ storeKey: NEW, previousStoreKeys: [OLD] })
      expect(calls).toEqual(["/cgi-bin/stable_token", "/cgi-bin/ticket/getticket", "/cgi-bin/stable_token", "/cgi-bin/ticket/getticket"])
    }))

  it.effect("files: a 0700 folder of 0600 files, sealed, and expired files are removed", () =>
    Effect.gen(function*() {
      const dir = join(mkdtempSync(join(tmpdir(), "wechat-at-rest-")), "store")
      const fileStore = TokenStore.layerFileSystem(dir).pipe(Layer.provide(NodeServices.layer))
      yield* storeEverything.pipe(Effect.provide(fileStore), Effect.scoped)
      expect(statSync(dir).mode & 0o777).toBe(0o700)
      const files = readdirSync(dir)
      expect(files.length).toBe(4)
      for (const name of files) {
        expect(name).toMatch(/^[0-9a-f]{64}\.entry$/)
        expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600)
        const text = readFileSync(join(dir, name), "utf8")
        expectNoSentinel(`file ${name}`, text)
        expect(text).toContain("s1.")
      }
      // the exchange result lives 60 s: after that, the store's sweep removes its file
      yield* TestClock.adjust("2 minutes")
      yield* Effect.flatMap(TokenStore.TokenStore, (s) => s.set("effect-wechat:wx0000000000000001:other", "v", "1 hour")).pipe(Effect.provide(fileStore))
      // the exchange and mini-program results (60 s) are gone; the token and ticket remain, plus the new entry
      expect(readdirSync(dir).length).toBe(3)
      yield* TestClock.adjust("3 hours")
      yield* Effect.flatMap(TokenStore.TokenStore, (s) => s.get("effect-wechat:wx0000000000000001:other")).pipe(Effect.provide(fileStore))
      expect(readdirSync(dir)).toEqual([])
    }))

  it.effect("an existing folder is made private", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "wechat-open-"))
      const { chmodSync } = yield* Effect.promise(() => import("node:fs"))
      chmodSync(dir, 0o755)
      yield* Effect.flatMap(TokenStore.TokenStore, (s) => s.set("k", "v", "1 minute")).pipe(
        Effect.provide(TokenStore.layerFileSystem(dir).pipe(Layer.provide(NodeServices.layer)))
      )
      expect(statSync(dir).mode & 0o777).toBe(0o700)
    }))

  it.effect("memory: a size bound drops the oldest writes", () =>
    Effect.gen(function*() {
      const store = yield* TokenStore.TokenStore
      for (const k of ["a", "b", "c", "d"]) yield* store.set(k, k, "1 hour")
      expect(yield* store.get("a")).toEqual(Option.none())
      expect(yield* store.get("d")).toEqual(Option.some("d"))
      yield* store.set("b", "b2", "1 hour") // rewritten: now the newest
      yield* store.set("e", "e", "1 hour")
      expect(yield* store.get("c")).toEqual(Option.none())
      expect(yield* store.get("b")).toEqual(Option.some("b2"))
    }).pipe(Effect.provide(TokenStore.layerMemoryWith({ maxEntries: 3 }))))
})

describe("no lost logins", () => {
  it.effect("a store whose writes fail: the caller still gets the token; one Warning, no secret in it", () =>
    Effect.gen(function*() {
      const memory = yield* TokenStore.makeMemory()
      const broken: TokenStore.Service = {
        ...memory,
        set: () => Effect.fail(new TokenStore.TokenStoreError({ operation: "set", detail: "disk full" }))
      }
      const logs: Array<{ level: string; text: string }> = []
      const logger = captureLogs(({ annotations, level, message }) => {
        logs.push({ level: level, text: JSON.stringify(message) + JSON.stringify([...annotations]) })
      })
      const token = yield* Sns.exchangeCode(S.code, { binding: S.binding }).pipe(
        Effect.provide(Layer.mergeAll(wechat, config, Layer.succeed(TokenStore.TokenStore, broken), logger))
      )
      expect(Redacted.value(token.accessToken)).toBe(S.accessToken)
      const warnings = logs.filter((l) => l.level === "WARN")
      expect(warnings.length).toBe(1)
      expect(warnings[0]!.text).toContain("could not be cached")
      expect(warnings[0]!.text).toContain("disk full")
      for (const l of logs) expectNoSentinel("log line", l.text)
    }))

  it.effect("a store that cannot be read or locked: the exchange goes ahead without the dedupe", () =>
    Effect.gen(function*() {
      const down = new TokenStore.TokenStoreError({ operation: "get", detail: "connection refused" })
      const dead: TokenStore.Service = {
        shared: true,
        get: () => Effect.fail(down),
        set: () => Effect.fail(down),
        compareAndDelete: () => Effect.fail(down),
        acquireLock: () => Effect.fail(down),
        releaseLock: () => Effect.fail(down),
        extendLock: () => Effect.fail(down)
      }
      const token = yield* Sns.exchangeCode(S.code, { binding: S.binding }).pipe(
        Effect.provide(Layer.mergeAll(wechat, config, Layer.succeed(TokenStore.TokenStore, dead)))
      )
      expect(token.openid).toBe("O")
    }))
})

describe("the default store does not grow with logins", () => {
  it.live("heap stays flat over 20,000 logins (entries expire and are swept)", () =>
    Effect.gen(function*() {
      setFlagsFromString("--expose_gc")
      const gc = runInNewContext("gc") as () => void
      const body = JSON.stringify({ access_token: "86_" + "x".repeat(100), expires_in: 7200, refresh_token: "86_" + "y".repeat(100), openid: "oRrdQt2LF0SpCODdV4KhLuEoPgwg", scope: "snsapi_userinfo" })
      const canned = Layer.succeed(HttpClient.HttpClient, HttpClient.make((request) => Effect.succeed(HttpClientResponse.fromWeb(request, new Response(body)))))
      const app = WechatConfig.layer({ appId: "wx0000000000000014", appSecret: "heap-secret-0001" })
      // each login moves the clock 100 ms on: about 600 results inside the 60 s duplicate window
      const clock = fastForwardClock()
      const logins = (from: number, n: number) =>
        Effect.forEach(Array.from({ length: n }, (_, i) => from + i), (i) =>
          Sns.exchangeCode(`code-${i}`, { binding: `session-${i}` }).pipe(Effect.andThen(Effect.sync(() => clock.advance(100)))), { discard: true }).pipe(
            Effect.provide(Layer.merge(canned, app)),
            ((e) => withClock(e, clock))
          )
      const heap = () => {
        gc()
        return process.memoryUsage().heapUsed
      }
      // Effect 4 on Node 22 keeps compiling code through its first ~5,000 logins (heap
      // snapshots show code, not entries): warm up past that, as the bench does
      yield* logins(0, 6_000)
      const before = heap()
      yield* logins(6_000, 20_000)
      const after = heap()
      // without eviction 20,000 kept results are about 17 MB; what is left is GC noise
      expect((after - before) / 1024 / 1024).toBeLessThan(4)
    }), 120_000)
})

describe("the at-rest format is stable", () => {
  it.effect("a kept exchange sits under HMAC-SHA256 of its code and names its binding by HMAC-SHA256, as every version and Node release writes them", () =>
    Effect.gen(function*() {
      const inner = yield* TokenStore.makeMemory()
      const written: Array<readonly [string, string]> = []
      const recording: TokenStore.Service = {
        ...inner,
        set: (k, v, ttl) => Effect.andThen(Effect.sync(() => written.push([k, v])), inner.set(k, v, ttl))
      }
      yield* Sns.exchangeCode(S.code, { binding: S.binding }).pipe(
        Effect.provide(Layer.mergeAll(wechat, config, Layer.succeed(TokenStore.TokenStore, recording)))
      )
      // the keys, derived from the app secret (the default storeKey) as the docs say
      const derived = (info: string) => Buffer.from(hkdfSync("sha256", S.appSecret, "effect-wechat", info, 32))
      const hmac = (label: string, value: string) =>
        createHmac("sha256", derived("effect-wechat/digest/v1")).update(`${label}\u0000${value}`).digest("hex").slice(0, 32)
      const k = TokenStore.key("wx0000000000000001", "code", hmac("code", S.code))
      expect(written.map(([key]) => key)).toEqual([k])
      // opened as any version opens it: "s1." + base64url(IV, ciphertext, tag), the key as AAD
      const raw = Buffer.from(written[0]![1].slice("s1.".length), "base64url")
      const decipher = createDecipheriv("aes-256-gcm", derived("effect-wechat/store/v1"), raw.subarray(0, 12))
      decipher.setAAD(Buffer.from(k, "utf8"))
      decipher.setAuthTag(raw.subarray(raw.length - 16))
      const stored = JSON.parse(Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString("utf8"))
      expect(stored.b).toBe(hmac("binding", S.binding))
    }))
})
