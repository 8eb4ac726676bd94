/**
 * The login demo as a function: {@link startDemo} listens on 127.0.0.1 (port 0 picks a
 * free one) until its scope closes. The WeChat part is `WechatLogin` (state cookie,
 * consent redirect, callback, errors); the rest is the app's own: its session, its pages.
 * By default it embeds `FakeWechat` (consent pages and API on another loopback port); with
 * `realWechat` it reads `WECHAT_APP_ID` / `WECHAT_APP_SECRET` and talks to WeChat.
 */
import * as DemoCompat from "#demo-compat"
import { type ConfigError, HttpRouter, HttpServerRequest, HttpServerResponse, NodeHttpClient, NodeHttpServer } from "#demo-compat"
import { Context, Effect, Layer, Option, type Scope } from "effect"
import { AccessTokenProvider, JsSdk, TokenStore, WechatConfig, type WechatError, WechatLogin, WechatRetry } from "effect-wechat"
import { FakeWechat } from "effect-wechat/testing"
import { randomBytes } from "node:crypto"
import { createServer } from "node:http"
import * as Pages from "./pages.js"

export const HOST = "127.0.0.1"

/**
 * The apps the embedded fake knows (not real WeChat apps): at WeChat, H5 consent needs an
 * official account and QR login a website app, each with its own app id.
 */
export const DEMO_APP = {
  appId: "wx00000000000de0a1",
  appSecret: "demo-login-secret-not-real",
  kind: "official-account" as const,
  openPlatform: true,
  name: "effect-wechat login demo",
  // as WeChat's in-app browser sometimes does: the callback is delivered twice
  duplicateCallbacks: true
}

/** The website app for QR login. */
export const DEMO_WEB_APP = {
  appId: "wx00000000000de0b1",
  appSecret: "demo-website-secret-not-real",
  kind: "website" as const,
  openPlatform: true,
  name: "effect-wechat login demo (website)"
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
  // a snapshot-page visitor: WeChat's virtual user, never to be linked to an account
  { id: "snap", nickname: "微信用户", snapshot: true }
]

/** The app's own session cookie (the login cookie is WechatLogin's). */
export const SESSION_COOKIE = "demo_session"

interface SessionUser {
  readonly openid: string
  readonly nickname: string
  readonly headImgUrl: string
  readonly unionid: string | undefined
}

/** The app's sessions: in memory, as a demo may. */
const makeSessions = () => {
  const sessions = new Map<string, SessionUser>()
  return {
    create: (user: SessionUser) => {
      const id = randomBytes(24).toString("base64url")
      sessions.set(id, user)
      return id
    },
    get: Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
      const id = request.cookies[SESSION_COOKIE]
      return id === undefined ? undefined : sessions.get(id)
    }),
    end: Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
      const id = request.cookies[SESSION_COOKIE]
      if (id !== undefined) sessions.delete(id)
    })
  }
}

const HTML_HEADERS = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; img-src 'self' http: https:; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'",
  "x-content-type-options": "nosniff"
}

const page = (status: number, html: string) =>
  HttpServerResponse.text(html, { status, contentType: "text/html; charset=utf-8", headers: HTML_HEADERS })

/** The demo's routes. `publicUrl` is where browsers reach the demo (the callback's origin). */
export const routes = (options: {
  readonly publicUrl: string
  readonly backend: string
  /** The website app for QR login, when it is not the app in `WechatConfig`. */
  readonly qrApp?: WechatConfig.Service | undefined
}) =>
  Effect.gen(function*() {
    const sessions = makeSessions()
    const secure = options.publicUrl.startsWith("https:")

    const login = WechatLogin.router({
      publicUrl: options.publicUrl,
      qrApp: options.qrApp,
      onLogin: (login) => {
        if (login.isSnapshotUser) return Effect.succeed(page(403, Pages.snapshotUser()))
        const profile = Option.getOrUndefined(login.profile)
        const id = sessions.create({
          openid: login.openid,
          nickname: profile?.nickname ?? "",
          headImgUrl: profile?.headImgUrl ?? "",
          unionid: Option.getOrUndefined(login.unionid)
        })
        // the callback URL holds the code: leave it, so it is not in the address bar or history
        return Effect.succeed(
          HttpServerResponse.redirect(login.returnTo === "/" ? "/me" : login.returnTo, { status: 303 }).pipe(
            DemoCompat.setCookie(SESSION_COOKIE, id, { secure, path: "/" })
          )
        )
      }
    })
    const jssdk = WechatLogin.jssdkRouter({ publicUrl: options.publicUrl, allowedOrigins: [options.publicUrl, "http://127.0.0.1"] })

    const me = Effect.flatMap(sessions.get, (user) =>
      user === undefined
        ? Effect.succeed(HttpServerResponse.redirect("/", { status: 303, headers: { "cache-control": "no-store" } }))
        : Effect.succeed(page(200, Pages.profile(user))))

    const logout = Effect.andThen(
      sessions.end,
      DemoCompat.expireCookie(HttpServerResponse.redirect("/", { status: 303 }), SESSION_COOKIE, { path: "/" })
    )

    const avatar = Effect.gen(function*() {
      const params = yield* HttpRouter.params
      const match = /^([a-z0-9]+)\.svg$/.exec(params.file ?? "")
      const found = match === null ? undefined : AVATARS[match[1]!]
      if (found === undefined) return page(404, Pages.notFound())
      return HttpServerResponse.text(Pages.avatarSvg(found.initial, found.color), {
        contentType: "image/svg+xml",
        headers: { "cache-control": "public, max-age=3600", "x-content-type-options": "nosniff" }
      })
    })

    const landing = Effect.map(sessions.get, (user) => page(200, Pages.landing({ backend: options.backend, user })))

    return yield* DemoCompat.app(
      [
        { method: "GET", path: "/", handler: landing },
        { method: "GET", path: "/me", handler: me },
        { method: "POST", path: "/logout", handler: logout },
        { method: "GET", path: "/avatar/:file", handler: avatar }
      ],
      [yield* DemoCompat.mount(login), yield* DemoCompat.mount(jssdk)],
      page(404, Pages.notFound())
    )
  })

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
    const port = DemoCompat.portOf(server.address)
    const baseUrl = `http://${HOST}:${port}`
    const publicUrl = (options.publicUrl ?? baseUrl).replace(/\/+$/, "")

    let fake: Demo["fake"]
    let config: Layer.Layer<WechatConfig.WechatConfig, ConfigError | WechatError.InvalidArgument>
    let qrApp: WechatConfig.Service | undefined
    if (options.realWechat === true) {
      // one app for both flows, unless a website app is given for QR login
      config = WechatConfig.layerConfig
      const qrId = process.env.WECHAT_QR_APP_ID
      const qrSecret = process.env.WECHAT_QR_APP_SECRET
      if (qrId !== undefined && qrId !== "" && qrSecret !== undefined && qrSecret !== "") {
        qrApp = yield* WechatConfig.make({ appId: qrId, appSecret: qrSecret })
      }
    } else {
      // the fake matches redirect_uri by host[:port], as WeChat does
      const authorizedDomains = [new URL(publicUrl).host]
      const control = yield* Layer.build(FakeWechat.layerControl({
        apps: [{ ...DEMO_APP, authorizedDomains }, { ...DEMO_WEB_APP, authorizedDomains }],
        users: demoUsers(baseUrl)
      }))
      const address = yield* FakeWechat.serve({ port: 0 }).pipe(Effect.provide(control))
      fake = { url: address.url, control: Context.get(control, FakeWechat) }
      const hosts = { apiBaseUrl: address.url, openBaseUrl: address.url }
      config = WechatConfig.layer({ appId: DEMO_APP.appId, appSecret: DEMO_APP.appSecret, ...hosts })
      qrApp = yield* WechatConfig.make({ appId: DEMO_WEB_APP.appId, appSecret: DEMO_WEB_APP.appSecret, ...hosts })
    }
    // the library's caches: the basic token (stable_token) and the JS-SDK ticket, refreshed
    // ahead of expiry, one fetch at a time; transient WeChat failures retried
    // undici with keep-alive connections: what production should use (docs/guide.md)
    const client = Layer.mergeAll(config, NodeHttpClient.layerUndici, TokenStore.layerMemory, WechatRetry.layer(WechatRetry.policy))
    const wechat = yield* Layer.build(
      JsSdk.layerTicketProvider().pipe(Layer.provideMerge(AccessTokenProvider.layer()), Layer.provideMerge(client))
    )
    const backend = fake === undefined
      ? `WeChat (app ${Context.get(wechat, WechatConfig.WechatConfig).appId})`
      : `the embedded FakeWechat at ${fake.url}`
    const app = (yield* routes({ publicUrl, backend, qrApp })).pipe(Effect.provide(wechat))
    yield* server.serve(app)
    return { url: baseUrl, fake } satisfies Demo
  }) satisfies Effect.Effect<Demo, unknown, Scope.Scope>
