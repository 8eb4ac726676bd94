/**
 * `Effect.fn(name)` at the cost the hot paths can afford: the same named span around the
 * same body, but without the per-call stack capture, and not at all while the program runs
 * with Effect's default tracer (which exports spans nowhere): a span costs about 10 µs,
 * which would be most of a cached signature. Install a tracer (OpenTelemetry, or any
 * `Tracer` of your own) and every call gets its span again, with its attributes.
 * @internal
 */
import { Effect, type Tracer } from "effect"
import * as Compat from "#compat"

const OPTIONS = { captureStackTrace: false } as const

/** The tracer a program has when it installs none. */
const defaultTracer: Tracer.Tracer = Compat.defaultTracer

/** Whether a program's tracer exports spans somewhere (it is not Effect's default). */
export const isTraced = (tracer: Tracer.Tracer): boolean => tracer !== defaultTracer

/** `effect` in a span named `name`, unless nobody traces. */
export const span = <A, E, R>(effect: Effect.Effect<A, E, R>, name: string): Effect.Effect<A, E, R> =>
  Compat.tracerWith((tracer) => (tracer === defaultTracer ? effect : Effect.withSpan(effect, name, OPTIONS)))

/** `effect` in a span named `name`, without a stack trace. */
export const withSpan = <A, E, R>(effect: Effect.Effect<A, E, R>, name: string): Effect.Effect<A, E, R> => Effect.withSpan(effect, name, OPTIONS)

/**
 * `f` with a span named `name` around each call's effect, like {@link fn} but for a body
 * that builds its effect directly (no generator: a code exchange's own steps are few).
 */
export const plain = <Args extends ReadonlyArray<unknown>, A, E, R>(
  name: string,
  f: (...args: Args) => Effect.Effect<A, E, R>
): (...args: Args) => Effect.Effect<A, E, R> =>
  Object.defineProperty((...args: Args) => span(f(...args), name), "length", { value: f.length, configurable: true })

/** Like `Effect.fn(name)(body)`: a span named `name` around each call, no stack trace. */
export const fn = (name: string): Effect.fn.Untraced =>
  ((body: (...args: Array<unknown>) => Generator<never, unknown, never>, ...pipeables: Array<(e: Effect.Effect<unknown, unknown, unknown>, ...args: Array<unknown>) => Effect.Effect<unknown, unknown, unknown>>) => {
    const untraced = (Effect.fnUntraced as (...a: Array<unknown>) => (...args: Array<unknown>) => Effect.Effect<unknown, unknown, unknown>)(body, ...pipeables)
    return Object.defineProperty(
      function(this: unknown, ...args: Array<unknown>) {
        return span(untraced.apply(this, args), name)
      },
      "length",
      { value: body.length, configurable: true }
    )
  }) as unknown as Effect.fn.Untraced
