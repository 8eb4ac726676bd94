/**
 * The demo's kernel, Effect 4: the same names as `./v3.ts`, with `effect/http`'s router (a
 * layer of routes) and `@effect/platform-node` 4.
 */
import { NodeHttpClient, NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, type Scope } from "effect"
import { HttpRouter, type HttpServerRequest, HttpServerResponse } from "effect/http"

export { NodeHttpClient, NodeHttpServer, NodeRuntime }
export { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"

/** A configuration failure. */
export type ConfigError = import("effect/Config").ConfigError

/** Recovers from every failure. */
export const catchAll = Effect.catch

/** A layer built by a scoped effect. */
export const unwrapScoped = Layer.unwrap

/** One route of the app's own. */
export interface Route<E, R> {
  readonly method: "GET" | "POST"
  readonly path: HttpRouter.PathInput
  readonly handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest | HttpRouter.RouteContext>
}

/**
 * The app as one effect answering the current request: its own routes, the routers of
 * `WechatLogin` (`mounts`, layers of routes), and `notFound` for anything else.
 */
export const app = <E, R, EX, RX, EY, RY>(
  routes: ReadonlyArray<Route<E, R>>,
  mounts: readonly [Layer.Layer<never, EX, RX>, Layer.Layer<never, EY, RY>],
  notFound: HttpServerResponse.HttpServerResponse
) =>
  HttpRouter.toHttpEffect(
    Layer.mergeAll(
      HttpRouter.addAll(routes.map((route) => HttpRouter.route(route.method, route.path, route.handler))),
      HttpRouter.add("*", "*", notFound),
      mounts[0],
      mounts[1]
    )
  ) satisfies Effect.Effect<unknown, unknown, unknown> as Effect.Effect<
    Effect.Effect<HttpServerResponse.HttpServerResponse, unknown, HttpServerRequest.HttpServerRequest | Scope.Scope>,
    EX | EY,
    Scope.Scope
  >

/** The port a server listens on. */
export const portOf = (address: { readonly _tag: string }): number => ("port" in address && typeof address.port === "number" ? address.port : 0)

/** Adds a session cookie (`HttpOnly`, `SameSite=Lax`). */
export const setCookie = (name: string, value: string, options: { readonly secure: boolean; readonly path: string }) =>
(response: HttpServerResponse.HttpServerResponse): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.setCookieUnsafe(response, name, value, { httpOnly: true, sameSite: "lax", ...options })

/** A router of `WechatLogin`, ready for {@link app} (an Effect 4 router is a layer already). */
export const mount = <EX, RX>(routes: Layer.Layer<never, EX, RX>): Effect.Effect<Layer.Layer<never, EX, RX>> => Effect.succeed(routes)

/** Expires a cookie on a response (the name is the app's own, so it cannot be malformed). */
export const expireCookie = (response: HttpServerResponse.HttpServerResponse, name: string, options: { readonly path: string }): Effect.Effect<HttpServerResponse.HttpServerResponse> =>
  Effect.orDie(HttpServerResponse.expireCookie(response, name, options))
