/**
 * The per-layer breakdown: the same login built up one layer at a time, from a hand-written
 * fetch loop to the library, all on fetch (the library's default `HttpClient`), so that
 * the difference between two neighbours is what that layer costs. Bench-only contenders,
 * written with the library's public API and plain Effect code:
 *
 * 1. `fetch`: fetch + JSON.parse (bench/login.ts)
 * 2. `l-runpromise`: the same fetches inside `Effect.tryPromise`, one `runPromise` per login
 * 3. `effect-floor`: the edition's `HttpClient` (tracing off) (bench/login.ts)
 * 4. `l-client-traced`: the same with the client's default span and trace headers (for information)
 * 5. `l-timeout`: 3 + a `timeoutFail` per request, as the library bounds each attempt
 * 6. `l-execute`: `WechatHttp.execute` + the library's decoders (`WechatDecode.decoder`)
 * 7. `l-fn`: 6 inside `Effect.fn` spans named as the library's
 * 8. `effect-wechat`: the library (adds exchangeOnce and the argument checks) (bench/login.ts)
 * 9. `l-retry`: the library with its default retry policy instead of `retry: false`
 */
import * as Bench from "#bench-compat"
import { Effect, Layer, Redacted } from "effect"
import { Sns, WechatClient, WechatConfig, WechatDecode, WechatHttp, WechatRetry } from "effect-wechat"
import { appAt, effectContender, exchangeUrl, type Factory, libraryLogin, userInfoUrl } from "./login.js"

interface Token {
  readonly access_token: string
  readonly openid: string
}
interface Profile {
  readonly nickname: string
}

const fetchText = (url: string) => Effect.tryPromise(() => fetch(url).then((response) => response.text()))

export const runPromiseLayer: Factory = (base) =>
  effectContender("l-runpromise", "+ runPromise around fetch", Layer.empty, (code) =>
    Effect.gen(function*() {
      const token = JSON.parse(yield* fetchText(exchangeUrl(base, code))) as Token
      const profile = JSON.parse(yield* fetchText(userInfoUrl(base, token))) as Profile
      return profile.nickname
    }))

export const tracedClientLayer: Factory = (base) =>
  effectContender("l-client-traced", "  (HttpClient with its default span + trace headers)", Bench.fetchLayer, (code) =>
    Effect.gen(function*() {
      const client = yield* Bench.HttpClient.HttpClient
      const token = JSON.parse(yield* (yield* client.get(exchangeUrl(base, code))).text) as Token
      const profile = JSON.parse(yield* (yield* client.get(userInfoUrl(base, token))).text) as Profile
      return profile.nickname
    }))

class Timeout {
  readonly _tag = "Timeout"
}

export const timeoutLayer: Factory = (base) =>
  effectContender("l-timeout", "+ per-request timeoutFail (5 s)", Bench.fetchLayer, (code) =>
    Effect.gen(function*() {
      const client = yield* Bench.HttpClient.HttpClient
      const get = (url: string) =>
        client.get(url).pipe(
          Effect.flatMap((response) => response.text),
          Bench.timeoutFail({ duration: "5 seconds", onTimeout: () => new Timeout() })
        )
      const token = JSON.parse(yield* get(exchangeUrl(base, code))) as Token
      const profile = JSON.parse(yield* get(userInfoUrl(base, token))) as Profile
      return profile.nickname
    }).pipe(Effect.withTracerEnabled(false)))

const decodeToken = WechatDecode.decoder(Sns.SnsToken)
const decodeProfile = WechatDecode.decoder(Sns.SnsUserInfo)

const exchange = (code: string) =>
  Effect.flatMap(WechatConfig.WechatConfig, (config) =>
    WechatHttp.execute({
      endpoint: "sns/oauth2/access_token",
      method: "GET",
      query: { appid: config.appId, secret: config.appSecret, code: Redacted.make(code), grant_type: "authorization_code" }
    }, decodeToken))

const profileOf = (token: Sns.SnsToken) =>
  Effect.flatMap(WechatConfig.WechatConfig, (config) =>
    WechatHttp.execute({
      endpoint: "sns/userinfo",
      method: "GET",
      query: { access_token: token.accessToken, openid: token.openid, lang: config.lang }
    }, decodeProfile))

const executeLive = (base: string) =>
  Layer.mergeAll(WechatConfig.layer(appAt(base)), Bench.fetchLayer, WechatRetry.layer(WechatRetry.none))

export const executeLayer: Factory = (base) =>
  effectContender("l-execute", "+ WechatHttp.execute + decoding", executeLive(base), (code) =>
    Effect.gen(function*() {
      const token = yield* exchange(code)
      const profile = yield* profileOf(token)
      return profile.nickname
    }))

const exchangeFn = Effect.fn("Sns.exchangeCode")(function*(code: string) {
  return yield* exchange(code)
})
const profileFn = Effect.fn("Sns.userInfo")(function*(token: Sns.SnsToken) {
  return yield* profileOf(token)
})

export const fnLayer: Factory = (base) =>
  effectContender("l-fn", "+ Effect.fn spans", executeLive(base), (code) =>
    Effect.gen(function*() {
      const token = yield* exchangeFn(code)
      const profile = yield* profileFn(token)
      return profile.nickname
    }))

export const retryLayer: Factory = (base) =>
  effectContender("l-retry", "  (effect-wechat with the default retry policy)", WechatClient.layer(appAt(base), { httpClient: Bench.fetchLayer }), libraryLogin)
