/**
 * The Effect 3 kernel, part: the platform modules: HTTP client and server, file system, key-value store (see `../v3.ts`).
 *
 * @since 0.3.0
 */
import {
  FetchHttpClient,
  FileSystem,
  HttpClient,
  HttpClientRequest,
  HttpClientResponse,
  HttpRouter,
  HttpServerRequest,
  HttpServerResponse,
  KeyValueStore,
  Path
} from "@effect/platform"
import type { PlatformError as PlatformErrorType } from "@effect/platform/Error"
import { RequestError } from "@effect/platform/HttpClientError"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import { Duration, Effect, Option } from "effect"

// ---------------------------------------------------------------------------------------
// Platform modules: @effect/platform in Effect 3, effect/http and friends in Effect 4
// ---------------------------------------------------------------------------------------

export {
  /** @since 0.3.0 */
  FetchHttpClient,
  /** @since 0.3.0 */
  FileSystem,
  /** @since 0.3.0 */
  HttpClient,
  /** @since 0.3.0 */
  HttpClientRequest,
  /** @since 0.3.0 */
  HttpClientResponse,
  /** @since 0.3.0 */
  HttpRouter,
  /** @since 0.3.0 */
  HttpServerRequest,
  /** @since 0.3.0 */
  HttpServerResponse,
  /** @since 0.3.0 */
  KeyValueStore,
  /** @since 0.3.0 */
  Path
}

/**
 * A failure of the HTTP client (`RequestError | ResponseError` in Effect 3).
 *
 * @since 0.3.0
 * @category http
 */
export type ClientError = HttpClientError.HttpClientError

/**
 * A failure reading a response body.
 *
 * @since 0.3.0
 * @category http
 */
export type ResponseError = HttpClientError.ResponseError

/**
 * A file-system failure.
 *
 * @since 0.3.0
 * @category platform
 */
export type PlatformError = PlatformErrorType

/**
 * Sets a JSON body (never fails for plain JSON values).
 *
 * @since 0.3.0
 * @category http
 */
export const bodyJson: (request: HttpClientRequest.HttpClientRequest, body: unknown) => HttpClientRequest.HttpClientRequest =
  HttpClientRequest.bodyUnsafeJson

/**
 * The client without its own span (which would record the query string, secrets included).
 *
 * @since 0.3.0
 * @category http
 */
export const untracedClient = <E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> => HttpClient.withTracerDisabledWhen(client, () => true)

/**
 * What a client failure says, in one shape for both editions: `beforeSending` when the
 * request failed before (or while) it was sent, `reason` as Effect 3 names it (`Transport`,
 * `Encode`, `InvalidUrl`, `StatusCode`, `Decode`, `EmptyBody`).
 *
 * @since 0.3.0
 * @category http
 */
export const clientErrorInfo = (error: ClientError): { readonly beforeSending: boolean; readonly reason: string; readonly cause: unknown } => ({
  beforeSending: error._tag === "RequestError",
  reason: error.reason,
  cause: error.cause
})

/**
 * Recovers from any client failure.
 *
 * @since 0.3.0
 * @category http
 */
export const catchClientError = <A, E, R, A2, E2, R2>(
  self: Effect.Effect<A, E, R>,
  f: (error: ClientError) => Effect.Effect<A2, E2, R2>
): Effect.Effect<A | A2, Exclude<E, ClientError> | E2, R | R2> =>
  Effect.catchIf(self, (e): e is Extract<E, ClientError> => isClientError(e), (e) => f(e)) as Effect.Effect<A | A2, Exclude<E, ClientError> | E2, R | R2>

const isClientError = (u: unknown): u is ClientError =>
  typeof u === "object" && u !== null && "_tag" in u && (u._tag === "RequestError" || u._tag === "ResponseError") && "request" in u

/**
 * A transport failure of `request` (a reset connection, for the fake).
 *
 * @since 0.3.0
 * @category http
 */
export const transportError = (request: HttpClientRequest.HttpClientRequest, cause: unknown): ClientError =>
  new RequestError({ request, reason: "Transport", cause })

/**
 * Whether a file-system failure is "no such file".
 *
 * @since 0.3.0
 * @category platform
 */
export const isNotFound = (error: PlatformError): boolean => error._tag === "SystemError" && error.reason === "NotFound"

/**
 * A key-value store's entry, if any.
 *
 * @since 0.3.0
 * @category platform
 */
export const kvGet = (store: KeyValueStore.KeyValueStore, key: string): Effect.Effect<Option.Option<string>, PlatformError> => store.get(key)

/**
 * A JSON response (the body is plain JSON, so it cannot fail).
 *
 * @since 0.3.0
 * @category http server
 */
export const jsonResponse: (body: unknown, options?: HttpServerResponse.Options.WithContentType) => HttpServerResponse.HttpServerResponse =
  HttpServerResponse.unsafeJson

/**
 * Adds a `Set-Cookie` (the name and value are already checked).
 *
 * @since 0.3.0
 * @category http server
 */
export const setCookie = (
  response: HttpServerResponse.HttpServerResponse,
  name: string,
  value: string,
  options: { readonly httpOnly: boolean; readonly secure: boolean; readonly sameSite: "lax"; readonly path: string; readonly maxAge: Duration.Duration }
): HttpServerResponse.HttpServerResponse => HttpServerResponse.unsafeSetCookie(response, name, value, options)

/**
 * Whether a value is a server response.
 *
 * @since 0.3.0
 * @category http server
 */
export const isServerResponse: (u: unknown) => u is HttpServerResponse.HttpServerResponse = HttpServerResponse.isServerResponse

/**
 * A route's path.
 *
 * @since 0.3.0
 * @category http server
 */
export type RoutePath = HttpRouter.PathInput

/**
 * A GET route: its path and its handler.
 *
 * @since 0.3.0
 * @category http server
 */
export interface Route<E, R> {
  readonly path: RoutePath
  readonly handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest>
}

/**
 * The edition's router, built by an effect that may fail with `EX`: in Effect 3 an effect
 * that makes an `HttpRouter` (mount it with `HttpRouter.concat`, or serve it).
 *
 * @since 0.3.0
 * @category http server
 */
export type Routes<E, R, EX> = Effect.Effect<HttpRouter.HttpRouter<E, R>, EX>

/**
 * Builds the edition's router from GET routes.
 *
 * @since 0.3.0
 * @category http server
 */
export const routes = <E, R, EX>(make: Effect.Effect<ReadonlyArray<Route<E, R>>, EX>): Routes<E, R, EX> =>
  Effect.map(make, (list) =>
    list.reduce(
      (router: HttpRouter.HttpRouter<E, R>, route) => HttpRouter.get(router, route.path, route.handler),
      HttpRouter.empty as HttpRouter.HttpRouter<E, R>
    ))
