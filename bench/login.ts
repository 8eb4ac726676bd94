/**
 * The login contenders: the same two requests (`sns/oauth2/access_token` with the code,
 * then `sns/userinfo` with the token), each resolving with the profile's nickname, every
 * one over keep-alive connections to the fake.
 *
 * - `fetch`: hand-written `fetch` + `JSON.parse`, no checks.
 * - `effect-floor` / `effect-floor-undici`: the same requests as a hand-written Effect
 *   program on the edition's `HttpClient` (fetch's, undici's; `@effect/platform` on Effect 3,
 *   `effect/http` on Effect 4, both through `#bench-compat`), one `runPromise` per
 *   login, `JSON.parse`, no checks, tracing off (the library turns the client's own span
 *   off too; the floor pays for nothing the library skips).
 * - `effect-wechat` / `effect-wechat-undici`: `Sns.exchangeCode` + `Sns.userInfo` through
 *   `WechatClient.layer` on `FetchHttpClient.layer` / `NodeHttpClient.layerUndici`.
 * - `effect-floor-node` / `effect-wechat-node` (full runs): the same on `node:http` with a
 *   keep-alive agent (`NodeHttpClient.layerWithoutAgent` + `makeAgentLayer({ keepAlive:
 *   true })`), the stack the peers use: `NodeHttpClient.layer`'s own agent has keep-alive
 *   off on Node 20.
 * - `wechat-oauth`, `co-wechat-oauth`: bench/peers.ts.
 */
import * as Bench from "#bench-compat"
import { type Clock, Effect, type Layer } from "effect"
import { Sns, WechatClient } from "effect-wechat"
import { APP } from "./config.js"
import type { LoginFn } from "./harness.js"

export interface Contender {
  readonly id: string
  readonly label: string
  readonly login: LoginFn
  readonly close: () => Promise<void>
}

/**
 * Builds a contender against the fake at `base`. `clock`, when given, is the clock of an
 * Effect contender's runtime (the heap measurement moves it past the duplicate window);
 * the others have none to move.
 */
export type Factory = (base: string, clock?: Clock.Clock) => Promise<Contender>

interface Token {
  readonly access_token: string
  readonly openid: string
}
interface Profile {
  readonly nickname: string
}

/** The two URLs, as WeChat documents them (the library sends the same parameters, in this order). */
export const exchangeUrl = (base: string, code: string) =>
  `${base}/sns/oauth2/access_token?appid=${APP.appId}&secret=${encodeURIComponent(APP.appSecret)}&code=${encodeURIComponent(code)}&grant_type=authorization_code`
export const userInfoUrl = (base: string, token: Token) =>
  `${base}/sns/userinfo?access_token=${encodeURIComponent(token.access_token)}&openid=${encodeURIComponent(token.openid)}&lang=zh_CN`

/**
 * An Effect contender: a runtime built once from `layer`, then one `runPromise` per login,
 * as a non-Effect web framework would call it.
 */
export const effectContender = async <R, E>(
  id: string,
  label: string,
  layer: Layer.Layer<R, E>,
  program: (code: string, binding: string) => Effect.Effect<string, unknown, R>
): Promise<Contender> => {
  const { dispose, run } = await Bench.runtimeOf(layer)
  return { id, label, login: (code, binding) => run(program(code, binding)), close: dispose }
}

export const fetchContender: Factory = async (base) => ({
  id: "fetch",
  label: "fetch + JSON.parse (hand-written)",
  login: async (code) => {
    const token = JSON.parse(await (await fetch(exchangeUrl(base, code))).text()) as Token
    const profile = JSON.parse(await (await fetch(userInfoUrl(base, token))).text()) as Profile
    return profile.nickname
  },
  close: async () => {}
})

/** The Effect floor's program: two `client.get`s, `JSON.parse`, nothing else. */
export const floorProgram = (base: string) => (code: string) =>
  Effect.gen(function*() {
    const client = yield* Bench.HttpClient.HttpClient
    const token = JSON.parse(yield* (yield* client.get(exchangeUrl(base, code))).text) as Token
    const profile = JSON.parse(yield* (yield* client.get(userInfoUrl(base, token))).text) as Profile
    return profile.nickname
  }).pipe(Effect.withTracerEnabled(false))

export const floorContender: Factory = (base) =>
  effectContender("effect-floor", "Effect floor (HttpClient, FetchHttpClient)", Bench.fetchLayer, floorProgram(base))

export const floorUndiciContender: Factory = (base) =>
  effectContender("effect-floor-undici", "Effect floor (HttpClient, undici)", Bench.undiciLayer, floorProgram(base))

/** `node:http` with a keep-alive agent: a fresh one per runtime, destroyed with it. */
const nodeKeepAlive = Bench.nodeKeepAliveLayer

export const floorNodeContender: Factory = (base) =>
  effectContender("effect-floor-node", "Effect floor (HttpClient, node:http keep-alive)", nodeKeepAlive, floorProgram(base))

/** The library's login, as an app's callback handler would write it. */
export const libraryLogin = (code: string, binding: string) =>
  Effect.gen(function*() {
    const token = yield* Sns.exchangeCode(code, { binding })
    const profile = yield* Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })
    return profile.nickname
  })

/** The app's config pointed at the fake. */
export const appAt = (base: string) => ({ appId: APP.appId, appSecret: APP.appSecret, apiBaseUrl: base, openBaseUrl: base })

const library = (id: string, label: string, httpClient: Layer.Layer<Bench.HttpClient.HttpClient>): Factory => (base, clock) => {
  const live = WechatClient.layer(appAt(base), { httpClient, retry: false })
  return effectContender(id, label, clock === undefined ? live : Bench.withClock(live, clock), libraryLogin)
}

export const libraryContender = library("effect-wechat", "effect-wechat (FetchHttpClient)", Bench.fetchLayer)

export const libraryUndiciContender = library("effect-wechat-undici", "effect-wechat (NodeHttpClient.layerUndici)", Bench.undiciLayer)

export const libraryNodeContender = library("effect-wechat-node", "effect-wechat (node:http keep-alive agent)", nodeKeepAlive)
