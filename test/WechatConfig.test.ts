import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted } from "effect"
import { withConfig } from "#test-compat"
import { WechatConfig } from "../src/index.js"

const resolve = <E>(layer: Layer.Layer<WechatConfig.WechatConfig, E>) =>
  Effect.provide(WechatConfig.WechatConfig, layer)

describe("WechatConfig", () => {
  it.effect("layer fills WeChat's defaults and keeps the secret Redacted", () =>
    Effect.gen(function*() {
      const config = yield* resolve(WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "plain-secret" }))
      expect(Redacted.isRedacted(config.appSecret)).toBe(true)
      expect(Redacted.value(config.appSecret)).toBe("plain-secret")
      expect(String(config.appSecret)).toBe("<redacted>")
      expect(config.apiBaseUrl).toBe("https://api.weixin.qq.com")
      expect(config.fallbackApiBaseUrls).toEqual(["https://api2.weixin.qq.com"])
      expect(config.openBaseUrl).toBe("https://open.weixin.qq.com")
      expect(Duration.toMillis(config.timeout)).toBe(5000)
      expect(config.lang).toBe("zh_CN")
    }))

  it.effect("a custom API host has no fallback unless given one", () =>
    Effect.gen(function*() {
      const config = yield* resolve(WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s", apiBaseUrl: "http://127.0.0.1:8788/", timeout: "2 seconds" }))
      expect(config.apiBaseUrl).toBe("http://127.0.0.1:8788")
      expect(config.fallbackApiBaseUrls).toEqual([])
      expect(Duration.toMillis(config.timeout)).toBe(2000)
      const sh = yield* resolve(WechatConfig.layer({
        appId: "wx0000000000000001",
        appSecret: "s",
        apiBaseUrl: "https://sh.api.weixin.qq.com",
        fallbackApiBaseUrls: ["https://sz.api.weixin.qq.com", "https://api2.weixin.qq.com"]
      }))
      expect(sh.fallbackApiBaseUrls).toEqual(["https://sz.api.weixin.qq.com", "https://api2.weixin.qq.com"])
    }))

  it.effect("plain http is refused unless the host is loopback", () =>
    Effect.gen(function*() {
      for (const apiBaseUrl of ["http://api.weixin.qq.com", "http://10.0.0.8:8080", "ftp://x", "api.weixin.qq.com", "https://h/x?y=1"]) {
        const error = yield* Effect.flip(resolve(WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s", apiBaseUrl })))
        expect(error._tag).toBe("InvalidArgument")
        expect(error.message).toMatch(/^Invalid apiBaseUrl: /)
      }
      const http = yield* Effect.flip(resolve(WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s", openBaseUrl: "http://open.weixin.qq.com" })))
      expect(http.message).toContain("plain http:// is only allowed to a loopback host")
      for (const apiBaseUrl of ["http://127.0.0.1:1", "http://localhost:2", "http://[::1]:3"]) {
        const config = yield* resolve(WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s", apiBaseUrl }))
        expect(config.apiBaseUrl).toBe(apiBaseUrl)
      }
    }))

  it.effect("empty appId/secret and a non-positive timeout are refused", () =>
    Effect.gen(function*() {
      expect((yield* Effect.flip(resolve(WechatConfig.layer({ appId: "", appSecret: "s" })))).message).toBe(
        "Invalid appId: must be an app id as WeChat issues them: wx followed by 16 hex digits"
      )
      expect((yield* Effect.flip(resolve(WechatConfig.layer({ appId: "wx0000000000000001", appSecret: Redacted.make("") })))).message).toBe(
        "Invalid appSecret: must not be empty or blank"
      )
      expect((yield* Effect.flip(resolve(WechatConfig.layer({ appId: "wx0000000000000001", appSecret: "s", timeout: 0 })))).message).toContain("timeout")
    }))

  it.effect("layerConfig reads the WECHAT_* environment", () =>
    Effect.gen(function*() {
      const env: ReadonlyArray<readonly [string, string]> = ([
        ["WECHAT_APP_ID", "wx000000000000000d"],
        ["WECHAT_APP_SECRET", "env-secret"],
        ["WECHAT_API_BASE_URL", "http://127.0.0.1:9999"],
        ["WECHAT_OPEN_BASE_URL", "http://localhost:9998"],
        ["WECHAT_TIMEOUT", "1500 millis"]
      ])
      const config = yield* withConfig(resolve(WechatConfig.layerConfig), env)
      expect(config.appId).toBe("wx000000000000000d")
      expect(Redacted.value(config.appSecret)).toBe("env-secret")
      expect(config.apiBaseUrl).toBe("http://127.0.0.1:9999")
      expect(config.openBaseUrl).toBe("http://localhost:9998")
      expect(Duration.toMillis(config.timeout)).toBe(1500)

      const missing = yield* Effect.flip(withConfig(resolve(WechatConfig.layerConfig), [["WECHAT_APP_ID", "wx"]]))
      expect(String(missing)).toContain("WECHAT_APP_SECRET")

      const insecure = yield* Effect.flip(withConfig(resolve(WechatConfig.layerConfig), [["WECHAT_APP_ID", "wx"], ["WECHAT_APP_SECRET", "s"], ["WECHAT_API_BASE_URL", "http://example.com"]]))
      expect(insecure._tag).toBe("InvalidArgument")
    }))

  it.effect("a regional WeChat host keeps the api2 fallback; a test server or proxy gets none; the environment can set them", () =>
    Effect.gen(function*() {
      const app = { appId: "wx0000000000000001", appSecret: "s" }
      const fallbacksOf = (options: Partial<WechatConfig.Options>) => Effect.map(resolve(WechatConfig.layer({ ...app, ...options })), (c) => c.fallbackApiBaseUrls)
      expect(yield* fallbacksOf({})).toEqual(["https://api2.weixin.qq.com"])
      expect(yield* fallbacksOf({ apiBaseUrl: "https://api.weixin.qq.com" })).toEqual(["https://api2.weixin.qq.com"])
      expect(yield* fallbacksOf({ apiBaseUrl: "https://sh.api.weixin.qq.com" })).toEqual(["https://api2.weixin.qq.com"])
      expect(yield* fallbacksOf({ apiBaseUrl: "https://api2.weixin.qq.com" })).toEqual([])
      expect(yield* fallbacksOf({ apiBaseUrl: "http://127.0.0.1:9999" })).toEqual([])
      expect(yield* fallbacksOf({ apiBaseUrl: "https://wechat-proxy.example.com" })).toEqual([])
      expect(yield* fallbacksOf({ apiBaseUrl: "https://api.weixin.qq.com.evil.example" })).toEqual([])
      const env = (extra: ReadonlyArray<readonly [string, string]>) =>
        withConfig(resolve(WechatConfig.layerConfig), [["WECHAT_APP_ID", "wx000000000000000d"], ["WECHAT_APP_SECRET", "env-secret"], ...extra])
      expect((yield* env([["WECHAT_API_BASE_URL", "https://sz.api.weixin.qq.com"]])).fallbackApiBaseUrls).toEqual(["https://api2.weixin.qq.com"])
      expect((yield* env([["WECHAT_FALLBACK_API_BASE_URLS", "https://api2.weixin.qq.com, https://sh.api.weixin.qq.com"]])).fallbackApiBaseUrls)
        .toEqual(["https://api2.weixin.qq.com", "https://sh.api.weixin.qq.com"])
      expect((yield* env([["WECHAT_FALLBACK_API_BASE_URLS", "none"]])).fallbackApiBaseUrls).toEqual([])
    }))

  it.effect("previousStoreKeys: from options or the environment, kept Redacted, checked like storeKey, none repeated; the app secret may be listed", () =>
    Effect.gen(function*() {
      const app = { appId: "wx0000000000000001", appSecret: "short-app-secret" }
      const OLD = "old-store-key-0123456789abcdef0123456789"
      const previousOf = (options: Partial<WechatConfig.Options>) =>
        Effect.map(resolve(WechatConfig.layer({ ...app, storeKey: "new-store-key-0123456789abcdef0123456789", ...options })), (c) => (c.previousStoreKeys ?? []).map(Redacted.value))
      expect(yield* previousOf({})).toEqual([])
      expect(yield* previousOf({ previousStoreKeys: [OLD, Redacted.make(app.appSecret)] })).toEqual([OLD, app.appSecret])
      const invalid = (options: Partial<WechatConfig.Options>) => Effect.map(Effect.flip(previousOf(options)), (e) => e._tag === "InvalidArgument" && e.argument)
      expect(yield* invalid({ previousStoreKeys: [OLD, "short"] })).toBe("previousStoreKeys[1]")
      expect(yield* invalid({ previousStoreKeys: Array<string>(5).fill(OLD) })).toBe("previousStoreKeys")
      expect(yield* invalid({ previousStoreKeys: [OLD, OLD] })).toBe("previousStoreKeys")
      expect(yield* invalid({ previousStoreKeys: ["new-store-key-0123456789abcdef0123456789"] })).toBe("previousStoreKeys")
      expect(yield* invalid({ previousStoreKeys: OLD as unknown as ReadonlyArray<string> })).toBe("previousStoreKeys")
      const fromEnv = yield* withConfig(resolve(WechatConfig.layerConfig), [
        ["WECHAT_APP_ID", "wx000000000000000d"],
        ["WECHAT_APP_SECRET", "env-secret"],
        ["WECHAT_STORE_KEY", "new-store-key-0123456789abcdef0123456789"],
        ["WECHAT_PREVIOUS_STORE_KEYS", ` ${OLD} , env-secret`]
      ])
      expect(fromEnv.previousStoreKeys?.every(Redacted.isRedacted)).toBe(true)
      expect(fromEnv.previousStoreKeys?.map(Redacted.value)).toEqual([OLD, "env-secret"])
    }))
})
