/**
 * The test kernel, Effect 4: the same names as `./v3.ts`, from `@effect/platform-node` 4,
 * `effect/testing` and `@effect/vitest` 4.
 */
import { it } from "@effect/vitest"
import { NodeHttpClient as NodeHttpClient_, NodeHttpServer, NodeRuntime, NodeServices } from "@effect/platform-node"
import type * as Compat from "#compat"
import type { RecordedSpan } from "../spans.js"
import { Cause, Clock, ConfigProvider, Effect, Exit, Formatter, Layer, Logger, References, Scope, Tracer } from "effect"
import { HttpRouter } from "effect/http"
import { TestClock } from "effect/testing"

/** Which edition the tests run on. */
export const edition = "v4" as const

/** Node's HTTP clients: undici, and `node:http`. */
export const NodeHttpClient = { layerUndici: NodeHttpClient_.layerUndici, layerNodeHttp: NodeHttpClient_.layerNodeHttp }

export { NodeHttpServer, NodeRuntime, NodeServices, TestClock }

/** A test whose effect gets a `Scope`, on the test clock (`it.effect` provides one). */
export const scoped = it.effect

/** A test whose effect gets a `Scope`, on the live clock. */
export const scopedLive = it.live

/** Whether a cause holds a defect. */
export const isDie = <E>(cause: Cause.Cause<E>): boolean => Cause.hasDies(cause)

/** A cause's failures. */
export const failures = <E>(cause: Cause.Cause<E>): ReadonlyArray<E> =>
  cause.reasons.flatMap((reason) => (Cause.isFailReason(reason) ? [reason.error] : []))

/** Whether an exit is an interruption only. */
export const isInterrupted = <A, E>(exit: Exit.Exit<A, E>): boolean => Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)

/** A scope closed by hand. */
export type CloseableScope = Scope.Closeable

/** Makes a scope closed by hand. */
export const makeScope: Effect.Effect<CloseableScope> = Scope.make()

/** Runs `effect` in `scope` (its resources live until the scope closes). */
export const inScope = <A, E, R>(effect: Effect.Effect<A, E, R>, scope: Scope.Scope): Effect.Effect<A, E, Exclude<R, Scope.Scope>> => Scope.provide(effect, scope)

/** Runs `effect` with `clock`. */
export const withClock = <A, E, R>(effect: Effect.Effect<A, E, R>, clock: Clock.Clock): Effect.Effect<A, E, R> => Effect.provideService(effect, Clock.Clock, clock)

/**
 * The app a router built by `WechatLogin.router` / `jssdkRouter` serves, as an effect that
 * answers the current `HttpServerRequest` (an Effect 4 router is a layer of routes).
 */
export const toApp = <A, E, R>(routes: Layer.Layer<A, E, R>) => HttpRouter.toHttpEffect(routes)

/** A fiber's exit if it has ended, else `null` (without waiting). */
export const pollUnsafe = <A, E>(fiber: Compat.RuntimeFiber<A, E>): Exit.Exit<A, E> | null => fiber.pollUnsafe() ?? null

/**
 * Asks `fiber` to stop, without waiting. Called while the fiber runs, the interruption lands
 * at its next step (unless uninterruptible).
 */
export const interruptUnsafe = <A, E>(fiber: Compat.RuntimeFiber<A, E>): void => {
  fiber.interruptUnsafe()
}

/** Runs `effect` with a config read from `entries` (environment variable → value). */
export const withConfig = <A, E, R>(effect: Effect.Effect<A, E, R>, entries: ReadonlyArray<readonly [string, string]>): Effect.Effect<A, E, R> =>
  Effect.provideService(effect, ConfigProvider.ConfigProvider, ConfigProvider.fromEnvRecord(Object.fromEntries(entries)))

/** A log line as a test sees it: level (`"WARN"`, …), message, cause and annotations. */
export interface LogEntry {
  readonly level: string
  readonly message: unknown
  readonly cause: Cause.Cause<unknown>
  readonly annotations: ReadonlyArray<readonly [string, unknown]>
}

/** Replaces the default logger with `f` (every level). */
export const captureLogs = (f: (entry: LogEntry) => void): Layer.Layer<never> =>
  Layer.merge(
    Logger.layer([
      Logger.make(({ cause, fiber, logLevel, message }) =>
        f({ level: logLevel.toUpperCase(), message, cause, annotations: Object.entries(fiber.getRef(References.CurrentLogAnnotations)) }))
    ]),
    Layer.succeed(References.MinimumLogLevel, "All")
  )

/** Effect's own rendering of a value (`Inspectable.format` / `Formatter.format`). */
export const formatUnknown = (u: unknown): string => Formatter.format(u)

/** Runs `f` on a failure's cause, then fails as before (`tapErrorCause` / `tapCause`). */
export const tapCause = <E, X, E2, R2>(f: (cause: Cause.Cause<E>) => Effect.Effect<X, E2, R2>) => <A, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | E2, R | R2> =>
  Effect.tapCause(self, f)

/**
 * Moves the test clock forward a millisecond at a time until `done()` (Effect 4's
 * `TestClock` does not list its pending sleeps), for at most 10 simulated minutes.
 */
export const advanceUntil = (done: () => boolean): Effect.Effect<void> =>
  Effect.gen(function*() {
    for (let step = 0; !done() && step < 600_000; step++) {
      yield* Effect.yieldNow
      if (!done()) yield* TestClock.adjust(1)
    }
  })

/**
 * A real clock whose time can be moved forward by hand: sleeps are real, and `advance`
 * jumps the time that expiries are computed from.
 */
export const fastForwardClock = (): Clock.Clock & { readonly advance: (ms: number) => void } => {
  const real = Clock.Clock.defaultValue()
  let offset = 0
  const millis = () => real.currentTimeMillisUnsafe() + offset
  const nanos = () => real.currentTimeNanosUnsafe() + BigInt(offset) * 1_000_000n
  return {
    currentTimeMillisUnsafe: millis,
    currentTimeMillis: Effect.sync(millis),
    currentTimeNanosUnsafe: nanos,
    currentTimeNanos: Effect.sync(nanos),
    monotonicTimeNanosUnsafe: () => real.monotonicTimeNanosUnsafe(),
    monotonicTimeNanos: real.monotonicTimeNanos,
    sleep: (duration) => real.sleep(duration),
    advance: (ms) => {
      offset += ms
    }
  }
}

/** A span the recording tracer kept. */
export type { RecordedSpan } from "../spans.js"

/** A Tracer that keeps every span, for asserting what would be exported. */
export const recordingTracer = (): { readonly tracer: Tracer.Tracer; readonly spans: Array<RecordedSpan> } => {
  const spans: Array<RecordedSpan> = []
  let id = 0
  const tracer = Tracer.make({
    span(options) {
      const recorded: RecordedSpan = { name: options.name, attributes: new Map(), events: [], exit: undefined }
      spans.push(recorded)
      const span: Tracer.Span = {
        _tag: "Span",
        name: options.name,
        spanId: `span${++id}`,
        traceId: "trace",
        parent: options.parent,
        annotations: options.annotations,
        status: { _tag: "Started", startTime: options.startTime },
        attributes: recorded.attributes,
        links: options.links,
        sampled: true,
        kind: options.kind,
        end(_endTime, exit) {
          recorded.exit = exit
        },
        attribute(key, value) {
          recorded.attributes.set(key, value)
        },
        event(name, _startTime, attributes) {
          recorded.events.push({ name, attributes })
        },
        addLinks() {}
      }
      return span
    }
  })
  return { tracer, spans }
}
