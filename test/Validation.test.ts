/**
 * Bad options and bad input end in one typed InvalidArgument naming the field: never a
 * defect, never a request to WeChat, never a store write.
 */
import * as Compat from "#compat"
import { failures as failuresOf, isDie, NodeServices } from "#test-compat"
import { describe, expect, it } from "@effect/vitest"
import type { HttpClient } from "#compat"
import { Effect, Exit, Layer, Redacted } from "effect"
import { AccessTokenProvider, BasicToken, JsSdk, MiniProgram, Sns, TokenStore, WechatClient, WechatConfig, WechatRetry } from "../src/index.js"
import { RedisTokenStore } from "../src/redis/index.js"
import { FakeWechat } from "../src/testing/index.js"

const APP = { appId: "wx00000000000000c1", appSecret: "validation-secret-01" }
const SECRET_TEXT = "super-secret-value-not-to-show"
/** A value plain JS could pass where a duration is expected. */
const bad = (text: string) => text as Compat.DurationInput

/** The failure of a layer or an effect: must be one InvalidArgument, never a defect. */
const invalidOf = <A, E, R>(effect: Effect.Effect<A, E, R>, label = "") =>
  Effect.map(Effect.exit(effect), (exit) => {
    if (Exit.isSuccess(exit)) throw new Error(`expected a failure ${label}`)
    expect(isDie(exit.cause)).toBe(false)
    const failures = [...failuresOf(exit.cause)] as Array<{ _tag: string; argument: string; message: string }>
    expect(failures.length).toBe(1)
    expect(failures[0]!._tag).toBe("InvalidArgument")
    expect(failures[0]!.message).not.toContain(SECRET_TEXT)
    return failures[0]!.argument
  })

const build = <A, E>(layer: Layer.Layer<A, E, never>) => Effect.scoped(Layer.build(layer))

describe("options are checked when a layer is built", () => {
  it.effect("WechatConfig: every option", () =>
    Effect.gen(function*() {
      const cases: Array<[Partial<WechatConfig.Options>, string]> = [
        [{ timeout: bad("abc") }, "timeout"],
        [{ timeout: bad("5 sec") }, "timeout"],
        [{ timeout: -1 }, "timeout"],
        [{ timeout: Infinity }, "timeout"],
        [{ appId: "wx0000000000000001 " }, "appId"],
        [{ appId: "wx00000000\n00000001" }, "appId"],
        [{ appId: "wxA:ticket" }, "appId"],
        [{ appId: "wx000000000000000G" }, "appId"],
        [{ appSecret: "   " }, "appSecret"],
        [{ appSecret: `${SECRET_TEXT} with spaces` }, "appSecret"],
        [{ appSecret: 42 as unknown as string }, "appSecret"],
        [{ apiBaseUrl: "https://user:password@api.weixin.qq.com" }, "apiBaseUrl"],
        [{ apiBaseUrl: "https://api.weixin.qq.com/\nx" }, "apiBaseUrl"],
        [{ fallbackApiBaseUrls: ["ftp://x"] }, "fallbackApiBaseUrls"],
        [{ openBaseUrl: "https://open.weixin.qq.com/#x" }, "openBaseUrl"],
        [{ lang: "xx" as "en" }, "lang"],
        [{ duplicateWindow: bad("abc") }, "duplicateWindow"],
        [{ duplicateWindow: "10 minutes" }, "duplicateWindow"],
        [{ maxResponseBytes: 0 }, "maxResponseBytes"],
        [{ maxResponseBytes: 2 ** 31 }, "maxResponseBytes"],
        [{ maxResponseBytes: 1.5 }, "maxResponseBytes"],
        [{ stateKeys: [SECRET_TEXT.slice(0, 10)] }, "stateKeys"],
        [{ storeKey: "short" }, "storeKey"]
      ]
      for (const [override, argument] of cases) {
        expect([override, yield* invalidOf(build(WechatConfig.layer({ ...APP, ...override } as WechatConfig.Options)))]).toEqual([override, argument])
      }
    }))

  it.effect("AccessTokenProvider, the ticket cache, the stores and the retry policy", () =>
    Effect.gen(function*() {
      const base = Layer.mergeAll(FakeWechat.layer({ apps: [APP] }), WechatConfig.layer(APP), TokenStore.layerMemory)
      const provider = (options: AccessTokenProvider.Options) => build(AccessTokenProvider.layer(options).pipe(Layer.provide(base)))
      expect(yield* invalidOf(provider({ lockTtl: 0 }), "lockTtl")).toBe("lockTtl")
      expect(yield* invalidOf(provider({ lockWait: -1 }), "lockWait")).toBe("lockWait")
      expect(yield* invalidOf(provider({ refreshMargin: bad("abc") }), "refreshMargin")).toBe("refreshMargin")
      expect(yield* invalidOf(provider({ source: "bogus" as "stable" }), "source")).toBe("source")
      expect(yield* invalidOf(provider({ singleProcess: "yes" as unknown as boolean }), "singleProcess")).toBe("singleProcess")
      const tickets = (options: JsSdk.TicketProviderOptions) =>
        build(JsSdk.layerTicketProvider(options).pipe(Layer.provide(AccessTokenProvider.layer()), Layer.provide(base)))
      expect(yield* invalidOf(tickets({ maxAge: bad("abc") }), "maxAge")).toBe("maxAge")
      expect(yield* invalidOf(tickets({ type: "card" as "jsapi" }), "type")).toBe("type")
      expect(yield* invalidOf(build(RedisTokenStore.layer({ url: "http://127.0.0.1:6379" })), "url")).toBe("url")
      expect(yield* invalidOf(build(RedisTokenStore.layer({ url: `redis://:${SECRET_TEXT}@` })), "url")).toBe("url")
      expect(yield* invalidOf(build(RedisTokenStore.layer({ timeout: bad("abc") })), "timeout")).toBe("timeout")
      expect(yield* invalidOf(build(TokenStore.layerFileSystem("").pipe(Layer.provide(NodeServices.layer))), "directory")).toBe("directory")
      expect(yield* invalidOf(build(TokenStore.layerMemoryWith({ maxEntries: 0 })), "maxEntries")).toBe("maxEntries")
      expect(yield* invalidOf(build(WechatRetry.layerWith({ base: bad("abc") })), "base")).toBe("base")
      expect(yield* invalidOf(build(WechatRetry.layerWith({ maxRetries: -1 })), "maxRetries")).toBe("maxRetries")
      expect(yield* invalidOf(build(WechatRetry.layerWith({ minuteRetries: 1.5 })), "minuteRetries")).toBe("minuteRetries")
      // WechatClient's own options, as plain JavaScript or a config file may give them
      expect(yield* invalidOf(build(WechatClient.layer(APP, null as unknown as {})), "options")).toBe("options")
      expect(yield* invalidOf(build(WechatClient.layer(APP, { processes: "Many" as "many" })), "processes")).toBe("processes")
      // the schedule constructors cannot fail: they throw the same InvalidArgument
      expect(() => WechatRetry.make({ maxElapsed: bad("forever") })).toThrow("Invalid maxElapsed")
    }))
})

describe("bad input never reaches WeChat or the store", () => {
  const keysWritten: Array<string> = []
  const recording = Layer.effect(
    TokenStore.TokenStore,
    Effect.map(TokenStore.makeMemory(), (inner): TokenStore.Service => ({
      ...inner,
      set: (k, v, ttl) => Effect.andThen(Effect.sync(() => keysWritten.push(k)), inner.set(k, v, ttl))
    }))
  )
  const env = Layer.mergeAll(FakeWechat.layer({ apps: [APP] }), WechatConfig.layer(APP), recording)
  const huge = "c".repeat(10 * 1024 * 1024)

  it.effect("codes, tokens, openids, lang, redirect URIs, flags, signing input", () =>
    Effect.gen(function*() {
      const cases: Array<[Effect.Effect<unknown, unknown, WechatConfig.WechatConfig | HttpClient.HttpClient>, string]> = [
        [Sns.exchangeCode(huge, { binding: "s1" }), "code"],
        [Sns.exchangeCode("abc\u0000def", { binding: "s1" }), "code"],
        [Sns.exchangeCode("abc\r\nX-Injected: 1", { binding: "s1" }), "code"],
        [Sns.exchangeCode("c".repeat(4096), { binding: "s1" }), "code"],
        [Sns.exchangeCode(42 as unknown as string), "code"],
        [Sns.exchangeCode("validcode0001", { binding: "a\nb" }), "binding"],
        [MiniProgram.code2Session("js code with spaces"), "jsCode"],
        [Sns.refreshToken(Redacted.make(huge)), "refreshToken"],
        [Sns.checkToken({ accessToken: "token\u0000", openid: "o1" }), "accessToken"],
        [Sns.checkToken({ accessToken: "token", openid: "o1\r\n" }), "openid"],
        [Sns.userInfo({ accessToken: "token", openid: "o".repeat(200) }), "openid"],
        [Sns.userInfo({ accessToken: "token", openid: "oValid", lang: "xx" as "en" }), "lang"],
        [Sns.userInfo(null as unknown as { accessToken: string; openid: string }), "accessToken"],
        [Sns.checkToken(null as unknown as { accessToken: string; openid: string }), "params"],
        [Sns.authorizeUrl(null as unknown as { redirectUri: string; scope: "snsapi_base" }), "params"],
        [Sns.qrConnectUrl(undefined as unknown as { redirectUri: string }), "params"],
        [JsSdk.getTicket({ accessToken: "" }), "accessToken"],
        [JsSdk.getTicket(null as unknown as { accessToken: string }), "params"],
        [JsSdk.sign(null as unknown as { ticket: string; url: string }), "params"],
        [JsSdk.getTicket({ accessToken: "token", type: "all" as "jsapi" }), "type"],
        [BasicToken.fetchStable({ forceRefresh: "true" as unknown as boolean }), "forceRefresh"],
        [Sns.authorizeUrl({ redirectUri: "https://example.com/cb#frag", scope: "snsapi_base" }), "redirectUri"],
        [Sns.authorizeUrl({ redirectUri: "https://user:pw@example.com/cb", scope: "snsapi_base" }), "redirectUri"],
        [Sns.authorizeUrl({ redirectUri: "https://example.com/c\nb", scope: "snsapi_base" }), "redirectUri"],
        [Sns.authorizeUrl({ redirectUri: `https://example.com/${"x".repeat(1024 * 1024)}`, scope: "snsapi_base" }), "redirectUri"],
        [Sns.authorizeUrl({ redirectUri: "https://example.com/cb", scope: "snsapi_base", forcePopup: "1&scope=x" as unknown as boolean }), "forcePopup"],
        [Sns.qrConnectUrl({ redirectUri: "https://example.com/cb", lang: "de" as "en" }), "lang"],
        [JsSdk.sign({ ticket: "", url: "https://example.com/" }), "ticket"],
        [JsSdk.sign({ ticket: "t1", url: "https://example.com/a\nb" }), "url"],
        [JsSdk.sign({ ticket: "t1", url: "https://example.com/页面?q=中文" }), "url"],
        [Sns.makeState({ session: "s1", ttl: bad("abc") }), "ttl"]
      ]
      for (const [call, argument] of cases) {
        expect([argument, yield* invalidOf(call, argument)]).toEqual([argument, argument])
      }
      const fake = yield* FakeWechat
      for (const endpoint of ["sns/oauth2/access_token", "sns/oauth2/refresh_token", "sns/auth", "sns/userinfo", "sns/jscode2session", "cgi-bin/stable_token", "cgi-bin/ticket/getticket"]) {
        expect([endpoint, yield* fake.callCount(endpoint)]).toEqual([endpoint, 0])
      }
      expect(keysWritten).toEqual([])
    }).pipe(Effect.provide(env)))
})
