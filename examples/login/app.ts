/**
 * The login demo as a function: {@link startDemo} listens on 127.0.0.1 (port 0 picks a
 * free one) until its scope closes. By default it embeds `FakeWechat` (consent pages and
 * API on another loopback port); with `realWechat` it reads `WECHAT_APP_ID` /
 * `WECHAT_APP_SECRET` and talks to WeChat.
 */
import { FetchHttpClient, HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { type ConfigError, Context, Effect, Layer, type Scope } from "effect"
import { AccessTokenProvider, JsSdk, Sns, TokenStore, WechatConfig, WechatError, WechatRetry } from "effect-wechat"
import { FakeWechat } from "effect-wechat/testing"
import { randomBytes, timingSafeEqual } from "node:crypto"
import { createServer } from "node:http"
import * as Pages from "./pages.js"

export const HOST = "127.0.0.1"

/** The app the embedded fake knows. Not a real WeChat app. */
export const DEMO_APP = {
  appId: "wxfakedemologin001",
  appSecret: "demo-login-secret-not-real",
  authorizedDomains: ["127.0.0.1", "localhost"],
  openPlatform: true,
  name: "effect-wechat login demo"
}

const AVATARS: Readonly<Record<string, { readonly initial: string; readonly color: string }>> = {
  alice: { initial: "A", color: "#e8590c" },
  bob: { initial: "明", color: "#1971c2" }
}

/** The fake's users; avatars are served by the demo itself (`/avatar/<id>.svg`). */
export const demoUsers = (baseUrl: string) => [
  { id: "alice", nickname: "Alice 🐱", headImgUrl: `${baseUrl}/avatar/alice.svg` },
  // WeChat nicknames may hold control characters
  { id: "bob", nickname: "小明\u0007", headImgUrl: `${baseUrl}/avatar/bob.svg` },
  { id: "carol", nickname: "Carol <b>&amp;</b>", headImgUrl: "" },
  // a snapshot-page visitor: sns/userinfo refuses it (ApiUnauthorized)
  { id: "snap", nickname: "微信用户", snapshot: true }
]

export const STATE_COOKIE = "wechat_login_state"

const STATE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/** 32 random characters of [A-Za-z0-9] (what WeChat accepts as `state`), without modulo bias. */
const randomState = Effect.sync(() => {
  let state = ""
  while (state.length < 32) {
    for (const byte of randomBytes(48)) {
      if (byte < 248 && state.length < 32) state += STATE_ALPHABET[byte % 62]
    }
  }
  return state
})

const sameState = (received: string | undefined, expected: string | undefined): boolean => {
  if (received === undefined || expected === undefined || received === "") return false
  const a = Buffer.from(received)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * The request's query, parsed from the raw request URL. (The router's `ParsedSearchParams`
 * collapses `//` inside query values, which would turn `?url=http://…` into `http:/…`.)
 */
const searchParams = Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
  const query = new URL(request.url, "http://request.invalid").searchParams
  return (name: string): string | undefined => query.get(name) ?? undefined
})

const HTML_HEADERS = {
  "cache-control": "no-store",
  // the callback URL carries the code: do not send it to the avatar host
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; img-src 'self' http: https:; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff"
}

const page = (status: number, html: string) =>
  HttpServerResponse.text(html, { status, contentType: "text/html; charset=utf-8", headers: HTML_HEADERS })

const json = (status: number, body: unknown) =>
  HttpServerResponse.unsafeJson(body, { status, headers: { "cache-control": "no-store" } })

/** The demo's routes. `publicUrl` is where browsers reach the demo (the callback's origin). */
export const routes = (options: { readonly publicUrl: string; readonly backend: string }) => {
  const redirectUri = `${options.publicUrl}/callback`

  const login = (consentUrl: (state: string) => Effect.Effect<string, WechatError.InvalidArgument, WechatConfig.WechatConfig>) =>
    Effect.gen(function*() {
      const state = yield* randomState
      const url = yield* consentUrl(state)
      return yield* HttpServerResponse.redirect(url, { status: 302, headers: { "cache-control": "no-store" } }).pipe(
        HttpServerResponse.setCookie(STATE_COOKIE, state, { httpOnly: true, sameSite: "lax", path: "/", maxAge: "10 minutes" })
      )
    }).pipe(Effect.catchAll((error) => Effect.succeed(page(500, Pages.failure(error)))))

  const callback = Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const query = yield* searchParams
    if (!sameState(query("state"), request.cookies[STATE_COOKIE])) return page(400, Pages.stateMismatch())
    const code = query("code")
    if (code === undefined || code === "") return page(200, Pages.cancelled())
    // the state cookie stays: reloading this page redeems the same code, which exchangeCode answers idempotently
    const token = yield* Sns.exchangeCode(code)
    const user = yield* Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })
    return page(200, Pages.profile(user))
  }).pipe(
    Effect.catchTag("InvalidCode", (e) => Effect.succeed(page(400, Pages.codeProblem(e._tag)))),
    Effect.catchTag("CodeAlreadyUsed", (e) => Effect.succeed(page(400, Pages.codeProblem(e._tag)))),
    Effect.catchTag("ApiUnauthorized", () => Effect.succeed(page(403, Pages.needUserinfo()))),
    Effect.catchAll((error) => Effect.succeed(page(error._tag === "InvalidArgument" ? 400 : 502, Pages.failure(error))))
  )

  const jssdkConfig = Effect.gen(function*() {
    const url = (yield* searchParams)("url")
    if (url === undefined || url === "") {
      return yield* new WechatError.InvalidArgument({ argument: "url", reason: "is required: the page's absolute http(s) URL", action: "stop" })
    }
    // signed with the cached ticket (JsSdk.layerTicketProvider): no getticket call per request
    return json(200, yield* JsSdk.signPage(url))
  }).pipe(
    Effect.catchAll((error) => Effect.succeed(json(error._tag === "InvalidArgument" ? 400 : 502, { error: error._tag, message: error.message })))
  )

  const avatar = Effect.gen(function*() {
    const params = yield* HttpRouter.params
    const match = /^([a-z0-9]+)\.svg$/.exec(params.file ?? "")
    const found = match === null ? undefined : AVATARS[match[1]!]
    if (found === undefined) return HttpServerResponse.text("not found", { status: 404 })
    return HttpServerResponse.text(Pages.avatarSvg(found.initial, found.color), {
      contentType: "image/svg+xml",
      headers: { "cache-control": "public, max-age=3600", "x-content-type-options": "nosniff" }
    })
  })

  return HttpRouter.empty.pipe(
    HttpRouter.get("/", Effect.succeed(page(200, Pages.landing({ baseUrl: options.publicUrl, backend: options.backend })))),
    HttpRouter.get("/login/h5", login((state) => Sns.authorizeUrl({ redirectUri, scope: "snsapi_userinfo", state }))),
    HttpRouter.get("/login/qr", login((state) => Sns.qrConnectUrl({ redirectUri, state }))),
    HttpRouter.get("/callback", callback),
    HttpRouter.get("/jssdk-config", jssdkConfig),
    HttpRouter.get("/avatar/:file", avatar)
  )
}

export interface DemoOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number | undefined
  /** Talk to WeChat with `WECHAT_APP_ID` / `WECHAT_APP_SECRET` instead of the embedded fake. */
  readonly realWechat?: boolean | undefined
  /**
   * Where browsers reach the demo (the callback's origin, whose host must be an authorized
   * domain of the app at WeChat); default `http://127.0.0.1:<port>`.
   */
  readonly publicUrl?: string | undefined
}

export interface Demo {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string
  /** The embedded fake (absent with `realWechat`): its address and control service. */
  readonly fake: { readonly url: string; readonly control: FakeWechat.Service } | undefined
}

/** Starts the demo; it serves until the scope closes. */
export const startDemo = (options: DemoOptions = {}) =>
  Effect.gen(function*() {
    const server = yield* NodeHttpServer.make(() => createServer(), { port: options.port ?? 0, host: HOST })
    const port = server.address._tag === "TcpAddress" ? server.address.port : 0
    const baseUrl = `http://${HOST}:${port}`

    let fake: Demo["fake"]
    let config: Layer.Layer<WechatConfig.WechatConfig, ConfigError.ConfigError | WechatError.InvalidArgument>
    if (options.realWechat === true) {
      config = WechatConfig.layerConfig
    } else {
      // the fake matches redirect_uri by host[:port], as WeChat does: authorize the bound port
      const app = { ...DEMO_APP, authorizedDomains: [...DEMO_APP.authorizedDomains, `${HOST}:${port}`] }
      const control = yield* Layer.build(FakeWechat.layerControl({ apps: [app], users: demoUsers(baseUrl) }))
      const address = yield* FakeWechat.serve({ port: 0 }).pipe(Effect.provide(control))
      fake = { url: address.url, control: Context.get(control, FakeWechat) }
      config = WechatConfig.layer({
        appId: DEMO_APP.appId,
        appSecret: DEMO_APP.appSecret,
        apiBaseUrl: address.url,
        openBaseUrl: address.url
      })
    }
    // the library's caches: the basic token (stable_token) and the JS-SDK ticket, refreshed
    // ahead of expiry, one fetch at a time; transient WeChat failures retried
    const client = Layer.mergeAll(config, FetchHttpClient.layer, TokenStore.layerMemory, WechatRetry.layer(WechatRetry.policy))
    const wechat = yield* Layer.build(
      JsSdk.layerTicketProvider().pipe(Layer.provideMerge(AccessTokenProvider.layer()), Layer.provideMerge(client))
    )
    const backend = fake === undefined
      ? `WeChat (app ${Context.get(wechat, WechatConfig.WechatConfig).appId})`
      : `the embedded FakeWechat at ${fake.url}`
    const publicUrl = (options.publicUrl ?? baseUrl).replace(/\/+$/, "")
    const app = routes({ publicUrl, backend }).pipe(Effect.provide(wechat))
    yield* server.serve(app)
    return { url: baseUrl, fake } satisfies Demo
  }) satisfies Effect.Effect<Demo, unknown, Scope.Scope>
