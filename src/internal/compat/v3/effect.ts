/**
 * The Effect 3 kernel, part: services, effects, fibers, durations, config, schedules and Result (see `../v3.ts`).
 *
 * @since 0.3.0
 */
import {
  Cause,
  Clock,
  Config as Config_,
  Context,
  Duration,
  Effect,
  Either,
  Exit,
  type Fiber,
  Layer,
  Option,
  Runtime,
  Schedule,
  Scope,
  type Tracer
} from "effect"

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

/**
 * Whether a cause holds an interruption (`Cause.isInterrupted` / `Cause.hasInterrupts`).
 *
 * @since 0.4.0
 * @category effect
 */
export const hasInterrupts: <E>(cause: Cause.Cause<E>) => boolean = Cause.isInterrupted

/**
 * A scope its owner closes (`Scope.CloseableScope` / `Scope.Closeable`).
 *
 * @since 0.4.0
 * @category effect
 */
export type CloseableScope = Scope.CloseableScope

/**
 * Closes a scope from outside Effect (a timer): synchronous finalizers run before this
 * returns, and a failing one cannot throw into the caller.
 *
 * @since 0.4.0
 * @category effect
 */
export const closeScopeNow = (scope: CloseableScope): void => {
  Effect.runFork(Scope.close(scope, Exit.void))
}

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
 * Calls `observer` with the fiber's exit once it ends.
 *
 * @since 0.3.0
 * @category fibers
 */
export const observe = <A, E>(fiber: RuntimeFiber<A, E>, observer: (exit: import("effect").Exit.Exit<A, E>) => void): void => {
  fiber.addObserver(observer)
}

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
