/**
 * The Effect 3 kernel: every API the two editions spell differently, in Effect 3's
 * spelling (`effect` 3 + `@effect/platform`). The shared sources reach it, or the Effect 4
 * kernel (`./v4.ts`, same names), through the one specifier `#compat` (package.json
 * `imports`), so that no file outside the two kernels depends on an edition.
 *
 * Rules (docs/effect4.md, "The kernel"): a name here exists in both kernels with the same
 * meaning and, where it is a type in a public signature, each edition's own idiom (`Either`
 * here, `Result` there); nothing here holds behaviour beyond the spelling.
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
import {
  Cause,
  Clock,
  Config as Config_,
  Context,
  Deferred,
  Duration,
  Effect,
  Either,
  type Fiber,
  Layer,
  Option,
  ParseResult,
  Runtime,
  Schedule,
  Schema,
  type Scope,
  type Tracer
} from "effect"

/**
 * Which edition this is.
 *
 * @since 0.3.0
 * @category edition
 */
export const edition = "v3" as const

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
export const untracedClient = (client: HttpClient.HttpClient): HttpClient.HttpClient => HttpClient.withTracerDisabledWhen(client, () => true)

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

// ---------------------------------------------------------------------------------------
// Services
// ---------------------------------------------------------------------------------------

/**
 * A service class: `class X extends Tag<X, Shape>()("key") {}` (`Context.Tag` in Effect 3,
 * `Context.Service` in Effect 4).
 *
 * @since 0.3.0
 * @category services
 */
export const Tag = <Self, Shape>() => <const Id extends string>(key: Id): Context.TagClass<Self, Id, Shape> => Context.Tag(key)<Self, Shape>()

/**
 * A service with a default: `class X extends Reference<X, Shape>()("key", { defaultValue }) {}`.
 *
 * @since 0.3.0
 * @category services
 */
export const Reference = <Self, Shape>() =>
<const Id extends string>(key: Id, options: { readonly defaultValue: () => Shape }): Context.ReferenceClass<Self, Id, Shape> =>
  Context.Reference<Self>()(key, options)

/**
 * What a layer of a {@link Reference} provides, as a type: the class itself in Effect 3,
 * `never` in Effect 4 (a reference is never required).
 *
 * @since 0.3.0
 * @category services
 */
export type RefId<Self> = Self

// ---------------------------------------------------------------------------------------
// Effect
// ---------------------------------------------------------------------------------------

/**
 * Recovers from every failure (`Effect.catchAll` / `Effect.catch`).
 *
 * @since 0.3.0
 * @category effect
 */
export const catchAll = Effect.catchAll

/**
 * The effect's outcome as a {@link Result}.
 *
 * @since 0.3.0
 * @category effect
 */
export const result: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<Result<A, E>, never, R> = Effect.either

/**
 * Fails with `onTimeout()` when `self` takes longer than `duration`.
 *
 * @since 0.3.0
 * @category effect
 */
export const timeoutFail = <A, E, R, E2>(
  self: Effect.Effect<A, E, R>,
  options: { readonly duration: DurationInput; readonly onTimeout: () => E2 }
): Effect.Effect<A, E | E2, R> => Effect.timeoutFail(self, options)

/**
 * Forks a child of the current fiber.
 *
 * @since 0.3.0
 * @category effect
 */
export const fork: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<RuntimeFiber<A, E>, never, R> = Effect.fork

/**
 * Forks a fiber that outlives its parent (`forkDaemon` / `forkDetach`).
 *
 * @since 0.3.0
 * @category effect
 */
export const forkDetach: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<RuntimeFiber<A, E>, never, R> = Effect.forkDaemon

/**
 * An effect completed by a callback (`Effect.async` / `Effect.callback`); the returned
 * effect, if any, runs when the waiting fiber is interrupted.
 *
 * @since 0.3.0
 * @category effect
 */
export const callback = <A, E = never, R = never>(
  register: (resume: (effect: Effect.Effect<A, E, R>) => void) => void | Effect.Effect<void, never, R>
): Effect.Effect<A, E, R> => Effect.async<A, E, R>((resume) => register(resume))

/**
 * A layer from an effect that needs a `Scope` (released with the layer).
 *
 * @since 0.3.0
 * @category layers
 */
export const layerScoped = <I, S, E, R>(tag: Context.Tag<I, S>, effect: Effect.Effect<S, E, R>): Layer.Layer<I, E, Exclude<R, Scope.Scope>> =>
  Layer.scoped(tag, effect)

/**
 * A layer from an effect that builds one, within a `Scope`.
 *
 * @since 0.3.0
 * @category layers
 */
export const unwrapScoped: <A, E1, R1, E, R>(self: Effect.Effect<Layer.Layer<A, E1, R1>, E, R>) => Layer.Layer<A, E | E1, R1 | Exclude<R, Scope.Scope>> =
  Layer.unwrapScoped

/**
 * A function that runs effects with the current context, from outside Effect (a Node
 * callback), returning their fibers.
 *
 * @since 0.3.0
 * @category effect
 */
export const runner = <R = never>(): Effect.Effect<<A, E>(effect: Effect.Effect<A, E, R>) => RuntimeFiber<A, E>, never, R> =>
  Effect.map(Effect.runtime<R>(), (runtime) => Runtime.runFork(runtime))

/**
 * The first failure of a cause, if it has one.
 *
 * @since 0.3.0
 * @category effect
 */
export const failureOption: <E>(cause: Cause.Cause<E>) => Option.Option<E> = Cause.failureOption

// ---------------------------------------------------------------------------------------
// Fibers: the hot paths read their services from the running fiber in one step
// ---------------------------------------------------------------------------------------

/**
 * A running fiber.
 *
 * @since 0.3.0
 * @category fibers
 */
export type RuntimeFiber<A, E> = Fiber.RuntimeFiber<A, E>

/**
 * The fiber that runs the effect `f` returns (`Effect.withFiberRuntime` / `Effect.withFiber`).
 *
 * @since 0.3.0
 * @category fibers
 */
export const withFiber = <A, E = never, R = never>(f: (fiber: RuntimeFiber<unknown, unknown>) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => f(fiber as RuntimeFiber<unknown, unknown>))

/**
 * The services a fiber runs with.
 *
 * @since 0.3.0
 * @category fibers
 */
export const fiberContext = (fiber: RuntimeFiber<unknown, unknown>): Context.Context<never> => fiber.currentContext

/**
 * The clock a fiber runs with.
 *
 * @since 0.3.0
 * @category fibers
 */
export const fiberClock = (fiber: RuntimeFiber<unknown, unknown>): Clock.Clock => Context.get(fiber.currentDefaultServices, Clock.Clock)

/**
 * A clock's time, epoch millis, without an effect.
 *
 * @since 0.3.0
 * @category fibers
 */
export const clockMillis = (clock: Clock.Clock): number => clock.unsafeCurrentTimeMillis()

/**
 * The tracer a fiber runs with.
 *
 * @since 0.3.0
 * @category fibers
 */
export const fiberTracer = (fiber: RuntimeFiber<unknown, unknown>): Tracer.Tracer => fiber.currentTracer

/**
 * Whether a fiber runs inside a span.
 *
 * @since 0.3.0
 * @category fibers
 */
export const fiberInSpan = (fiber: RuntimeFiber<unknown, unknown>): boolean => fiber.currentSpan !== undefined

/**
 * Interrupts `fiber` on behalf of `by`, without waiting.
 *
 * @since 0.3.0
 * @category fibers
 */
export const interruptUnsafe = (fiber: RuntimeFiber<unknown, unknown>, by: RuntimeFiber<unknown, unknown>): void => fiber.unsafeInterruptAsFork(by.id())

/**
 * Calls `observer` with the fiber's exit once it ends.
 *
 * @since 0.3.0
 * @category fibers
 */
export const observe = <A, E>(fiber: RuntimeFiber<A, E>, observer: (exit: import("effect").Exit.Exit<A, E>) => void): void => {
  fiber.addObserver(observer)
}

/**
 * A deferred made by `fiber`, without an effect.
 *
 * @since 0.3.0
 * @category fibers
 */
export const makeDeferredUnsafe = <A, E>(fiber: RuntimeFiber<unknown, unknown>): Deferred.Deferred<A, E> => Deferred.unsafeMake<A, E>(fiber.id())

const liveClockPrototype = Object.getPrototypeOf(Clock.make())

/**
 * Whether a clock is the live one (not `TestClock`, not an app's own).
 *
 * @since 0.3.0
 * @category fibers
 */
export const isLiveClock = (clock: Clock.Clock): boolean => Object.getPrototypeOf(clock) === liveClockPrototype

/**
 * The tracer of a program that installs none.
 *
 * @since 0.3.0
 * @category fibers
 */
export const defaultTracer: Tracer.Tracer = Effect.runSync(Effect.tracer)

/**
 * The current tracer.
 *
 * @since 0.3.0
 * @category fibers
 */
export const tracerWith: <A, E, R>(f: (tracer: Tracer.Tracer) => Effect.Effect<A, E, R>) => Effect.Effect<A, E, R> = Effect.tracerWith

// ---------------------------------------------------------------------------------------
// Duration, Option, Config
// ---------------------------------------------------------------------------------------

/**
 * What a duration option accepts (`Duration.DurationInput` / `Duration.Input`).
 *
 * @since 0.3.0
 * @category duration
 */
export type DurationInput = Duration.DurationInput

/**
 * A duration from its input (throws on a malformed one).
 *
 * @since 0.3.0
 * @category duration
 */
export const decodeDuration: (input: DurationInput) => Duration.Duration = Duration.decode

/**
 * `Some` unless the value is `null` or `undefined`.
 *
 * @since 0.3.0
 * @category option
 */
export const fromNullable: <A>(a: A) => Option.Option<NonNullable<A>> = Option.fromNullable

/**
 * `Config` constructors (`Config.string` / `Config.String`, …).
 *
 * @since 0.3.0
 * @category config
 */
export const Config = {
  string: (name: string): Config_.Config<string> => Config_.string(name),
  redacted: (name: string) => Config_.redacted(name),
  duration: (name: string): Config_.Config<Duration.Duration> => Config_.duration(name)
}

/**
 * A configuration failure.
 *
 * @since 0.3.0
 * @category config
 */
export type ConfigError = import("effect/ConfigError").ConfigError

// ---------------------------------------------------------------------------------------
// Schedule
// ---------------------------------------------------------------------------------------

/**
 * A schedule that never recurs.
 *
 * @since 0.3.0
 * @category schedule
 */
export const stop: Schedule.Schedule<unknown, unknown> = Schedule.stop

/**
 * Recurs while both recur, with the longer delay (`Schedule.intersect` / `Schedule.max`).
 *
 * @since 0.3.0
 * @category schedule
 */
export const both = <In, In2>(self: Schedule.Schedule<unknown, In>, that: Schedule.Schedule<unknown, In2>): Schedule.Schedule<unknown, In & In2> =>
  Schedule.intersect(self, that)

/**
 * Recurs while either recurs, with the shorter delay (`Schedule.union` / `Schedule.min`).
 *
 * @since 0.3.0
 * @category schedule
 */
export const either = <In, In2>(self: Schedule.Schedule<unknown, In>, that: Schedule.Schedule<unknown, In2>): Schedule.Schedule<unknown, In & In2> =>
  Schedule.union(self, that)

/**
 * Recurs only while the input satisfies `predicate`.
 *
 * @since 0.3.0
 * @category schedule
 */
export const whileInput = <In>(self: Schedule.Schedule<unknown, In>, predicate: (input: In) => boolean): Schedule.Schedule<unknown, In> =>
  Schedule.whileInput(self, predicate)

/**
 * Stops recurring once `duration` has passed since the first recurrence.
 *
 * @since 0.3.0
 * @category schedule
 */
export const upTo = <In>(self: Schedule.Schedule<unknown, In>, duration: DurationInput): Schedule.Schedule<unknown, In> =>
  Schedule.upTo(self, duration)

/**
 * Replaces each delay with the one `f` computes.
 *
 * @since 0.3.0
 * @category schedule
 */
export const delayWith = <In>(self: Schedule.Schedule<unknown, In>, f: Effect.Effect<Duration.Duration>): Schedule.Schedule<unknown, In> =>
  Schedule.modifyDelayEffect(self, () => f)

// ---------------------------------------------------------------------------------------
// Result: Either in Effect 3, Result in Effect 4
// ---------------------------------------------------------------------------------------

/**
 * A success or a failure, not an effect (`Either` / `Result`).
 *
 * @since 0.3.0
 * @category result
 */
export type Result<A, E> = Either.Either<A, E>

/**
 * @since 0.3.0
 * @category result
 */
export type Success<A, E> = Either.Right<E, A>

/**
 * @since 0.3.0
 * @category result
 */
export type Failure<A, E> = Either.Left<E, A>

/**
 * Result constructors and readers.
 *
 * @since 0.3.0
 * @category result
 */
export const Result = {
  succeed: <A>(a: A): Result<A, never> => Either.right(a),
  fail: <E>(e: E): Result<never, E> => Either.left(e),
  void: Either.void as Result<void, never>,
  isSuccess: <A, E>(self: Result<A, E>): self is Success<A, E> => Either.isRight(self),
  isFailure: <A, E>(self: Result<A, E>): self is Failure<A, E> => Either.isLeft(self),
  success: <A, E>(self: Success<A, E>): A => self.right,
  failure: <A, E>(self: Failure<A, E>): E => self.left,
  map: <A, E, B>(self: Result<A, E>, f: (a: A) => B): Result<B, E> => Either.map(self, f),
  mapError: <A, E, E2>(self: Result<A, E>, f: (e: E) => E2): Result<A, E2> => Either.mapLeft(self, f),
  flatMap: <A, E, B, E2>(self: Result<A, E>, f: (a: A) => Result<B, E2>): Result<B, E | E2> => Either.flatMap(self, f),
  match: <A, E, B, C = B>(self: Result<A, E>, cases: { readonly onFailure: (e: E) => B; readonly onSuccess: (a: A) => C }): B | C =>
    Either.match(self, { onLeft: cases.onFailure, onRight: cases.onSuccess }),
  getSuccess: <A, E>(self: Result<A, E>): Option.Option<A> => Either.getRight(self),
  getOrThrowWith: <A, E>(self: Result<A, E>, f: (e: E) => unknown): A => Either.getOrThrowWith(self, f),
  toEffect: <A, E>(self: Result<A, E>): Effect.Effect<A, E> => self
}

// ---------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------

/**
 * A schema from `I` to `A` that needs no service (`Schema.Schema<A, I>` / `Schema.Codec<A, I>`).
 *
 * @since 0.3.0
 * @category schema
 */
export type Codec<A, I = A> = Schema.Schema<A, I, never>

/**
 * Any schema that needs no service.
 *
 * @since 0.3.0
 * @category schema
 */
export type AnyCodec = Schema.Schema.AnyNoContext

/**
 * A decoding failure (`ParseResult.ParseError` / `Schema.SchemaError`).
 *
 * @since 0.3.0
 * @category schema
 */
export type ParseError = ParseResult.ParseError

type LiteralValue = string | number | boolean | null | bigint

/**
 * One of the given literals.
 *
 * @since 0.3.0
 * @category schema
 */
export const literals = <const L extends readonly [LiteralValue, ...Array<LiteralValue>]>(...values: L): Schema.Literal<[...L]> => Schema.Literal(...values)

/**
 * Any of the given schemas.
 *
 * @since 0.3.0
 * @category schema
 */
export const union = <const Members extends readonly [Schema.Schema.All, Schema.Schema.All, ...Array<Schema.Schema.All>]>(...members: Members): Schema.Union<Members> =>
  Schema.Union(...members)

/**
 * A record of `value`s by `key`.
 *
 * @since 0.3.0
 * @category schema
 */
export const record = <K extends Schema.Schema.All, V extends Schema.Schema.All>(key: K, value: V) => Schema.Record({ key: key as K & Schema.Schema<string, string, never>, value })

/**
 * An optional field whose absence (or `undefined`) decodes to `value()`, also the
 * constructor's default.
 *
 * @since 0.3.0
 * @category schema
 */
export const optionalDefault = <S extends Schema.Schema.All>(schema: S, value: () => Schema.Schema.Type<S>) => Schema.optionalWith(schema, { default: value })

/**
 * An optional field decoded to an `Option` (absent or `undefined` is `None`).
 *
 * @since 0.3.0
 * @category schema
 */
export const optionalOption = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { as: "Option" })

/**
 * An `Option` field, as is.
 *
 * @since 0.3.0
 * @category schema
 */
export const option = <S extends Schema.Schema.Any>(schema: S): Schema.OptionFromSelf<S> => Schema.OptionFromSelf(schema)

/**
 * A transformation from `from` to `to` by two total functions.
 *
 * @since 0.3.0
 * @category schema
 */
export const transform = <From extends Schema.Schema.Any, To extends Schema.Schema.Any>(
  from: From,
  to: To,
  decode: (fromA: Schema.Schema.Type<From>) => Schema.Schema.Encoded<To>,
  encode: (toI: Schema.Schema.Encoded<To>) => Schema.Schema.Type<From>
): Schema.transform<From, To> => Schema.transform(from, to, { strict: true, decode, encode })

/**
 * A value as JSON text.
 *
 * @since 0.3.0
 * @category schema
 */
export const parseJson = <A, I>(schema: Codec<A, I>): Codec<A, string> => Schema.parseJson(schema)

/**
 * A raw value, `Redacted` once decoded.
 *
 * @since 0.3.0
 * @category schema
 */
export const redactedFromValue = <A, I>(schema: Codec<A, I>): Codec<import("effect").Redacted.Redacted<A>, I> => Schema.Redacted(schema)

/**
 * A number at least 0.
 *
 * @since 0.3.0
 * @category schema
 */
export const NonNegative: Codec<number> = Schema.NonNegative

/**
 * A whole number at least 0.
 *
 * @since 0.3.0
 * @category schema
 */
export const NonNegativeInt: Codec<number> = Schema.NonNegativeInt

/**
 * A numeric string at least 0.
 *
 * @since 0.3.0
 * @category schema
 */
export const NonNegativeFromString: Codec<number, string> = Schema.compose(Schema.NumberFromString, Schema.NonNegative)

/**
 * A whole number between `min` and `max`.
 *
 * @since 0.3.0
 * @category schema
 */
export const intBetween = (min: number, max: number): Codec<number> => Schema.Int.pipe(Schema.between(min, max))

/**
 * A `Date` from epoch millis.
 *
 * @since 0.3.0
 * @category schema
 */
export const DateFromMillis: Codec<Date, number> = Schema.DateFromNumber

type Renamed<F, K extends PropertyKey> = F extends Schema.PropertySignature<infer TT, infer T, PropertyKey, infer ET, infer E, infer HD, infer R>
  ? Schema.PropertySignature<TT, T, K, ET, E, HD, R>
  : F extends Schema.Schema<infer A, infer I, infer R> ? Schema.PropertySignature<":", A, K, ":", I, false, R>
  : never

/**
 * Struct fields whose encoded keys are renamed by `M` (field → wire key).
 *
 * @since 0.3.0
 * @category schema
 */
export type RenamedFields<F extends Schema.Struct.Fields, M> = {
  readonly [K in keyof F]: K extends keyof M ? M[K] extends string ? Renamed<F[K], M[K]> : F[K] : F[K]
}

/**
 * The keys a struct's fields take on the wire, by field.
 *
 * @since 0.3.0
 * @category schema
 */
export type WireKeys<F> = { readonly [K in keyof F]?: string }

const renameFields = <F extends Schema.Struct.Fields, const M extends WireKeys<F>>(fields: F, keys: M): RenamedFields<F, M> => {
  const out: Record<string, unknown> = {}
  for (const name of Object.keys(fields)) {
    const field = fields[name]!
    const key = keys[name]
    out[name] = key === undefined
      ? field
      : Schema.fromKey(key)(
        (Schema.isPropertySignature(field) ? field : Schema.propertySignature(field as Schema.Schema.All)) as Schema.PropertySignature.Any as Schema.PropertySignature<
          Schema.PropertySignature.Token,
          unknown,
          PropertyKey,
          Schema.PropertySignature.Token,
          unknown,
          boolean,
          unknown
        >
      )
  }
  return out as RenamedFields<F, M>
}

/**
 * A struct whose fields have other names on the wire (WeChat's `snake_case`).
 *
 * @since 0.3.0
 * @category schema
 */
export const wireStruct = <F extends Schema.Struct.Fields, const M extends WireKeys<F>>(fields: F, keys: M): Schema.Struct<RenamedFields<F, M>> =>
  Schema.Struct(renameFields(fields, keys))

/**
 * A `Schema.Class` whose fields have other names on the wire:
 * `class X extends WireClass<X>("id")(fields, { field: "wire_key" }) {}`.
 *
 * @since 0.3.0
 * @category schema
 */
export const WireClass = <Self>(identifier: string) =>
<F extends Schema.Struct.Fields, const M extends WireKeys<F>>(
  fields: F,
  keys: M
): Schema.Class<
  Self,
  RenamedFields<F, M>,
  Schema.Struct.Encoded<RenamedFields<F, M>>,
  Schema.Struct.Context<RenamedFields<F, M>>,
  Schema.Struct.Constructor<RenamedFields<F, M>>,
  {},
  {}
> =>
  Schema.Class<Self>(identifier)(renameFields(fields, keys)) as unknown as Schema.Class<
    Self,
    RenamedFields<F, M>,
    Schema.Struct.Encoded<RenamedFields<F, M>>,
    Schema.Struct.Context<RenamedFields<F, M>>,
    Schema.Struct.Constructor<RenamedFields<F, M>>,
    {},
    {}
  >

/**
 * A decoder that answers with a {@link Result}.
 *
 * @since 0.3.0
 * @category schema
 */
export const decodeUnknownResult = <A, I>(schema: Codec<A, I>): (u: unknown) => Result<A, ParseError> => Schema.decodeUnknownEither(schema)

/**
 * An encoder that answers with a {@link Result}.
 *
 * @since 0.3.0
 * @category schema
 */
export const encodeResult = <A, I>(schema: Codec<A, I>): (a: A) => Result<I, ParseError> => Schema.encodeEither(schema)

/**
 * A decoder that answers with an effect.
 *
 * @since 0.3.0
 * @category schema
 */
export const decodeUnknownEffect = <A, I>(schema: Codec<A, I>): (u: unknown) => Effect.Effect<A, ParseError> => Schema.decodeUnknown(schema)

/**
 * Whether a value is a decoding failure.
 *
 * @since 0.3.0
 * @category schema
 */
export const isParseError = (u: unknown): u is ParseError => ParseResult.isParseError(u)

/**
 * A decoding failure's issues, one per leaf: its path and whether a key was missing. No
 * value from the input appears here.
 *
 * @since 0.3.0
 * @category schema
 */
export const issuesOf = (error: ParseError): ReadonlyArray<{ readonly path: ReadonlyArray<PropertyKey>; readonly missing: boolean }> =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({ path: issue.path, missing: issue._tag === "Missing" }))

/**
 * A decoding failure as Effect's own text (for the fake's control API; it may quote the
 * input, so never use it on WeChat's bodies).
 *
 * @since 0.3.0
 * @category schema
 */
export const formatParseError = (error: ParseError): string => ParseResult.TreeFormatter.formatErrorSync(error)
