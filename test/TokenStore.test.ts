import * as Compat from "#compat"
import { NodeServices } from "#test-compat"
import { KeyValueStore } from "#compat"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { TestClock } from "#test-compat"
import { mkdirSync, mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AccessTokenProvider, TokenStore, WechatConfig } from "../src/index.js"
import { FakeWechat } from "../src/testing/index.js"
import { BOUND } from "./testing/fakeSetup.js"

const contract = (name: string, layer: Layer.Layer<Compat.RefId<TokenStore.TokenStore>>) =>
  describe(`TokenStore contract: ${name}`, () => {
    it.effect("entries expire with their TTL", () =>
      Effect.gen(function*() {
        const store = yield* TokenStore.TokenStore
        yield* store.set("k", "v1", "10 seconds")
        expect(yield* store.get("k")).toEqual(Option.some("v1"))
        yield* TestClock.adjust("9999 millis")
        expect(yield* store.get("k")).toEqual(Option.some("v1"))
        yield* TestClock.adjust("1 millis")
        expect(yield* store.get("k")).toEqual(Option.none())
      }).pipe(Effect.provide(layer)))

    it.effect("compareAndDelete deletes only the expected value", () =>
      Effect.gen(function*() {
        const store = yield* TokenStore.TokenStore
        yield* store.set("k", "new", "1 minute")
        expect(yield* store.compareAndDelete("k", "old")).toBe(false)
        expect(yield* store.get("k")).toEqual(Option.some("new"))
        expect(yield* store.compareAndDelete("k", "new")).toBe(true)
        expect(yield* store.get("k")).toEqual(Option.none())
      }).pipe(Effect.provide(layer)))

    it.effect("a lock has one holder; only the holder releases or extends it; it ends by itself", () =>
      Effect.gen(function*() {
        const store = yield* TokenStore.TokenStore
        const a = yield* store.acquireLock("L", "5 seconds")
        expect(Option.isSome(a)).toBe(true)
        expect(yield* store.acquireLock("L", "5 seconds")).toEqual(Option.none())
        expect(yield* store.releaseLock("L", "not-the-holder")).toBe(false)
        expect(yield* store.extendLock("L", "not-the-holder", "1 minute")).toBe(false)
        expect(yield* store.extendLock("L", Option.getOrThrow(a), "10 seconds")).toBe(true)
        yield* TestClock.adjust("9 seconds")
        expect(yield* store.acquireLock("L", "5 seconds")).toEqual(Option.none())
        yield* TestClock.adjust("1 second")
        const b = yield* store.acquireLock("L", "5 seconds")
        expect(Option.isSome(b)).toBe(true)
        expect(yield* store.releaseLock("L", Option.getOrThrow(a))).toBe(false)
        expect(yield* store.releaseLock("L", Option.getOrThrow(b))).toBe(true)
        expect(Option.isSome(yield* store.acquireLock("L", "5 seconds"))).toBe(true)
      }).pipe(Effect.provide(layer)))

    it.effect("a stored token that fails to decode is treated as absent, never a defect", () =>
      Effect.gen(function*() {
        const store = yield* TokenStore.TokenStore
        const key = TokenStore.key(BOUND.appId, "access_token", "stable")
        yield* store.set(key, "{not json", "1 hour")
        const first = yield* AccessTokenProvider.get
        expect(Redacted.value(first).length).toBeGreaterThan(20)
        yield* store.set(key, JSON.stringify({ value: { access_token: 42 }, expiresAt: "soon" }), "1 hour")
        const provider2 = yield* AccessTokenProvider.make()
        expect(Redacted.value(yield* provider2.get)).toBe(Redacted.value(first))
        expect(yield* Effect.flatMap(FakeWechat, (f) => f.callCount("cgi-bin/stable_token"))).toBe(2)
      }).pipe(
        Effect.provide(AccessTokenProvider.layer().pipe(Layer.provideMerge(Layer.mergeAll(
          layer,
          FakeWechat.layer({ apps: [BOUND] }),
          WechatConfig.layer({ appId: BOUND.appId, appSecret: BOUND.appSecret })
        )))),
        Effect.scoped
      ))

    it.effect("keys are namespaced by appid and kind", () =>
      Effect.sync(() => {
        expect(TokenStore.key("wx0000000000000001", "access_token", "stable")).toBe("effect-wechat:wx0000000000000001:access_token:stable")
        expect(TokenStore.key("wx0000000000000001", "code", "abc")).toBe("effect-wechat:wx0000000000000001:code:abc")
        // parts are escaped: two different lists of parts never share a key
        expect(TokenStore.key("wxA", "ticket:jsapi")).not.toBe(TokenStore.key("wxA:ticket", "jsapi"))
        expect(TokenStore.key("wx0000000000000001", "a%3Ab")).not.toBe(TokenStore.key("wx0000000000000001", "a:b"))
      }))
  })

contract("memory", TokenStore.layerMemory)
contract("KeyValueStore (memory)", TokenStore.layerKeyValueStore.pipe(Layer.provide(KeyValueStore.layerMemory)))
contract(
  "file system",
  TokenStore.layerFileSystem(mkdtempSync(join(tmpdir(), "token-store-"))).pipe(Layer.provide(NodeServices.layer)) as Layer.Layer<Compat.RefId<TokenStore.TokenStore>>
)

describe("TokenStore on a KeyValueStore", () => {
  it.effect("removes an expired entry when it is read, so unread keys do not pile up", () =>
    Effect.gen(function*() {
      const kv = yield* KeyValueStore.KeyValueStore
      const store = yield* TokenStore.makeKeyValueStore
      yield* store.set("effect-wechat:wx0000000000000001:code:a", "kept", "10 seconds")
      yield* store.set("effect-wechat:wx0000000000000001:code:b", "kept", "1 hour")
      expect(yield* kv.size).toBe(2)
      yield* TestClock.adjust("11 seconds")
      expect(yield* store.get("effect-wechat:wx0000000000000001:code:a")).toEqual(Option.none())
      expect(yield* kv.size).toBe(1)
      expect(yield* store.get("effect-wechat:wx0000000000000001:code:b")).toEqual(Option.some("kept"))
    }).pipe(Effect.provide(KeyValueStore.layerMemory)))

  it.effect("a failing store's error says why (the file system's own reason, not only \"Unable to get item\"), on both editions", () => {
    const dir = mkdtempSync(join(tmpdir(), "token-kv-"))
    mkdirSync(join(dir, "k1")) // a folder where the entry's file would be
    return Effect.gen(function*() {
      const store = yield* TokenStore.makeKeyValueStore
      const error = yield* Effect.flip(store.get("k1"))
      expect([error._tag, error.operation, error.action]).toEqual(["TokenStoreError", "get", "retry"])
      expect(error.detail, error.detail).toMatch(/BadResource: FileSystem.readFile/)
    }).pipe(Effect.provide(KeyValueStore.layerFileSystem(dir).pipe(Layer.provide(NodeServices.layer))))
  })
})

describe("TokenStore on the file system", () => {
  it.effect("keeps entries across store instances (a restart)", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "token-store-"))
      const store = (l: typeof dir) => TokenStore.layerFileSystem(l).pipe(Layer.provide(NodeServices.layer))
      yield* Effect.flatMap(TokenStore.TokenStore, (s) => s.set("effect-wechat:wx0000000000000001:x", "kept", "1 hour")).pipe(Effect.provide(store(dir)))
      const read = yield* Effect.flatMap(TokenStore.TokenStore, (s) => s.get("effect-wechat:wx0000000000000001:x")).pipe(Effect.provide(store(dir)))
      expect(read).toEqual(Option.some("kept"))
    }))
})
