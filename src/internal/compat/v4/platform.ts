/**
 * The Effect 4 kernel, part: the platform modules: HTTP client and server, file system, key-value store (see `../v4.ts`).
 *
 * @since 0.3.0
 */
import {
  Duration,
  Effect,
  FileSystem,
  Layer,
  Option,
  Path
} from "effect"
import {
  FetchHttpClient,
  HttpClient,
  HttpClientRequest,
  HttpClientResponse,
  HttpRouter,
  HttpServerRequest,
  HttpServerResponse
} from "effect/http"
import { HttpClientError as HttpClientErrorClass, TransportError } from "effect/http/HttpClientError"
import { KeyValueStore } from "effect/persistence"
import type { PlatformError as PlatformErrorType } from "effect/PlatformError"

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
 * A failure of the HTTP client (`HttpClientError` with a `reason` in Effect 4).
 *
 * @since 0.3.0
 * @category http
 */
export type ClientError = HttpClientErrorClass

/**
 * A failure reading a response body.
 *
 * @since 0.3.0
 * @category http
 */
export type ResponseError = HttpClientErrorClass

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
export const bodyJson = (request: HttpClientRequest.HttpClientRequest, body: unknown): HttpClientRequest.HttpClientRequest =>
  HttpClientRequest.bodyJsonUnsafe(request, body)

const tracerOff = () => true

/**
 * The client without its own span (which would record the query string, secrets included).
 *
 * @since 0.3.0
 * @category http
 */
export const untracedClient = <E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> =>
  HttpClient.transformResponse(client, (response) => Effect.provideService(response, HttpClient.TracerDisabledWhen, tracerOff))

const reasonNames: Record<string, string> = {
  TransportError: "Transport",
  EncodeError: "Encode",
  InvalidUrlError: "InvalidUrl",
  StatusCodeError: "StatusCode",
  DecodeError: "Decode",
  EmptyBodyError: "EmptyBody"
}

const beforeSending = new Set(["TransportError", "EncodeError", "InvalidUrlError"])

/**
 * What a client failure says, in one shape for both editions (see the Effect 3 kernel).
 *
 * @since 0.3.0
 * @category http
 */
export const clientErrorInfo = (error: ClientError): { readonly beforeSending: boolean; readonly reason: string; readonly cause: unknown } => ({
  beforeSending: beforeSending.has(error.reason._tag),
  reason: reasonNames[error.reason._tag] ?? error.reason._tag,
  cause: error.reason.cause
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
  Effect.catchIf(self, (e): e is Extract<E, ClientError> => e instanceof HttpClientErrorClass, (e) => f(e)) as Effect.Effect<
    A | A2,
    Exclude<E, ClientError> | E2,
    R | R2
  >

/**
 * A transport failure of `request` (a reset connection, for the fake).
 *
 * @since 0.3.0
 * @category http
 */
export const transportError = (request: HttpClientRequest.HttpClientRequest, cause: unknown): ClientError =>
  new HttpClientErrorClass({ reason: new TransportError({ request, cause }) })

/**
 * Whether a file-system failure is "no such file".
 *
 * @since 0.3.0
 * @category platform
 */
export const isNotFound = (error: PlatformError): boolean => error.reason._tag === "NotFound"

/**
 * A key-value store's entry, if any.
 *
 * @since 0.3.0
 * @category platform
 */
export const kvGet = (store: KeyValueStore.KeyValueStore, key: string): Effect.Effect<Option.Option<string>, KeyValueStore.KeyValueStoreError> =>
  Effect.map(store.get(key), Option.fromUndefinedOr)

/**
 * A JSON response (the body is plain JSON, so it cannot fail).
 *
 * @since 0.3.0
 * @category http server
 */
export const jsonResponse: (body: unknown, options?: HttpServerResponse.Options.WithContentType) => HttpServerResponse.HttpServerResponse =
  HttpServerResponse.jsonUnsafe

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
): HttpServerResponse.HttpServerResponse => HttpServerResponse.setCookieUnsafe(response, name, value, options)

/**
 * Whether a value is a server response.
 *
 * @since 0.3.0
 * @category http server
 */
export const isServerResponse: (u: unknown) => u is HttpServerResponse.HttpServerResponse = HttpServerResponse.isHttpServerResponse

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
 * The edition's router, built by an effect that may fail with `EX`: in Effect 4 a layer
 * that adds the routes to the app's `HttpRouter` (merge it into the app's routes, then
 * `HttpRouter.serve`).
 *
 * @since 0.3.0
 * @category http server
 */
export type Routes<E, R, EX> = Layer.Layer<
  never,
  EX,
  HttpRouter.HttpRouter | HttpRouter.Request.From<"Requires", Exclude<R, HttpRouter.Provided>> | HttpRouter.Request.From<"Error", E>
>

/**
 * Builds the edition's router from GET routes.
 *
 * @since 0.3.0
 * @category http server
 */
export const routes = <E, R, EX>(make: Effect.Effect<ReadonlyArray<Route<E, R>>, EX>): Routes<E, R, EX> =>
  HttpRouter.addAll(Effect.map(make, (list) => list.map((route) => HttpRouter.route("GET", route.path, route.handler)))) as Routes<E, R, EX>
