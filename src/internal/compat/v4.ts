/**
 * The Effect 4 kernel: the same names as `./v3.ts`, in Effect 4's spelling (`effect` 4,
 * with HTTP in `effect/http` and the key-value store in `effect/persistence`). The shared
 * sources reach it through `#compat` when built or run as the Effect 4 edition.
 *
 * @since 0.3.0
 */
import {
  Cause,
  Clock,
  Config as Config_,
  Context,
  Deferred,
  Duration,
  Effect,
  type Exit,
  type Fiber,
  FileSystem,
  Layer,
  Option,
  Path,
  Result as Result_,
  Schedule,
  Schema,
  type SchemaAST,
  SchemaGetter,
  SchemaIssue,
  type Scope,
  Tracer
} from "effect"
import type * as ConfigErrorModule from "effect/Config"
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

/**
 * Which edition this is.
 *
 * @since 0.3.0
 * @category edition
 */
export const edition = "v4" as const

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
export const untracedClient = (client: HttpClient.HttpClient): HttpClient.HttpClient =>
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

/**
 * A service class: `class X extends Tag<X, Shape>()("key") {}`.
 *
 * @since 0.3.0
 * @category services
 */
export const Tag = <Self, Shape>() => <const Id extends string>(key: Id): Context.ServiceClass<Self, Id, Shape> => Context.Service<Self, Shape>()(key)

/**
 * A service with a default: `class X extends Reference<X, Shape>()("key", { defaultValue }) {}`
 * (in Effect 4 a reference is a value whose identifier is `never`; `Self` is unused).
 *
 * @since 0.3.0
 * @category services
 */
export const Reference = <_Self, Shape>() => (key: string, options: { readonly defaultValue: () => Shape }): Context.Reference<Shape> =>
  Context.Reference<Shape>(key, options)

/**
 * What a layer of a {@link Reference} provides, as a type: `never` in Effect 4.
 *
 * @since 0.3.0
 * @category services
 */
export type RefId<_Self> = never

/**
 * Recovers from every failure.
 *
 * @since 0.3.0
 * @category effect
 */
export const catchAll = Effect.catch

/**
 * The effect's outcome as a {@link Result}.
 *
 * @since 0.3.0
 * @category effect
 */
export const result: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<Result<A, E>, never, R> = Effect.result

/**
 * Fails with `onTimeout()` when `self` takes longer than `duration`.
 *
 * @since 0.3.0
 * @category effect
 */
export const timeoutFail = <A, E, R, E2>(
  self: Effect.Effect<A, E, R>,
  options: { readonly duration: DurationInput; readonly onTimeout: () => E2 }
): Effect.Effect<A, E | E2, R> => Effect.timeoutOrElse(self, { duration: options.duration, orElse: () => Effect.fail(options.onTimeout()) })

/**
 * Forks a child of the current fiber.
 *
 * @since 0.3.0
 * @category effect
 */
export const fork = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<RuntimeFiber<A, E>, never, R> => Effect.forkChild(self)

/**
 * Forks a fiber that outlives its parent.
 *
 * @since 0.3.0
 * @category effect
 */
export const forkDetach = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<RuntimeFiber<A, E>, never, R> => Effect.forkDetach(self)

/**
 * An effect completed by a callback; the returned effect, if any, runs when the waiting
 * fiber is interrupted.
 *
 * @since 0.3.0
 * @category effect
 */
export const callback = <A, E = never, R = never>(
  register: (resume: (effect: Effect.Effect<A, E, R>) => void) => void | Effect.Effect<void, never, R>
): Effect.Effect<A, E, R> => Effect.callback<A, E, R>((resume) => register(resume))

/**
 * A layer from an effect that needs a `Scope` (released with the layer).
 *
 * @since 0.3.0
 * @category layers
 */
export const layerScoped = <I, S, E, R>(tag: Context.Key<I, S>, effect: Effect.Effect<S, E, R>): Layer.Layer<I, E, Exclude<R, Scope.Scope>> =>
  Layer.effect(tag, effect)

/**
 * A layer from an effect that builds one, within a `Scope`.
 *
 * @since 0.3.0
 * @category layers
 */
export const unwrapScoped: <A, E1, R1, E, R>(self: Effect.Effect<Layer.Layer<A, E1, R1>, E, R>) => Layer.Layer<A, E | E1, R1 | Exclude<R, Scope.Scope>> =
  Layer.unwrap

/**
 * A function that runs effects with the current context, from outside Effect, returning
 * their fibers.
 *
 * @since 0.3.0
 * @category effect
 */
export const runner = <R = never>(): Effect.Effect<<A, E>(effect: Effect.Effect<A, E, R>) => RuntimeFiber<A, E>, never, R> =>
  Effect.map(Effect.context<R>(), (context) => {
    const run = Effect.runForkWith(context)
    return <A, E>(effect: Effect.Effect<A, E, R>) => run(effect)
  })

/**
 * The first failure of a cause, if it has one.
 *
 * @since 0.3.0
 * @category effect
 */
export const failureOption = <E>(cause: Cause.Cause<E>): Option.Option<E> => Result_.getSuccess(Cause.findError(cause))

/**
 * A running fiber.
 *
 * @since 0.3.0
 * @category fibers
 */
export type RuntimeFiber<A, E> = Fiber.Fiber<A, E>

/**
 * The fiber that runs the effect `f` returns.
 *
 * @since 0.3.0
 * @category fibers
 */
export const withFiber = <A, E = never, R = never>(f: (fiber: RuntimeFiber<unknown, unknown>) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiber(f)

/**
 * The services a fiber runs with.
 *
 * @since 0.3.0
 * @category fibers
 */
export const fiberContext = (fiber: RuntimeFiber<unknown, unknown>): Context.Context<never> => fiber.context

/**
 * The clock a fiber runs with.
 *
 * @since 0.3.0
 * @category fibers
 */
export const fiberClock = (fiber: RuntimeFiber<unknown, unknown>): Clock.Clock => fiber.getRef(Clock.Clock)

/**
 * A clock's time, epoch millis, without an effect.
 *
 * @since 0.3.0
 * @category fibers
 */
export const clockMillis = (clock: Clock.Clock): number => clock.currentTimeMillisUnsafe()

/**
 * The tracer a fiber runs with.
 *
 * @since 0.3.0
 * @category fibers
 */
export const fiberTracer = (fiber: RuntimeFiber<unknown, unknown>): Tracer.Tracer => fiber.getRef(Tracer.Tracer)

/**
 * Whether a fiber runs inside a span.
 *
 * @since 0.3.0
 * @category fibers
 */
export const fiberInSpan = (fiber: RuntimeFiber<unknown, unknown>): boolean => Option.isSome(Context.getOption(fiber.context, Tracer.ParentSpan))

/**
 * Interrupts `fiber` on behalf of `by`, without waiting.
 *
 * @since 0.3.0
 * @category fibers
 */
export const interruptUnsafe = (fiber: RuntimeFiber<unknown, unknown>, by: RuntimeFiber<unknown, unknown>): void => fiber.interruptUnsafe(by.id)

/**
 * Calls `observer` with the fiber's exit once it ends.
 *
 * @since 0.3.0
 * @category fibers
 */
export const observe = <A, E>(fiber: RuntimeFiber<A, E>, observer: (exit: Exit.Exit<A, E>) => void): void => {
  fiber.addObserver(observer)
}

/**
 * A deferred made by `fiber`, without an effect.
 *
 * @since 0.3.0
 * @category fibers
 */
export const makeDeferredUnsafe = <A, E>(_fiber: RuntimeFiber<unknown, unknown>): Deferred.Deferred<A, E> => Deferred.makeUnsafe<A, E>()

const liveClockPrototype = Object.getPrototypeOf(Clock.Clock.defaultValue())

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
export const defaultTracer: Tracer.Tracer = Tracer.Tracer.defaultValue()

/**
 * The current tracer.
 *
 * @since 0.3.0
 * @category fibers
 */
export const tracerWith = <A, E, R>(f: (tracer: Tracer.Tracer) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => f(fiber.getRef(Tracer.Tracer)))

/**
 * What a duration option accepts.
 *
 * @since 0.3.0
 * @category duration
 */
export type DurationInput = Duration.Input

/**
 * A duration from its input (throws on a malformed one).
 *
 * @since 0.3.0
 * @category duration
 */
export const decodeDuration: (input: DurationInput) => Duration.Duration = Duration.fromInputUnsafe

/**
 * `Some` unless the value is `null` or `undefined`.
 *
 * @since 0.3.0
 * @category option
 */
export const fromNullable: <A>(a: A) => Option.Option<NonNullable<A>> = Option.fromNullishOr

/**
 * `Config` constructors.
 *
 * @since 0.3.0
 * @category config
 */
export const Config = {
  string: (name: string): Config_.Config<string> => Config_.String(name),
  redacted: (name: string) => Config_.Redacted(name),
  duration: (name: string): Config_.Config<Duration.Duration> => Config_.Duration(name)
}

/**
 * A configuration failure.
 *
 * @since 0.3.0
 * @category config
 */
export type ConfigError = ConfigErrorModule.ConfigError

/**
 * A schedule that never recurs.
 *
 * @since 0.3.0
 * @category schedule
 */
export const stop: Schedule.Schedule<unknown, unknown> = Schedule.recurs(0)

/**
 * Recurs while both recur, with the longer delay.
 *
 * @since 0.3.0
 * @category schedule
 */
export const both = <In, In2>(self: Schedule.Schedule<unknown, In>, that: Schedule.Schedule<unknown, In2>): Schedule.Schedule<unknown, In & In2> =>
  Schedule.max([self, that]) as unknown as Schedule.Schedule<unknown, In & In2>

/**
 * Recurs while either recurs, with the shorter delay.
 *
 * @since 0.3.0
 * @category schedule
 */
export const either = <In, In2>(self: Schedule.Schedule<unknown, In>, that: Schedule.Schedule<unknown, In2>): Schedule.Schedule<unknown, In & In2> =>
  Schedule.min([self, that]) as unknown as Schedule.Schedule<unknown, In & In2>

/**
 * Recurs only while the input satisfies `predicate`.
 *
 * @since 0.3.0
 * @category schedule
 */
export const whileInput = <In>(self: Schedule.Schedule<unknown, In>, predicate: (input: In) => boolean): Schedule.Schedule<unknown, In> =>
  Schedule.while(self, ({ input }) => predicate(input))

/**
 * Stops recurring once `duration` has passed since the first recurrence.
 *
 * @since 0.3.0
 * @category schedule
 */
export const upTo = <In>(self: Schedule.Schedule<unknown, In>, duration: DurationInput): Schedule.Schedule<unknown, In> =>
  Schedule.upTo(self, { duration })

/**
 * Replaces each delay with the one `f` computes.
 *
 * @since 0.3.0
 * @category schedule
 */
export const delayWith = <In>(self: Schedule.Schedule<unknown, In>, f: Effect.Effect<Duration.Duration>): Schedule.Schedule<unknown, In> =>
  Schedule.modifyDelay(self, () => f)

/**
 * A success or a failure, not an effect.
 *
 * @since 0.3.0
 * @category result
 */
export type Result<A, E> = Result_.Result<A, E>

/**
 * @since 0.3.0
 * @category result
 */
export type Success<A, E> = Result_.Success<A, E>

/**
 * @since 0.3.0
 * @category result
 */
export type Failure<A, E> = Result_.Failure<A, E>

/**
 * Result constructors and readers.
 *
 * @since 0.3.0
 * @category result
 */
export const Result = {
  succeed: <A>(a: A): Result<A, never> => Result_.succeed(a),
  fail: <E>(e: E): Result<never, E> => Result_.fail(e),
  void: Result_.void as Result<void, never>,
  isSuccess: <A, E>(self: Result<A, E>): self is Success<A, E> => Result_.isSuccess(self),
  isFailure: <A, E>(self: Result<A, E>): self is Failure<A, E> => Result_.isFailure(self),
  success: <A, E>(self: Success<A, E>): A => self.success,
  failure: <A, E>(self: Failure<A, E>): E => self.failure,
  map: <A, E, B>(self: Result<A, E>, f: (a: A) => B): Result<B, E> => Result_.map(self, f),
  mapError: <A, E, E2>(self: Result<A, E>, f: (e: E) => E2): Result<A, E2> => Result_.mapError(self, f),
  flatMap: <A, E, B, E2>(self: Result<A, E>, f: (a: A) => Result<B, E2>): Result<B, E | E2> => Result_.flatMap(self, f),
  match: <A, E, B, C = B>(self: Result<A, E>, cases: { readonly onFailure: (e: E) => B; readonly onSuccess: (a: A) => C }): B | C =>
    Result_.match(self, cases),
  getSuccess: <A, E>(self: Result<A, E>): Option.Option<A> => Result_.getSuccess(self),
  getOrThrowWith: <A, E>(self: Result<A, E>, f: (e: E) => unknown): A => Result_.getOrThrowWith(self, f),
  toEffect: <A, E>(self: Result<A, E>): Effect.Effect<A, E> => Effect.fromResult(self)
}

/**
 * A schema from `I` to `A` that needs no service.
 *
 * @since 0.3.0
 * @category schema
 */
export type Codec<A, I = A> = Schema.Codec<A, I, never, never>

/**
 * Any schema that needs no service.
 *
 * @since 0.3.0
 * @category schema
 */
export type AnyCodec = Schema.Codec<unknown, unknown, never, never>

/**
 * A decoding failure.
 *
 * @since 0.3.0
 * @category schema
 */
export type ParseError = Schema.SchemaError

type LiteralValue = SchemaAST.LiteralValue

/**
 * One of the given literals.
 *
 * @since 0.3.0
 * @category schema
 */
export const literals = <const L extends readonly [LiteralValue, ...Array<LiteralValue>]>(...values: L): Schema.Literals<L> => Schema.Literals(values)

/**
 * Any of the given schemas.
 *
 * @since 0.3.0
 * @category schema
 */
export const union = <const Members extends readonly [Schema.Top, Schema.Top, ...Array<Schema.Top>]>(...members: Members): Schema.Union<Members> =>
  Schema.Union(members)

/**
 * A record of `value`s by `key`.
 *
 * @since 0.3.0
 * @category schema
 */
export const record = <K extends Schema.Record.Key, V extends Schema.Top>(key: K, value: V): Schema.$Record<K, V> => Schema.Record(key, value)

/**
 * An optional field whose absence (or `undefined`) decodes to `value()`, also the
 * constructor's default.
 *
 * @since 0.3.0
 * @category schema
 */
export const optionalDefault = <S extends Schema.Top & Schema.WithoutConstructorDefault>(schema: S, value: () => S["Type"]) =>
  Schema.withConstructorDefault<Schema.withDecodingDefaultType<S>>(Effect.sync(value))(Schema.withDecodingDefaultType<S>(Effect.sync(value))(schema))

/**
 * An optional field decoded to an `Option` (absent or `undefined` is `None`).
 *
 * @since 0.3.0
 * @category schema
 */
export const optionalOption = <S extends Schema.Top>(schema: S): Schema.OptionFromOptional<S> => Schema.OptionFromOptional(schema)

/**
 * An `Option` field, as is.
 *
 * @since 0.3.0
 * @category schema
 */
export const option = <S extends Schema.Top>(schema: S): Schema.Option<S> => Schema.Option(schema)

/**
 * A transformation from `from` to `to` by two total functions.
 *
 * @since 0.3.0
 * @category schema
 */
export const transform = <From extends Schema.Top, To extends Schema.Top>(
  from: From,
  to: To,
  decode: (fromA: From["Type"]) => To["Encoded"],
  encode: (toI: To["Encoded"]) => From["Type"]
): Schema.decodeTo<To, From> =>
  from.pipe(Schema.decodeTo(to, { decode: SchemaGetter.transform(decode), encode: SchemaGetter.transform(encode) }))

/**
 * A value as JSON text.
 *
 * @since 0.3.0
 * @category schema
 */
export const parseJson = <A, I>(schema: Codec<A, I>): Codec<A, string> => Schema.fromJsonString(schema)

/**
 * A raw value, `Redacted` once decoded.
 *
 * @since 0.3.0
 * @category schema
 */
export const redactedFromValue = <A, I>(schema: Codec<A, I>): Codec<import("effect").Redacted.Redacted<A>, I> => Schema.RedactedFromValue(schema)

/**
 * A number at least 0.
 *
 * @since 0.3.0
 * @category schema
 */
export const NonNegative = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * A whole number at least 0.
 *
 * @since 0.3.0
 * @category schema
 */
export const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * A numeric string at least 0.
 *
 * @since 0.3.0
 * @category schema
 */
export const NonNegativeFromString = Schema.NumberFromString.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * A whole number between `min` and `max`.
 *
 * @since 0.3.0
 * @category schema
 */
export const intBetween = (min: number, max: number) => Schema.Int.check(Schema.isBetween({ minimum: min, maximum: max }))

/**
 * A `Date` from epoch millis.
 *
 * @since 0.3.0
 * @category schema
 */
export const DateFromMillis: Codec<Date, number> = Schema.Number.pipe(
  Schema.decodeTo(Schema.Date, {
    decode: SchemaGetter.transform((n: number) => new Date(n)),
    encode: SchemaGetter.transform((d: Date) => d.getTime())
  })
)

/**
 * The keys a struct's fields take on the wire, by field.
 *
 * @since 0.3.0
 * @category schema
 */
export type WireKeys<F> = { readonly [K in keyof F]?: string }

/**
 * A struct whose fields have other names on the wire (WeChat's `snake_case`).
 *
 * @since 0.3.0
 * @category schema
 */
export const wireStruct = <F extends Schema.Struct.Fields, const M extends WireKeys<F>>(fields: F, keys: M): Schema.encodeKeys<Schema.Struct<F>, M> =>
  Schema.Struct(fields).pipe(Schema.encodeKeys(keys))

/**
 * A `Schema.Class` whose fields have other names on the wire:
 * `class X extends WireClass<X>("id")(fields, { field: "wire_key" }) {}`.
 *
 * @since 0.3.0
 * @category schema
 */
export const WireClass = <Self>(identifier: string) =>
<F extends Schema.Struct.Fields, const M extends WireKeys<F>>(fields: F, keys: M): Schema.Class<Self, Schema.Struct<F>, {}> =>
  // a class over the renamed struct: decoding and encoding use the wire keys; the
  // `Encoded` type (and `fields`) keep the field names
  Schema.Class<Self>(identifier)(Schema.Struct(fields).pipe(Schema.encodeKeys(keys)) as unknown as Schema.Struct<F>) as unknown as Schema.Class<
    Self,
    Schema.Struct<F>,
    {}
  >

/**
 * A decoder that answers with a {@link Result}.
 *
 * @since 0.3.0
 * @category schema
 */
export const decodeUnknownResult = <A, I>(schema: Codec<A, I>): (u: unknown) => Result<A, ParseError> => {
  const decode = Schema.decodeUnknownResult(schema)
  return (u) => decode(u)
}

/**
 * An encoder that answers with a {@link Result}.
 *
 * @since 0.3.0
 * @category schema
 */
export const encodeResult = <A, I>(schema: Codec<A, I>): (a: A) => Result<I, ParseError> => {
  const encode = Schema.encodeResult(schema)
  return (a) => encode(a)
}

/**
 * A decoder that answers with an effect.
 *
 * @since 0.3.0
 * @category schema
 */
export const decodeUnknownEffect = <A, I>(schema: Codec<A, I>): (u: unknown) => Effect.Effect<A, ParseError> => {
  const decode = Schema.decodeUnknownEffect(schema)
  return (u) => decode(u)
}

/**
 * Whether a value is a decoding failure.
 *
 * @since 0.3.0
 * @category schema
 */
export const isParseError = (u: unknown): u is ParseError => Schema.isSchemaError(u)

type IssueLeaf = { readonly path: ReadonlyArray<PropertyKey>; readonly missing: boolean }

const leaves = (issue: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey>, out: Array<IssueLeaf>): void => {
  switch (issue._tag) {
    case "Pointer":
      return leaves(issue.issue, [...path, ...issue.path], out)
    case "Filter":
    case "Encoding":
      return leaves(issue.issue, path, out)
    case "Composite":
      for (const inner of issue.issues) leaves(inner, path, out)
      return
    case "AnyOf":
      if (issue.issues.length === 0) out.push({ path, missing: false })
      for (const inner of issue.issues) leaves(inner, path, out)
      return
    default:
      out.push({ path, missing: issue._tag === "MissingKey" })
  }
}

/**
 * A decoding failure's issues, one per leaf: its path and whether a key was missing. No
 * value from the input appears here.
 *
 * @since 0.3.0
 * @category schema
 */
export const issuesOf = (error: ParseError): ReadonlyArray<IssueLeaf> => {
  const out: Array<IssueLeaf> = []
  leaves(error.issue, [], out)
  return out
}

/**
 * A decoding failure as Effect's own text (for the fake's control API; it may quote the
 * input, so never use it on WeChat's bodies).
 *
 * @since 0.3.0
 * @category schema
 */
export const formatParseError = (error: ParseError): string => error.message
