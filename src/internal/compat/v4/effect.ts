/**
 * The Effect 4 kernel, part: services, effects, fibers, durations, config, schedules and Result (see `../v4.ts`).
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
  Exit,
  type Fiber,
  Layer,
  Option,
  Result as Result_,
  Schedule,
  Scope,
  Tracer
} from "effect"
import type * as ConfigErrorModule from "effect/Config"

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
 * Forks a fiber that outlives its parent. It starts at once, in the caller's turn, rather
 * than on the scheduler's next tick (the code exchange's single flight forks one per login).
 *
 * @since 0.3.0
 * @category effect
 */
export const forkDetach = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<RuntimeFiber<A, E>, never, R> => Effect.forkDetach(self, { startImmediately: true })

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
 * Whether a cause holds an interruption (`Cause.isInterrupted` / `Cause.hasInterrupts`).
 *
 * @since 0.4.0
 * @category effect
 */
export const hasInterrupts: <E>(cause: Cause.Cause<E>) => boolean = Cause.hasInterrupts

/**
 * A scope its owner closes (`Scope.CloseableScope` / `Scope.Closeable`).
 *
 * @since 0.4.0
 * @category effect
 */
export type CloseableScope = Scope.Closeable

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
 * Calls `observer` with the fiber's exit once it ends.
 *
 * @since 0.3.0
 * @category fibers
 */
export const observe = <A, E>(fiber: RuntimeFiber<A, E>, observer: (exit: Exit.Exit<A, E>) => void): void => {
  fiber.addObserver(observer)
}

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
export const upTo = <In>(self: Schedule.Schedule<unknown, In>, duration: DurationInput): Schedule.Schedule<unknown, In> => {
  // strictly less, as Effect 3's `upTo` (Effect 4's also recurs at exactly `duration`)
  const millis = Duration.toMillis(Duration.fromInputUnsafe(duration))
  return Schedule.while(self, ({ elapsed }) => elapsed < millis)
}

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
