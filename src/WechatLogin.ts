/**
 * The whole WeChat web login as a ready part of an Effect HTTP server: mount
 * {@link router} and write one callback, `onLogin`, where the app creates its own session.
 *
 * What the routes do:
 * - `GET paths.login` (`?returnTo=/x`, `?mode=h5|qr`): sets the login cookie (a random id,
 *   HttpOnly, SameSite=Lax, Secure unless the site is plain-http loopback), makes a
 *   `state` signed and bound to it, and redirects to WeChat: the H5 consent page inside
 *   WeChat (its user agent says `MicroMessenger`), QR login elsewhere, or as configured;
 * - `GET paths.callback`: verifies the state against the cookie, exchanges the code
 *   (bound to the cookie, so a duplicate callback in this browser is answered with the
 *   same token and a replayed URL anywhere else is refused), reads the profile when the
 *   scope allows and the user is not a snapshot-page visitor, and calls `onLogin`;
 *   a deny is shown as cancelled, every failure as a small page or JSON (as `Accept` asks)
 *   with the right status;
 * - `GET paths.qrConfig`: the options for WeChat's embeddable QR widget (`wxLogin.js`),
 *   with a fresh signed state and the cookie, so a site can show the QR code in its page.
 *
 * {@link jssdkRouter} adds the JS-SDK config route; {@link start} and {@link complete} are
 * the same steps without a router, for Express, Hono, Fastify and others.
 *
 * @example
 * ```ts
 * import { HttpServerResponse } from "@effect/platform"
 * import { Effect } from "effect"
 * import { WechatLogin } from "effect-wechat"
 *
 * const login = WechatLogin.router({
 *   publicUrl: "https://example.com",
 *   onLogin: (login) =>
 *     // create the app's own session here; never link a snapshot user
 *     Effect.succeed(HttpServerResponse.redirect(login.returnTo, { status: 303 }))
 * })
 * ```
 *
 * @since 0.2.0
 */
import * as Compat from "#compat"
import { type HttpClient, HttpServerRequest, HttpServerResponse } from "#compat"
import { Duration, Effect, Option } from "effect"
import { randomBytes } from "node:crypto"
import * as Answers from "./internal/loginAnswers.js"
import { isLoopbackHost } from "./internal/loopback.js"
import { isRelativePath } from "./internal/state.js"
import * as Validate from "./internal/validate.js"
import * as JsSdk from "./JsSdk.js"
import * as Sns from "./Sns.js"
import { type Service as WechatConfigService, WechatConfig } from "./WechatConfig.js"
import { InvalidArgument, type InvalidState, type WechatError } from "./WechatError.js"

/**
 * What a finished login found, handed to `onLogin`.
 *
 * @since 0.2.0
 * @category models
 */
export interface Login {
  readonly openid: string
  readonly unionid: Option.Option<string>
  /** The profile, when the scope allowed it and the user is not a snapshot-page visitor. */
  readonly profile: Option.Option<Sns.SnsUserInfo>
  readonly token: Sns.SnsToken
  /**
   * A snapshot-page visitor: WeChat's virtual user, whose openid and unionid are not the
   * real person's. Never link it to an account; ask the user to open the page in WeChat.
   */
  readonly isSnapshotUser: boolean
  /** Where to send the user now: a relative path (default `/`). */
  readonly returnTo: string
  /** Which consent page the user went through. */
  readonly flow: "h5" | "qr"
}

/**
 * The routes' paths.
 *
 * @since 0.2.0
 * @category models
 */
export interface Paths {
  /** Default `/login/wechat`. */
  readonly login: Compat.RoutePath
  /**
   * Default `/login/wechat/callback`. Its absolute URL is WeChat's `redirect_uri`
   * (with `?flow=qr` for a QR login, so the callback knows which flow it completes).
   */
  readonly callback: Compat.RoutePath
  /** Default `/login/wechat/qr-config`. */
  readonly qrConfig: Compat.RoutePath
}

/**
 * @since 0.2.0
 * @category models
 */
export interface Options<E = never, R = never> {
  /**
   * Where browsers reach this site (`https://example.com`): the callback's origin, whose
   * host must be an authorized domain of the app. Plain `http` only for a loopback host.
   */
  readonly publicUrl: string
  readonly paths?: Partial<Paths> | undefined
  /** The H5 consent's scope: `snsapi_userinfo` (default: consent, profile) or `snsapi_base`. */
  readonly scope?: Sns.Scope | undefined
  /** `auto` (default: H5 inside WeChat, QR elsewhere), `h5` or `qr`. */
  readonly mode?: "auto" | "h5" | "qr" | undefined
  /**
   * The website app for QR login, when it is not the app in `WechatConfig` (WeChat gives
   * an official account and a website app different app ids).
   */
  readonly qrApp?: WechatConfigService | undefined
  /**
   * Bind the state to itself instead of the login cookie, for browsers that lose cookies
   * (WeChat's in-app browser sometimes does). Trade-off: anyone holding the callback URL
   * can replay it inside the duplicate window (`WechatConfig.duplicateWindow`, 60 s).
   */
  readonly cookieless?: boolean | undefined
  /** `connect_redirect=1` on the H5 consent URL; default true. */
  readonly connectRedirect?: boolean | undefined
  /**
   * The login cookie's name; default `__Host-wechat_login` on an https `publicUrl` (the
   * prefix stops a sibling subdomain from planting the cookie: its browser then refuses
   * any `Domain` and requires `Secure` and `Path=/`), `wechat_login` on plain http. A
   * `__Host-` or `__Secure-` name needs an https `publicUrl`. See {@link cookieNameOf}.
   */
  readonly cookieName?: string | undefined
  /** How long a started login may take; default 10 minutes. */
  readonly stateTtl?: Compat.DurationInput | undefined
  /** Where failure pages send the user ("Back to the start"); default `/`. */
  readonly homePath?: string | undefined
  /** The app's part: create its session and answer (usually a redirect to `returnTo`). */
  readonly onLogin: (login: Login) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
}

/**
 * A cookie for the framework to set.
 *
 * @since 0.2.0
 * @category models
 */
export interface SetCookie {
  readonly name: string
  readonly value: string
  readonly options: {
    readonly httpOnly: true
    readonly secure: boolean
    readonly sameSite: "lax"
    readonly path: "/"
    /** Seconds. */
    readonly maxAge: number
  }
  /** The whole `Set-Cookie` header value. */
  readonly header: string
}

/**
 * Where {@link start} sends the browser, and the cookie to set first (none in cookieless mode).
 *
 * @since 0.2.0
 * @category models
 */
export interface Started {
  readonly location: string
  readonly cookie: SetCookie | undefined
}

/**
 * The end of a callback: logged in, or the user declined on WeChat's page.
 *
 * @since 0.2.0
 * @category models
 */
export type Completed =
  | { readonly _tag: "LoggedIn"; readonly login: Login }
  | { readonly _tag: "Cancelled"; readonly returnTo: string }

/**
 * What a login can fail with.
 *
 * @since 0.2.0
 * @category models
 */
export type LoginError = WechatError | InvalidState

const COOKIE_VALUE = /^[A-Za-z0-9]{32}$/
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

const randomId = () => {
  let id = ""
  while (id.length < 32) {
    for (const byte of randomBytes(48)) if (byte < 248 && id.length < 32) id += ALPHABET[byte % 62]
  }
  return id
}

interface Settings {
  readonly origin: string
  readonly callbackUrl: string
  readonly paths: Paths
  readonly scope: Sns.Scope
  readonly mode: "auto" | "h5" | "qr"
  readonly qrApp: WechatConfigService | undefined
  readonly cookieless: boolean
  readonly connectRedirect: boolean
  readonly cookieName: string
  readonly secure: boolean
  readonly ttl: Duration.Duration
  readonly homePath: string
}

const invalid = (argument: string, reason: string) => new InvalidArgument({ argument, reason, action: "fix-config" })

/** Checks the options once, when the routes are built. */
const settingsOf = (options: Omit<Options<unknown, unknown>, "onLogin">): Effect.Effect<Settings, InvalidArgument> =>
  Effect.suspend(() => {
    if (typeof options !== "object" || options === null) return Effect.fail(invalid("options", "must be an object with publicUrl"))
    let url: URL
    try {
      url = new URL(options.publicUrl)
    } catch {
      return Effect.fail(invalid("publicUrl", "must be an absolute http(s) URL"))
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
      return Effect.fail(invalid("publicUrl", "must be https (plain http only to a loopback host)"))
    }
    if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
      return Effect.fail(invalid("publicUrl", "takes no credentials, query or fragment"))
    }
    const paths: Paths = {
      login: options.paths?.login ?? "/login/wechat",
      callback: options.paths?.callback ?? "/login/wechat/callback",
      qrConfig: options.paths?.qrConfig ?? "/login/wechat/qr-config"
    }
    for (const [name, path] of Object.entries(paths)) {
      if (typeof path !== "string" || !isRelativePath(path) || path.includes("?") || path.includes("#")) {
        return Effect.fail(invalid(`paths.${name}`, "must be a plain path starting with /"))
      }
    }
    const secure = url.protocol === "https:"
    const cookieName = options.cookieName ?? defaultCookieName(secure)
    if (typeof cookieName !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(cookieName)) {
      return Effect.fail(invalid("cookieName", "must be 1 to 64 characters of [A-Za-z0-9_-]"))
    }
    if (!secure && /^__(host|secure)-/i.test(cookieName)) {
      return Effect.fail(invalid("cookieName", "a __Host- or __Secure- cookie needs an https publicUrl (browsers refuse it otherwise)"))
    }
    const scope = options.scope ?? "snsapi_userinfo"
    if (scope !== "snsapi_base" && scope !== "snsapi_userinfo") return Effect.fail(invalid("scope", "must be snsapi_base or snsapi_userinfo"))
    const mode = options.mode ?? "auto"
    if (mode !== "auto" && mode !== "h5" && mode !== "qr") return Effect.fail(invalid("mode", "must be auto, h5 or qr"))
    const homePath = options.homePath ?? "/"
    if (typeof homePath !== "string" || !isRelativePath(homePath)) return Effect.fail(invalid("homePath", "must be a relative path"))
    const origin = url.origin + url.pathname.replace(/\/+$/, "")
    // the bounds of Sns.makeState, checked here so that a bad value fails when the routes
    // are built, not at every login's start
    return Effect.map(Validate.duration("stateTtl", options.stateTtl ?? Duration.minutes(10), { min: "1 second", max: "1 day" }), (ttl) => ({
      origin,
      callbackUrl: origin + paths.callback,
      paths,
      scope,
      mode,
      qrApp: options.qrApp,
      cookieless: options.cookieless === true,
      connectRedirect: options.connectRedirect ?? true,
      cookieName,
      secure,
      ttl,
      homePath
    }))
  })

const defaultCookieName = (secure: boolean) => (secure ? "__Host-wechat_login" : "wechat_login")

/**
 * The login cookie's name for these options, for servers other than `@effect/platform`'s
 * that read the cookie themselves before {@link start} and {@link complete}.
 *
 * @example
 * ```ts
 * import { WechatLogin } from "effect-wechat"
 *
 * WechatLogin.cookieNameOf({ publicUrl: "https://example.com" }) // "__Host-wechat_login"
 * WechatLogin.cookieNameOf({ publicUrl: "http://127.0.0.1:3000" }) // "wechat_login"
 * ```
 *
 * @since 0.4.0
 * @category framework-free
 */
export const cookieNameOf = (options: { readonly publicUrl: string; readonly cookieName?: string | undefined }): string => {
  if (typeof options === "object" && options !== null && typeof options.cookieName === "string") return options.cookieName
  try {
    return defaultCookieName(new URL(options.publicUrl).protocol === "https:")
  } catch {
    return defaultCookieName(false)
  }
}

const cookieFor = (settings: Settings, value: string): SetCookie => {
  const maxAge = Math.ceil(Duration.toSeconds(settings.ttl))
  return {
    name: settings.cookieName,
    value,
    options: { httpOnly: true, secure: settings.secure, sameSite: "lax", path: "/", maxAge },
    header: `${settings.cookieName}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${settings.secure ? "; Secure" : ""}`
  }
}

const inWechat = (userAgent: string | undefined) => userAgent !== undefined && /MicroMessenger/i.test(userAgent)

/** Runs `effect` against the QR app's config when the flow is QR and one is set. */
const forFlow = <A, E, R>(settings: Settings, flow: "h5" | "qr", effect: Effect.Effect<A, E, R>) =>
  flow === "qr" && settings.qrApp !== undefined ? Effect.provideService(effect, WechatConfig, settings.qrApp) : effect

/** The callback URL of a flow: a QR login's says so (its code may be the QR app's). */
const redirectUriOf = (settings: Settings, flow: "h5" | "qr") => (flow === "qr" ? `${settings.callbackUrl}?flow=qr` : settings.callbackUrl)

/** A fresh (or the current) login id, and the signed state bound to it. */
const newState = (settings: Settings, cookie: string | undefined, returnTo: string | undefined) => {
  const id = cookie !== undefined && COOKIE_VALUE.test(cookie) ? cookie : randomId()
  return Effect.map(
    Sns.makeState(settings.cookieless ? { cookieless: true, ttl: settings.ttl, returnTo } : { session: id, ttl: settings.ttl, returnTo }),
    (state) => ({ state, cookie: settings.cookieless ? undefined : cookieFor(settings, id) })
  )
}

const startWith = (settings: Settings) =>
(request: {
  readonly cookie?: string | undefined
  readonly userAgent?: string | undefined
  readonly returnTo?: string | undefined
  readonly mode?: "h5" | "qr" | undefined
}): Effect.Effect<Started, InvalidArgument, WechatConfig> => {
  if (typeof request !== "object" || request === null) {
    return Effect.fail(new InvalidArgument({ argument: "request", reason: "must be an object (cookie, userAgent, returnTo, mode)", action: "stop" }))
  }
  const flow = request.mode ?? (settings.mode === "auto" ? (inWechat(request.userAgent) ? "h5" : "qr") : settings.mode)
  return Effect.flatMap(newState(settings, request.cookie, request.returnTo), ({ cookie, state }) =>
    forFlow(
      settings,
      flow,
      flow === "h5"
        ? Sns.authorizeUrl({ redirectUri: redirectUriOf(settings, flow), scope: settings.scope, state, connectRedirect: settings.connectRedirect })
        : Sns.qrConnectUrl({ redirectUri: redirectUriOf(settings, flow), state })
    ).pipe(Effect.map((location) => ({ location, cookie }))))
}

type Query = Readonly<Record<string, string | undefined>> | URLSearchParams
const param = (query: Query, name: string): string | undefined =>
  query instanceof URLSearchParams ? query.get(name) ?? undefined : query[name]

const completeWith = (settings: Settings) =>
(request: { readonly query: Query; readonly cookie?: string | undefined }): Effect.Effect<
  Completed,
  LoginError,
  WechatConfig | HttpClient.HttpClient
> =>
  Effect.gen(function*() {
    if (typeof request !== "object" || request === null || typeof request.query !== "object" || request.query === null) {
      return yield* new InvalidArgument({ argument: "request.query", reason: "must be the callback's query (an object or URLSearchParams)", action: "stop" })
    }
    const flow = param(request.query, "flow") === "qr" ? "qr" : "h5"
    const verified = yield* Sns.verifyState(param(request.query, "state") ?? "", {
      session: settings.cookieless || request.cookie === undefined || request.cookie === "" ? undefined : request.cookie,
      cookieless: settings.cookieless
    })
    const returnTo = Option.getOrElse(verified.returnTo, () => "/")
    const code = param(request.query, "code")
    if (code === undefined || code === "") return { _tag: "Cancelled", returnTo } as const
    const token = yield* forFlow(settings, flow, Sns.exchangeCode(code, { binding: verified.binding }))
    const canRead = token.scope.includes("snsapi_userinfo") || token.scope.includes("snsapi_login")
    const profile = canRead && !token.isSnapshotUser
      ? Option.some(yield* forFlow(settings, flow, Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })))
      : Option.none()
    const unionid = Option.orElse(token.unionid, () => Option.flatMap(profile, (p) => p.unionid))
    const login: Login = { openid: token.openid, unionid, profile, token, isSnapshotUser: token.isSnapshotUser, returnTo, flow }
    return { _tag: "LoggedIn", login } as const
  })

/**
 * Starts a login without a router: where to send the browser and the cookie to set. For
 * servers other than `@effect/platform`'s (run it through a `ManagedRuntime`).
 *
 * @since 0.2.0
 * @category framework-free
 */
export const start = (options: Omit<Options<unknown, unknown>, "onLogin">) =>
(request: Parameters<ReturnType<typeof startWith>>[0]): Effect.Effect<Started, InvalidArgument, WechatConfig> =>
  Effect.flatMap(settingsOf(options), (settings) => startWith(settings)(request))

/**
 * Completes a login from the callback's query and the login cookie's value. `Cancelled`
 * when the user declined; fails with `InvalidState` for a callback this browser did not
 * start, and with the endpoints' errors. See {@link respond} for the answer to a failure.
 *
 * @since 0.2.0
 * @category framework-free
 */
export const complete = (options: Omit<Options<unknown, unknown>, "onLogin">) =>
(request: { readonly query: Query; readonly cookie?: string | undefined }): Effect.Effect<
  Completed,
  LoginError | InvalidArgument,
  WechatConfig | HttpClient.HttpClient
> => Effect.flatMap(settingsOf(options), (settings) => completeWith(settings)(request))

/**
 * The answer for a login failure (or a cancelled login): status, content type and body, a
 * small page or JSON as `accept` asks. No secret is in it; WeChat's `rid` is, for support.
 *
 * @since 0.2.0
 * @category framework-free
 */
export const respond = (
  failure: LoginError | { readonly _tag: "Cancelled" },
  request: { readonly accept?: string | undefined; readonly startUrl?: string | undefined; readonly homeUrl?: string | undefined } = {}
): { readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string } => {
  const answer = Answers.answerFor(failure)
  const rid = "rid" in failure && typeof failure.rid === "string" ? failure.rid : undefined
  const headers: Record<string, string> = { "cache-control": "no-store", "referrer-policy": "no-referrer" }
  if (answer.retryAfter !== undefined && answer.status === 503) headers["retry-after"] = String(answer.retryAfter)
  if (Answers.wantsJson(request.accept)) {
    return {
      status: answer.status,
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ error: answer.error, ...("reason" in failure ? { reason: failure.reason } : {}), next: answer.next, message: answer.title, ...(rid === undefined ? {} : { rid }) })
    }
  }
  return {
    status: answer.status,
    headers: { ...headers, "content-type": "text/html; charset=utf-8", "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'" },
    body: Answers.page(answer, { startUrl: request.startUrl ?? "/", homeUrl: request.homeUrl ?? "/", rid })
  }
}

const toResponse = (answer: ReturnType<typeof respond>) =>
  HttpServerResponse.text(answer.body, { status: answer.status, headers: answer.headers, contentType: answer.headers["content-type"]! })

/** Logs what an operator must look at; a user's own mistake is logged quietly. */
const logFailure = (failure: LoginError) => {
  const action = "action" in failure ? failure.action : "retry"
  const line = `effect-wechat: login failed: ${failure._tag}: ${failure.message}`
  return action === "fix-config" || action === "stop" || failure._tag === "WechatDecodeError"
    ? Effect.logError(line)
    : failure._tag === "InvalidState"
    ? Effect.logWarning(line)
    : Effect.logInfo(line)
}

const rawQuery = Effect.map(HttpServerRequest.HttpServerRequest, (request) => new URL(request.url, "http://request.invalid").searchParams)

/**
 * The login routes (see the module's description), to mount in the app's router. Fails
 * with `InvalidArgument` at build time for bad options.
 *
 * @since 0.2.0
 * @category routes
 */
export const router = <E, R>(options: Options<E, R>): Compat.Routes<E, R | WechatConfig | HttpClient.HttpClient, InvalidArgument> =>
  Compat.routes(Effect.map(settingsOf(options), (settings): ReadonlyArray<Compat.Route<E, R | WechatConfig | HttpClient.HttpClient>> => {
    const startUrl = settings.origin + settings.paths.login
    const homeUrl = settings.origin + settings.homePath
    const fail = (failure: LoginError | InvalidArgument) =>
      Effect.andThen(
        failure._tag === "InvalidArgument" ? Effect.void : logFailure(failure),
        Effect.map(HttpServerRequest.HttpServerRequest, (request) => toResponse(respond(failure, { accept: request.headers["accept"], startUrl, homeUrl })))
      )
    const noStore = (response: HttpServerResponse.HttpServerResponse) =>
      response.pipe(HttpServerResponse.setHeader("cache-control", "no-store"), HttpServerResponse.setHeader("referrer-policy", "no-referrer"))
    const withCookie = (response: HttpServerResponse.HttpServerResponse, cookie: SetCookie | undefined) =>
      cookie === undefined ? response : Compat.setCookie(response, cookie.name, cookie.value, { ...cookie.options, maxAge: Duration.seconds(cookie.options.maxAge) })

    const begin = (respondWith: (started: Started, state: URLSearchParams) => HttpServerResponse.HttpServerResponse) =>
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const query = yield* rawQuery
        const mode = query.get("mode")
        const started = yield* startWith(settings)({
          cookie: request.cookies[settings.cookieName],
          userAgent: request.headers["user-agent"],
          returnTo: query.get("returnTo") ?? undefined,
          mode: mode === "h5" || mode === "qr" ? mode : undefined
        })
        return withCookie(noStore(respondWith(started, new URL(started.location).searchParams)), started.cookie)
      }).pipe(Compat.catchAll(fail))

    const callback = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const completed = yield* completeWith(settings)({ query: yield* rawQuery, cookie: request.cookies[settings.cookieName] })
      if (completed._tag === "Cancelled") {
        return noStore(toResponse(respond({ _tag: "Cancelled" }, { accept: request.headers["accept"], startUrl, homeUrl })))
      }
      return completed.login
    }).pipe(
      Compat.catchAll(fail),
      Effect.flatMap((result) => (Compat.isServerResponse(result) ? Effect.succeed(result) : Effect.map(options.onLogin(result), noStore)))
    )

    return [
      { path: settings.paths.login, handler: begin((started) => HttpServerResponse.redirect(started.location, { status: 302 })) },
      { path: settings.paths.callback, handler: callback },
      {
        path: settings.paths.qrConfig,
        handler: begin((_, params) =>
          Compat.jsonResponse({
            appid: params.get("appid"),
            scope: params.get("scope"),
            redirect_uri: params.get("redirect_uri"),
            state: params.get("state")
          }))
      }
    ]
  }))

/**
 * The JS-SDK config route: `GET path?url=<page URL>` answers what `wx.config` needs
 * (`appId`, `timestamp`, `nonceStr`, `signature`), signed with the cached ticket. The URL
 * must be absolute, http(s), and on one of `allowedOrigins` (default: `publicUrl`'s
 * origin); otherwise a 400 with a JSON error saying why. Send it percent-encoded.
 *
 * @since 0.2.0
 * @category routes
 */
export const jssdkRouter = (options: {
  readonly publicUrl: string
  readonly path?: Compat.RoutePath | undefined
  readonly allowedOrigins?: ReadonlyArray<string> | undefined
}): Compat.Routes<never, JsSdk.TicketProvider | WechatConfig, InvalidArgument> =>
  Compat.routes(Effect.gen(function*() {
    const settings = yield* settingsOf({ publicUrl: options.publicUrl })
    const origins = new Set<string>()
    for (const origin of options.allowedOrigins ?? [new URL(settings.origin).origin]) {
      const parsed = yield* Effect.try({ try: () => new URL(origin), catch: () => invalid("allowedOrigins", `${JSON.stringify(origin)} is not an origin`) })
      origins.add(parsed.origin)
    }
    const bad = (reason: string) => Compat.jsonResponse({ error: "InvalidArgument", argument: "url", reason }, { status: 400, headers: { "cache-control": "no-store" } })
    const handler = Effect.gen(function*() {
      const url = (yield* rawQuery).get("url")
      if (url === null || url === "") return bad("is required: the page's absolute URL, percent-encoded")
      let parsed: URL
      try {
        parsed = new URL(url)
      } catch {
        return bad("is not an absolute URL (percent-encode it)")
      }
      if (!origins.has(parsed.origin)) return bad(`${parsed.origin} is not an allowed origin`)
      const signature = yield* JsSdk.signPage(url)
      return Compat.jsonResponse(signature, { headers: { "cache-control": "no-store" } })
    }).pipe(
      Compat.catchAll((error) =>
        Effect.as(
          Effect.logError(`effect-wechat: JS-SDK signature failed: ${error._tag}: ${error.message}`),
          Compat.jsonResponse({ error: error._tag, message: "could not sign the page" }, { status: error._tag === "InvalidArgument" ? 400 : 503, headers: { "cache-control": "no-store" } })
        )
      )
    )
    return [{ path: options.path ?? "/wechat/jssdk-config", handler }]
  }))
