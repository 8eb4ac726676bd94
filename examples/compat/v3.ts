/**
 * The demo's kernel, Effect 3: the server-side APIs the editions spell differently (the
 * router, the Node server and runtime). The demo reaches it, or `./v4.ts` (same names),
 * through `#demo-compat`.
 */
import { HttpRouter, type HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpClient, NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"

export { NodeHttpClient, NodeHttpServer, NodeRuntime }
export { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"

/** A configuration failure. */
export type ConfigError = import("effect/ConfigError").ConfigError

/** Recovers from every failure. */
export const catchAll = Effect.catchAll

/** A layer built by a scoped effect. */
export const unwrapScoped = Layer.unwrapScoped

/** One route of the app's own. */
export interface Route<E, R> {
  readonly method: "GET" | "POST"
  readonly path: HttpRouter.PathInput
  readonly handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest | HttpRouter.RouteContext>
}

/**
 * The app as one effect answering the current request: its own routes, the routers of
 * `WechatLogin` (`mounts`), and `notFound` for anything else.
 */
export const app = <E, R, E1, R1, E2, R2>(
  routes: ReadonlyArray<Route<E, R>>,
  mounts: readonly [HttpRouter.HttpRouter<E1, R1>, HttpRouter.HttpRouter<E2, R2>],
  notFound: HttpServerResponse.HttpServerResponse
): Effect.Effect<Effect.Effect<HttpServerResponse.HttpServerResponse, E | E1 | E2, R | R1 | R2 | HttpServerRequest.HttpServerRequest>> => {
  const own = routes.reduce(
    (router: HttpRouter.HttpRouter<E, R>, route) => HttpRouter.route(route.method)(route.path, route.handler)(router),
    HttpRouter.empty as HttpRouter.HttpRouter<E, R>
  )
  const all = own.pipe(HttpRouter.concat(mounts[0]), HttpRouter.concat(mounts[1]))
  return Effect.succeed(Effect.catchTag(all, "RouteNotFound", () => Effect.succeed(notFound)))
}

/** The port a server listens on. */
export const portOf = (address: { readonly _tag: string }): number => ("port" in address && typeof address.port === "number" ? address.port : 0)

/** Adds a session cookie (`HttpOnly`, `SameSite=Lax`). */
export const setCookie = (name: string, value: string, options: { readonly secure: boolean; readonly path: string }) =>
(response: HttpServerResponse.HttpServerResponse): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeSetCookie(response, name, value, { httpOnly: true, sameSite: "lax", ...options })

/** A router of `WechatLogin`, ready for {@link app} (an Effect 3 router is built by an effect). */
export const mount = <EM, RM, EX, RX>(routes: Effect.Effect<HttpRouter.HttpRouter<EM, RM>, EX, RX>): Effect.Effect<HttpRouter.HttpRouter<EM, RM>, EX, RX> => routes

/** Expires a cookie on a response. */
export const expireCookie = (response: HttpServerResponse.HttpServerResponse, name: string, options: { readonly path: string }): Effect.Effect<HttpServerResponse.HttpServerResponse> =>
  Effect.succeed(HttpServerResponse.expireCookie(response, name, options))
