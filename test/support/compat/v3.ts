/**
 * The test kernel, Effect 3: the few test-side APIs the editions spell differently
 * (`@effect/platform-node`'s services, `TestClock`, scoped testers, causes, scopes, clocks).
 * Tests reach it, or `./v4.ts` (same names), through `#test-compat`; the library's own
 * kernel (`#compat`) covers the rest.
 */
import { it } from "@effect/vitest"
import { NodeContext, NodeHttpClient as NodeHttpClient_, NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import type * as Compat from "#compat"
import type { RecordedSpan } from "../spans.js"
import { Cause, Chunk, Clock as ClockModule, type Clock, ConfigProvider, Effect, type Exit, FiberId, Inspectable, Layer, Logger, LogLevel, Scope, TestClock, Tracer } from "effect"

/** Which edition the tests run on. */
export const edition = "v3" as const

/** File system, path and the other Node services (`NodeContext` / `NodeServices`). */
export const NodeServices = { layer: NodeContext.layer }

/** Node's HTTP clients: undici, and `node:http` (`layer` / `layerNodeHttp`). */
export const NodeHttpClient = { layerUndici: NodeHttpClient_.layerUndici, layerNodeHttp: NodeHttpClient_.layer }

export { NodeHttpServer, NodeRuntime, TestClock }

/** A test whose effect gets a `Scope` (`it.scoped` / `it.effect`), on the test clock. */
export const scoped = it.scoped

/** A test whose effect gets a `Scope` (`it.scopedLive` / `it.live`), on the live clock. */
export const scopedLive = it.scopedLive

/** Whether a cause holds a defect. */
export const isDie = <E>(cause: Cause.Cause<E>): boolean => Cause.isDie(cause)

/** A cause's failures. */
export const failures = <E>(cause: Cause.Cause<E>): ReadonlyArray<E> => [...Cause.failures(cause)]

/** Whether an exit is an interruption only. */
export const isInterrupted = <A, E>(exit: Exit.Exit<A, E>): boolean => exit._tag === "Failure" && Cause.isInterruptedOnly(exit.cause)

/** A scope closed by hand. */
export type CloseableScope = Scope.CloseableScope

/** Makes a scope closed by hand. */
export const makeScope: Effect.Effect<CloseableScope> = Scope.make()

/** Runs `effect` in `scope` (its resources live until the scope closes). */
export const inScope = <A, E, R>(effect: Effect.Effect<A, E, R>, scope: Scope.Scope): Effect.Effect<A, E, Exclude<R, Scope.Scope>> => Scope.extend(effect, scope)

/** Runs `effect` with `clock`. */
export const withClock = <A, E, R>(effect: Effect.Effect<A, E, R>, clock: Clock.Clock): Effect.Effect<A, E, R> => Effect.withClock(effect, clock)

/**
 * The app a router built by `WechatLogin.router` / `jssdkRouter` serves, as an effect that
 * answers the current `HttpServerRequest` (an Effect 3 router is one already).
 */
export const toApp = <A, E, R>(routes: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => routes

/** A fiber's exit if it has ended, else `null` (without waiting). */
export const pollUnsafe = <A, E>(fiber: Compat.RuntimeFiber<A, E>): Exit.Exit<A, E> | null => {
  const polled = fiber.unsafePoll()
  return polled === null ? null : polled
}

/**
 * Asks `fiber` to stop, without waiting (`unsafeInterruptAsFork` / `interruptUnsafe`). Called
 * while the fiber runs, the interruption lands at its next step (unless uninterruptible).
 */
export const interruptUnsafe = <A, E>(fiber: Compat.RuntimeFiber<A, E>): void => {
  fiber.unsafeInterruptAsFork(FiberId.none)
}

/** Runs `effect` with a config read from `entries` (environment variable → value). */
export const withConfig = <A, E, R>(effect: Effect.Effect<A, E, R>, entries: ReadonlyArray<readonly [string, string]>): Effect.Effect<A, E, R> =>
  Effect.withConfigProvider(effect, ConfigProvider.fromMap(new Map(entries)))

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
    Logger.replace(Logger.defaultLogger, Logger.make(({ annotations, cause, logLevel, message }) => f({ level: logLevel.label, message, cause, annotations: [...annotations] }))),
    Logger.minimumLogLevel(LogLevel.All)
  )

/** Effect's own rendering of a value (`Inspectable.format` / `Formatter.format`). */
export const formatUnknown = (u: unknown): string => Inspectable.format(u)

/** Runs `f` on a failure's cause, then fails as before (`tapErrorCause` / `tapCause`). */
export const tapCause = <E, X, E2, R2>(f: (cause: Cause.Cause<E>) => Effect.Effect<X, E2, R2>) => <A, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | E2, R | R2> =>
  Effect.tapErrorCause(self, f)

/**
 * Moves the test clock to each pending sleep in turn (`TestClock.sleeps`) until `done()`,
 * or until nothing sleeps for a while.
 */
export const advanceUntil = (done: () => boolean): Effect.Effect<void> =>
  Effect.gen(function*() {
    for (let idle = 0; !done() && idle < 1000;) {
      const sleeps = yield* TestClock.sleeps()
      if (Chunk.isEmpty(sleeps)) {
        idle++
        yield* Effect.yieldNow()
      } else {
        idle = 0
        yield* TestClock.setTime(Chunk.unsafeHead(sleeps))
      }
    }
  })

/**
 * A real clock whose time can be moved forward by hand: sleeps are real, and `advance`
 * jumps the time that expiries are computed from.
 */
export const fastForwardClock = (): Clock.Clock & { readonly advance: (ms: number) => void } => {
  const real = ClockModule.make()
  let offset = 0
  const millis = () => real.unsafeCurrentTimeMillis() + offset
  const nanos = () => real.unsafeCurrentTimeNanos() + BigInt(offset) * 1_000_000n
  return {
    [ClockModule.ClockTypeId]: ClockModule.ClockTypeId,
    unsafeCurrentTimeMillis: millis,
    currentTimeMillis: Effect.sync(millis),
    unsafeCurrentTimeNanos: nanos,
    currentTimeNanos: Effect.sync(nanos),
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
    span(name, parent, context, links, startTime, kind, options) {
      const recorded: RecordedSpan = { name, attributes: new Map(Object.entries(options?.attributes ?? {})), events: [], exit: undefined }
      spans.push(recorded)
      const spanId = `span${++id}`
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId,
        traceId: "trace",
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes: recorded.attributes,
        links,
        sampled: true,
        kind,
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
    },
    context: (f) => f()
  })
  return { tracer, spans }
}
