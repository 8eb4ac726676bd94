/**
 * A faithful fake WeChat: every endpoint this library calls, with WeChat's semantics
 * (app kinds and permissions, single-use codes with TTLs, refresh rules, scopes, snapshot
 * users, token rotation with a 5-minute overlap, quotas, errors as HTTP 200 `text/plain`
 * with a rid), the mini program's phone codes, session keys (replaced by `wx.login`,
 * checked by `wxa/checksession`) and encrypted open data, plus the consent pages and a
 * two-device QR login. Time comes from Effect's `Clock` (plus an offset the control API
 * can advance), so `TestClock` drives every expiry.
 *
 * Ways to run it:
 * - {@link layerTest}: the fake, a matching `WechatConfig` and an in-memory `HttpClient` in
 *   one layer, for `it.layer`;
 * - {@link layerServer}: the same over a real loopback server, its address as {@link ServerAddress};
 * - {@link layer} / {@link serve}: the pieces, to wire yourself.
 *
 * @example
 * ```ts
 * import { expect, it } from "@effect/vitest"
 * import { Effect } from "effect"
 * import { Sns } from "effect-wechat"
 * import { FakeWechat } from "effect-wechat/testing"
 *
 * it.layer(FakeWechat.layerTest())((it) => {
 *   it.effect("logs in", () =>
 *     Effect.gen(function*() {
 *       const fake = yield* FakeWechat
 *       const user = yield* fake.addUser({ nickname: "小明" })
 *       const code = yield* fake.authorize({ appId: FakeWechat.testApp.appId, userId: user.id, scope: "snsapi_userinfo" })
 *       const token = yield* Sns.exchangeCode(code)
 *       const profile = yield* Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })
 *       expect(profile.nickname).toBe("小明")
 *     }))
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Compat from "#compat"
import { FetchHttpClient, HttpClient, HttpClientResponse } from "#compat"
import { Context, Effect, Layer, type Scope } from "effect"
import * as WechatConfig from "../WechatConfig.js"
import { webResponse } from "./Cassette.js"
import type { ConsentResult } from "./fake/consent.js"
import type { CodeKind, Emulator } from "./fake/emulator.js"
import type { OpenDataKind } from "./fake/miniprogram.js"
import {
  type AppInput,
  type AppKind,
  type FakeApp,
  type FakeUser,
  FakeWechatError,
  type Fault,
  type FaultSchedule,
  type Lifetimes,
  type Options,
  type Quotas,
  type Scope as WebScope,
  type UserInput
} from "./fake/model.js"
import { type Address, serve as serveFake } from "./fake/server.js"
import { make as makeService } from "./fake/service.js"
import { untilAborted } from "./internal/signal.js"

export type {
  /** @since 0.1.0 */
  Address,
  /** @since 0.1.0 */
  AppInput,
  /** @since 0.2.0 @category models */
  AppKind,
  /** @since 0.2.0 @category models */
  CodeKind,
  /** @since 0.2.0 @category models */
  ConsentResult,
  /** @since 0.1.0 */
  FakeApp,
  /** @since 0.1.0 */
  FakeUser,
  /** @since 0.1.0 */
  Fault,
  /** @since 0.1.0 */
  FaultSchedule,
  /** @since 0.2.0 @category models */
  Lifetimes,
  /** @since 0.2.0 @category models */
  OpenDataKind,
  /** @since 0.1.0 */
  Options,
  /** @since 0.2.0 @category models */
  Quotas,
  /** @since 0.1.0 */
  UserInput,
  /** @since 0.2.0 @category models */
  WebScope
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
 * Everything the fake holds, as {@link Service.state} and `GET /__fake/state` return it.
 *
 * @since 0.2.0
 * @category models
 */
export interface FakeState {
  /** The fake's time (epoch millis): Effect's clock plus `clockOffsetMillis`. */
  readonly now: number
  readonly clockOffsetMillis: number
  readonly callerIp: string
  /** The apps, without their secrets. */
  readonly apps: ReadonlyArray<Omit<FakeApp, "appSecret">>
  readonly users: ReadonlyArray<FakeUser>
  readonly codes: ReadonlyArray<{
    readonly code: string
    readonly kind: CodeKind
    readonly appId: string
    readonly userId: string
    readonly scope: WebScope
    readonly snapshot: boolean
    readonly expiresAt: number
    readonly used: boolean
  }>
  readonly qrLogins: ReadonlyArray<{
    readonly uuid: string
    readonly appId: string
    readonly status: "waiting" | "scanned" | "confirmed" | "cancelled" | "expired"
    readonly userId: string | undefined
    readonly expiresAt: number
  }>
  /** JS-SDK tickets issued by `cgi-bin/ticket/getticket`. */
  readonly tickets: ReadonlyArray<{ readonly appId: string; readonly type: string; readonly ticket: string; readonly expiresAt: number }>
  /** Requests per endpoint path. */
  readonly calls: Readonly<Record<string, number>>
  readonly faults: ReadonlyArray<{
    readonly endpoint: string
    readonly fault: Fault
    readonly remaining: number | undefined
    readonly probability: number | undefined
  }>
  readonly lifetimes: Lifetimes
  readonly quotas: Quotas
}

/**
 * The control service: seed apps and users, issue codes, decide consents, count calls,
 * inject faults, move the clock, read the state. The HTTP control API (`/__fake/…`) has a
 * route for each.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Adds (or replaces) an app; fails for a setup WeChat would not take (e.g. `x.x.x.*` for an official account). */
  readonly addApp: (app: AppInput) => Effect.Effect<FakeApp, FakeWechatError>
  /** Adds a user; the result carries its `id`. */
  readonly addUser: (user: UserInput) => Effect.Effect<FakeUser>
  /**
   * The code a consent page sends when the user allows (`snsapi_login` = QR login), after
   * the page's checks of the app's kind and scopes (10016, 10005, …).
   */
  readonly authorize: (params: {
    readonly appId: string
    readonly userId: string
    readonly scope: WebScope
  }) => Effect.Effect<string, FakeWechatError>
  /** What `wx.login` returns in a mini-program: a fresh `js_code`. */
  readonly miniProgramLogin: (params: { readonly appId: string; readonly userId: string }) => Effect.Effect<string, FakeWechatError>
  /** The user's openid in an app. */
  readonly openid: (params: { readonly appId: string; readonly userId: string }) => Effect.Effect<string, FakeWechatError>
  /**
   * What `<button open-type="getPhoneNumber">` hands a mini program when the user shares
   * their number: a code for `wxa/business/getuserphonenumber` (single-use, 5 minutes).
   * @since 0.2.0
   */
  readonly phoneCode: (params: { readonly appId: string; readonly userId: string }) => Effect.Effect<string, FakeWechatError>
  /**
   * Open data as a mini program receives it (`wx.getUserInfo`, the legacy phone button,
   * `wx.getWeRunData`, `wx.getShareInfo`, or any JSON object): encrypted with the user's
   * current session_key (so after a `miniProgramLogin`), a watermark appended unless
   * `watermark: false` or the object brings its own.
   * @since 0.2.0
   */
  readonly encryptedData: (params: {
    readonly appId: string
    readonly userId: string
    readonly data: OpenDataKind | Readonly<Record<string, unknown>>
    readonly watermark?: boolean | undefined
  }) => Effect.Effect<{ readonly encryptedData: string; readonly iv: string }, FakeWechatError>
  /**
   * A user's decision on a consent link (as `Sns.authorizeUrl` / `Sns.qrConnectUrl` build
   * it), without a browser: the link is checked as the page checks it, then the result is
   * where the browser would go (`location`; none for a denied QR login) and how many times.
   * @since 0.2.0
   */
  readonly consent: (params: {
    readonly url: string
    readonly decision: "allow" | "deny"
    readonly userId?: string | undefined
    readonly duplicateCallback?: boolean | undefined
  }) => Effect.Effect<ConsentResult, FakeWechatError>
  /**
   * The phone's answer to a QR login a PC page shows (its `uuid` is in {@link FakeState}'s
   * `qrLogins`); the PC page then follows.
   * @since 0.2.0
   */
  readonly answerQrLogin: (params: {
    readonly uuid: string
    readonly decision: "allow" | "deny"
    readonly userId?: string | undefined
    readonly duplicateCallback?: boolean | undefined
  }) => Effect.Effect<{ readonly status: string; readonly location: string | undefined; readonly deliveries: 1 | 2 }, FakeWechatError>
  /**
   * The user withdraws the app's authorization in WeChat: `sns/userinfo` answers 50001
   * (user unauthorized) until their next consent.
   * @since 0.2.0
   */
  readonly revokeConsent: (params: { readonly appId: string; readonly userId: string }) => Effect.Effect<void, FakeWechatError>
  /** Requests so far to an endpoint path (e.g. `sns/oauth2/access_token`), faults included. */
  readonly callCount: (endpoint: string) => Effect.Effect<number>
  /** Makes the next `times` calls (default 1), or a `probability` of calls, to an endpoint fail. */
  readonly inject: (endpoint: string, fault: Fault & FaultSchedule) => Effect.Effect<void, FakeWechatError>
  readonly clearFaults: Effect.Effect<void>
  /** The caller IP the in-memory client reports, for IP-whitelist tests. */
  readonly setCallerIp: (ip: string) => Effect.Effect<void>
  /** Changes the lifetime (seconds) of what is issued from now on. */
  readonly setLifetimes: (lifetimes: { readonly [K in keyof Lifetimes]?: number | undefined }) => Effect.Effect<void>
  /**
   * Changes call limits (per day, per minute, per minute and user), by endpoint path.
   * @since 0.2.0
   */
  readonly setQuotas: (quotas: { readonly [K in keyof Quotas]?: Quotas[K] | undefined }) => Effect.Effect<void>
  /**
   * Moves the fake's clock forward (on top of Effect's clock, so `TestClock` still works):
   * the way to expire codes and tokens from outside the process.
   * @since 0.2.0
   */
  readonly advanceClock: (duration: Compat.DurationInput) => Effect.Effect<void>
  /**
   * The fake's time, epoch millis.
   * @since 0.2.0
   */
  readonly now: Effect.Effect<number>
  /**
   * Everything the fake holds.
   * @since 0.2.0
   */
  readonly state: Effect.Effect<FakeState>
  /** @internal */
  readonly emulator: Emulator
}

/**
 * The address of {@link layerServer}'s server.
 *
 * @since 0.2.0
 * @category tags
 */
export class ServerAddress extends Compat.Tag<ServerAddress, Address>()("effect-wechat/testing/FakeWechat/Address") {}

/**
 * The app {@link layerTest} and {@link layerServer} seed when `apps` is empty: every kind
 * (so H5, QR and mini-program logins all work), verified, bound to an open platform,
 * authorized for `example.com` and `127.0.0.1` on their default ports (under
 * {@link layerServer}, also the server's own `127.0.0.1:port`).
 *
 * @since 0.2.0
 * @category constructors
 */
export const testApp = {
  appId: "wx0000000000000015",
  appSecret: "fake-test-secret-00000000000000001",
  authorizedDomains: ["example.com", "127.0.0.1"],
  openPlatform: true,
  name: "FakeWechat test app"
} as const satisfies AppInput

/**
 * The control service's tag, which also carries the constructors, so that
 * `yield* FakeWechat` gives the control service and `FakeWechat.layerTest(...)` /
 * `FakeWechat.serve(...)` build the fake.
 *
 * @since 0.1.0
 * @category tags
 */
export class FakeWechat extends Compat.Tag<FakeWechat, Service>()("effect-wechat/testing/FakeWechat") {
  /** {@link ServerAddress}: `yield* FakeWechat.Address` under {@link layerServer}. */
  static readonly Address = ServerAddress
  /** {@link testApp} */
  static readonly testApp = testApp
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
  /** {@link layerTest} */
  static layerTest(options?: TestOptions): Layer.Layer<FakeWechat | WechatConfig.WechatConfig | HttpClient.HttpClient> {
    return layerTest(options)
  }
  /** {@link layerServer} */
  static layerServer(
    options?: TestOptions & ServeOptions
  ): Layer.Layer<FakeWechat | ServerAddress | WechatConfig.WechatConfig | HttpClient.HttpClient, FakeWechatError> {
    return layerServer(options)
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
  export type Address = import("./fake/server.js").Address
  export type {
    AppInput,
    AppKind,
    CodeKind,
    ConsentResult,
    FakeApp,
    FakeState,
    FakeUser,
    Fault,
    FaultSchedule,
    Lifetimes,
    OpenDataKind,
    Options,
    Quotas,
    ServeOptions,
    Service,
    TestOptions,
    UserInput,
    WebScope
  }
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
  /**
   * Default 127.0.0.1. A host that is not loopback (a container's `0.0.0.0`) logs a
   * warning: whoever reaches it can use the fake, control API included. On loopback the
   * control API answers only requests addressed to a loopback name.
   */
  readonly host?: string | undefined
}

/**
 * Options of {@link layerTest} and {@link layerServer}: the fake's, plus the client's
 * settings other than the app's credentials (which come from the first seeded app).
 *
 * @since 0.2.0
 * @category models
 */
export interface TestOptions extends Options {
  readonly config?: Omit<WechatConfig.Options, "appId" | "appSecret"> | undefined
}

/**
 * Builds a fake WeChat with its control service. Seeds WeChat would refuse (an unknown
 * kind, `x.x.x.*` in an official account's whitelist) are defects.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Service> => makeService(options)

/**
 * An `HttpClient` answered by the fake, in memory. Requests to any host are routed by path.
 *
 * @since 0.1.0
 * @category constructors
 */
export const httpClient = (fake: Service): HttpClient.HttpClient =>
  HttpClient.make((request, url, signal) => {
    const query: Record<string, string> = {}
    url.searchParams.forEach((v, k) => {
      query[k] = v
    })
    const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
    const answer = fake.emulator.handle({ method: request.method, path: url.pathname, query, body, ip: fake.emulator.callerIp, origin: url.origin }).pipe(
      Effect.flatMap((response) =>
        response._tag === "Reset"
          ? Effect.fail(Compat.transportError(request, Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })))
          : Effect.succeed(
            HttpClientResponse.fromWeb(
              request,
              webResponse(response.status, response.body, response.headers)
            )
          )
      )
    )
    return untilAborted(answer, signal, request)
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
 * (`/connect/oauth2/authorize`, `/connect/qrconnect` with its QR code) and the control API
 * (`/__fake/…`; `GET /__fake/` lists it). Returns the bound address; point `apiBaseUrl`
 * and `openBaseUrl` at its `url`. The control API refuses (403) a browser request whose
 * `Origin` is not the host it was sent to and, bound to loopback (the default), a request
 * whose `Host` is not a loopback name (`127.0.0.1`, `localhost`, `[::1]`); a `host` that
 * is not loopback logs a warning.
 *
 * @since 0.1.0
 * @category constructors
 */
export const serve = (
  options: ServeOptions = {}
): Effect.Effect<Address, FakeWechatError, FakeWechat | Scope.Scope> =>
  Effect.flatMap(FakeWechat, (fake) => serveFake(fake, options))

const seeded = (options: TestOptions): ReadonlyArray<AppInput> =>
  options.apps !== undefined && options.apps.length > 0 ? options.apps : [testApp]

/** The client's configuration for the first seeded app. */
const configFor = (options: TestOptions, app: AppInput, urls: { readonly apiBaseUrl?: string; readonly openBaseUrl?: string }) =>
  Effect.orDie(WechatConfig.make({ ...options.config, ...urls, appId: app.appId, appSecret: app.appSecret }))

/**
 * The fake, a `WechatConfig` for its first seeded app ({@link testApp} when `apps` is
 * empty) and an in-memory `HttpClient` answered by the fake, in one layer: for
 * `@effect/vitest`'s `it.layer(FakeWechat.layerTest())`, or `Effect.provide`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerTest = (options: TestOptions = {}): Layer.Layer<FakeWechat | WechatConfig.WechatConfig | HttpClient.HttpClient> =>
  Layer.effectContext(Effect.gen(function*() {
    const apps = seeded(options)
    const fake = yield* make({ ...options, apps })
    const config = yield* configFor(options, apps[0]!, {})
    return Context.make(FakeWechat, fake).pipe(
      Context.add(HttpClient.HttpClient, httpClient(fake)),
      Context.add(WechatConfig.WechatConfig, config)
    )
  }))

/**
 * {@link layerTest} over a real server on loopback (`port` 0, the default, picks a free
 * one): the fake, its address ({@link ServerAddress}, also `FakeWechat.Address`), a
 * `WechatConfig` for the first seeded app pointing both base URLs at the server, and
 * `fetch`'s `HttpClient`. When `apps` is empty, {@link testApp} is seeded with the
 * server's own `127.0.0.1:port` among its authorized domains. The server stops with the
 * layer's scope.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerServer = (
  options: TestOptions & ServeOptions = {}
): Layer.Layer<FakeWechat | ServerAddress | WechatConfig.WechatConfig | HttpClient.HttpClient, FakeWechatError> =>
  Compat.unwrapScoped(Effect.gen(function*() {
    const apps = seeded(options)
    const fake = yield* make({ ...options, apps })
    const address = yield* serveFake(fake, options)
    if (options.apps === undefined || options.apps.length === 0) {
      yield* Effect.orDie(fake.addApp({ ...testApp, authorizedDomains: [...testApp.authorizedDomains, `127.0.0.1:${address.port}`] }))
    }
    const config = yield* configFor(options, apps[0]!, { apiBaseUrl: address.url, openBaseUrl: address.url })
    return Layer.succeedContext(
      Context.make(FakeWechat, fake).pipe(Context.add(ServerAddress, address), Context.add(WechatConfig.WechatConfig, config))
    ).pipe(Layer.merge(FetchHttpClient.layer))
  }))
