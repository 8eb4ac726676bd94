/**
 * A faithful fake WeChat: every endpoint this library calls, with WeChat's semantics
 * (single-use codes with TTLs, refresh rules, scopes, snapshot users, token rotation with
 * a 5-minute overlap, quotas, errors as HTTP 200 `text/plain` with a rid), plus the
 * consent pages. Time comes from Effect's `Clock`, so `TestClock` drives every expiry.
 *
 * Two ways to run it:
 * - {@link layer}: an in-memory `HttpClient` (no sockets) and the control service;
 * - {@link serve}: a real HTTP server on 127.0.0.1, with the consent pages and an HTTP
 *   control API under `/__fake/`.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Sns, WechatConfig } from "effect-wechat"
 * import { FakeWechat } from "effect-wechat/testing"
 *
 * const program = Effect.gen(function*() {
 *   const fake = yield* FakeWechat.FakeWechat
 *   const user = yield* fake.addUser({ nickname: "小明" })
 *   const code = yield* fake.authorize({ appId: "wx1", userId: user.id, scope: "snsapi_userinfo" })
 *   const token = yield* Sns.exchangeCode(code)
 *   return yield* Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })
 * })
 *
 * program.pipe(Effect.provide(Layer.merge(
 *   FakeWechat.layer({ apps: [{ appId: "wx1", appSecret: "secret1", authorizedDomains: ["example.com"] }] }),
 *   WechatConfig.layer({ appId: "wx1", appSecret: "secret1" })
 * )))
 * ```
 *
 * @since 0.1.0
 */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { RequestError } from "@effect/platform/HttpClientError"
import { Context, Effect, Layer, type Scope } from "effect"
import { webResponse } from "./Cassette.js"
import { Emulator } from "./fake/emulator.js"
import {
  type AppInput,
  type FakeApp,
  type FakeUser,
  FakeWechatError,
  type Fault,
  type FaultSchedule,
  type Options,
  type UserInput
} from "./fake/model.js"
import { type Address, serve as serveEmulator } from "./fake/server.js"

export type {
  /** @since 0.1.0 */
  Address,
  /** @since 0.1.0 */
  AppInput,
  /** @since 0.1.0 */
  FakeApp,
  /** @since 0.1.0 */
  FakeUser,
  /** @since 0.1.0 */
  Fault,
  /** @since 0.1.0 */
  FaultSchedule,
  /** @since 0.1.0 */
  Options,
  /** @since 0.1.0 */
  UserInput
}

export {
  /**
   * A control-API call the fake cannot honour.
   * @since 0.1.0
   * @category errors
   */
  FakeWechatError
}

/**
 * The control service: seed apps and users, issue codes, count calls, inject faults.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Adds (or replaces) an app. */
  readonly addApp: (app: AppInput) => Effect.Effect<FakeApp>
  /** Adds a user; the result carries its `id`. */
  readonly addUser: (user: UserInput) => Effect.Effect<FakeUser>
  /** What the consent page does when the user allows: a fresh code for `redirect_uri`. */
  readonly authorize: (params: {
    readonly appId: string
    readonly userId: string
    readonly scope: "snsapi_base" | "snsapi_userinfo" | "snsapi_login"
  }) => Effect.Effect<string, FakeWechatError>
  /** What `wx.login` returns in a mini program: a fresh `js_code`. */
  readonly miniProgramLogin: (params: { readonly appId: string; readonly userId: string }) => Effect.Effect<string, FakeWechatError>
  /** The user's openid in an app. */
  readonly openid: (params: { readonly appId: string; readonly userId: string }) => Effect.Effect<string, FakeWechatError>
  /** Requests so far to an endpoint path (e.g. `sns/oauth2/access_token`), faults included. */
  readonly callCount: (endpoint: string) => Effect.Effect<number>
  /** Makes the next `times` calls (default 1), or a `probability` of calls, to an endpoint fail. */
  readonly inject: (endpoint: string, fault: Fault & FaultSchedule) => Effect.Effect<void, FakeWechatError>
  readonly clearFaults: Effect.Effect<void>
  /** The caller IP the in-memory client reports, for IP-whitelist tests. */
  readonly setCallerIp: (ip: string) => Effect.Effect<void>
  /** Changes the lifetime (seconds) of tokens issued from now on. */
  readonly setLifetimes: (lifetimes: Partial<Options["lifetimes"]>) => Effect.Effect<void>
  /** @internal */
  readonly emulator: Emulator
}

/**
 * The control service's tag, which also carries the constructors, so that
 * `yield* FakeWechat` gives the control service and `FakeWechat.layer(...)` /
 * `FakeWechat.serve(...)` build the fake.
 *
 * @since 0.1.0
 * @category tags
 */
export class FakeWechat extends Context.Tag("effect-wechat/testing/FakeWechat")<FakeWechat, Service>() {
  /** {@link make} */
  static make(options?: Options): Effect.Effect<Service> {
    return make(options)
  }
  /** {@link layer} */
  static layer(options?: Options): Layer.Layer<FakeWechat | HttpClient.HttpClient> {
    return layer(options)
  }
  /** {@link layerControl} */
  static layerControl(options?: Options): Layer.Layer<FakeWechat> {
    return layerControl(options)
  }
  /** {@link serve} */
  static serve(options?: ServeOptions): Effect.Effect<Address, FakeWechatError, FakeWechat | Scope.Scope> {
    return serve(options)
  }
  /** {@link httpClient} */
  static httpClient(fake: Service): HttpClient.HttpClient {
    return httpClient(fake)
  }
}

/**
 * Types of the fake, reachable as `FakeWechat.Options`, `FakeWechat.Service`, …
 *
 * @since 0.1.0
 */
export declare namespace FakeWechat {
  export type { Address, AppInput, FakeApp, FakeUser, Fault, FaultSchedule, Options, ServeOptions, Service, UserInput }
}

/**
 * Where {@link serve} listens.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServeOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number | undefined
  /** Default 127.0.0.1. */
  readonly host?: string | undefined
}

/**
 * Builds a fake WeChat with its control service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Service> =>
  Effect.sync(() => {
    const emulator = new Emulator(options)
    const user = (userId: string) => {
      const found = emulator.users.get(userId)
      return found === undefined ? Effect.fail(new FakeWechatError({ reason: `unknown user ${userId}` })) : Effect.succeed(found)
    }
    return {
      emulator,
      addApp: (app) => Effect.sync(() => emulator.addApp(app)),
      addUser: (u) => Effect.sync(() => emulator.addUser(u)),
      authorize: ({ appId, scope, userId }) => emulator.issueCode(appId, userId, scope),
      miniProgramLogin: ({ appId, userId }) => emulator.issueJsCode(appId, userId),
      openid: ({ appId, userId }) =>
        emulator.apps.has(appId)
          ? Effect.map(user(userId), (u) => emulator.openidOf(appId, u))
          : Effect.fail(new FakeWechatError({ reason: `unknown app ${appId}` })),
      callCount: (endpoint) => Effect.sync(() => emulator.callCount(endpoint)),
      inject: (endpoint, fault) => {
        const problem = Emulator.checkFault(fault)
        return problem === undefined
          ? Effect.sync(() => emulator.inject(endpoint, fault))
          : Effect.fail(new FakeWechatError({ reason: problem }))
      },
      clearFaults: Effect.sync(() => emulator.clearFaults()),
      setCallerIp: (ip) =>
        Effect.sync(() => {
          emulator.callerIp = ip
        }),
      setLifetimes: (lifetimes) =>
        Effect.sync(() => {
          Object.assign(emulator.lifetimes, lifetimes)
        })
    }
  })

/**
 * An `HttpClient` answered by the fake, in memory. Requests to any host are routed by path.
 *
 * @since 0.1.0
 * @category constructors
 */
export const httpClient = (fake: Service): HttpClient.HttpClient =>
  HttpClient.make((request, url) => {
    const query: Record<string, string> = {}
    url.searchParams.forEach((v, k) => {
      query[k] = v
    })
    const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
    return fake.emulator.handle({ method: request.method, path: url.pathname, query, body, ip: fake.emulator.callerIp }).pipe(
      Effect.flatMap((response) =>
        response._tag === "Reset"
          ? Effect.fail(
            new RequestError({
              request,
              reason: "Transport",
              cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })
            })
          )
          : Effect.succeed(
            HttpClientResponse.fromWeb(
              request,
              webResponse(response.status, response.body, response.headers)
            )
          )
      )
    )
  })

/**
 * The control service only (for {@link serve}).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerControl = (options: Options = {}): Layer.Layer<FakeWechat> => Layer.effect(FakeWechat, make(options))

/**
 * The control service and an in-memory `HttpClient` answered by the fake.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<FakeWechat | HttpClient.HttpClient> =>
  Layer.effectContext(
    Effect.map(make(options), (fake) =>
      Context.make(FakeWechat, fake).pipe(Context.add(HttpClient.HttpClient, httpClient(fake))))
  )

/**
 * Serves the fake over HTTP on `host` (default 127.0.0.1) and `port` (0 picks a free one)
 * until the scope closes: the API endpoints, the consent pages
 * (`/connect/oauth2/authorize`, `/connect/qrconnect`) and the control API (`/__fake/…`).
 * Returns the bound address; point `apiBaseUrl` and `openBaseUrl` at its `url`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const serve = (
  options: ServeOptions = {}
): Effect.Effect<Address, FakeWechatError, FakeWechat | Scope.Scope> =>
  Effect.flatMap(FakeWechat, (fake) => serveEmulator(fake.emulator, options))
