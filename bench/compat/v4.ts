/**
 * The bench's kernel, Effect 4: the same names as `./v3.ts`, with `effect/http`'s
 * `FetchHttpClient` and `@effect/platform-node` 4's clients.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Clock, Effect, Layer, ManagedRuntime } from "effect"
import { FetchHttpClient, HttpClient, HttpClientResponse } from "effect/http"

export { HttpClient, HttpClientResponse }

/** Which edition this kernel is. */
export const edition: "v3" | "v4" = "v4"

/** `HttpClient` on the global `fetch`. */
export const fetchLayer: Layer.Layer<HttpClient.HttpClient> = FetchHttpClient.layer

/** `HttpClient` on undici. */
export const undiciLayer: Layer.Layer<HttpClient.HttpClient> = NodeHttpClient.layerUndici

/** `HttpClient` on `node:http` with a keep-alive agent: a fresh one per runtime, destroyed with it. */
export const nodeKeepAliveLayer: Layer.Layer<HttpClient.HttpClient> = NodeHttpClient.layerNodeHttpOptions({ keepAlive: true })

/** A runtime built once from `layer`, and its `runPromise`. */
export const runtimeOf = async <R, E>(layer: Layer.Layer<R, E>) => {
  const managed = ManagedRuntime.make(layer)
  await managed.context()
  const run = <A, E2>(effect: Effect.Effect<A, E2, R>): Promise<A> => managed.runPromise(effect)
  return { run, dispose: () => managed.dispose() }
}

/** `layer` with `clock` as the runtime's clock. */
export const withClock = <R, E>(layer: Layer.Layer<R, E>, clock: Clock.Clock): Layer.Layer<R, E> =>
  Layer.merge(layer, Layer.succeed(Clock.Clock)(clock))

/** The live clock shifted by an offset that `advance` moves forward. */
export const shiftedClock = () => {
  const real = Clock.Clock.defaultValue()
  let offset = 0
  const clock: Clock.Clock = {
    currentTimeMillisUnsafe: () => real.currentTimeMillisUnsafe() + offset,
    currentTimeMillis: Effect.sync(() => real.currentTimeMillisUnsafe() + offset),
    currentTimeNanosUnsafe: () => real.currentTimeNanosUnsafe() + BigInt(offset) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => real.currentTimeNanosUnsafe() + BigInt(offset) * 1_000_000n),
    monotonicTimeNanosUnsafe: () => real.monotonicTimeNanosUnsafe(),
    monotonicTimeNanos: real.monotonicTimeNanos,
    sleep: (duration) => real.sleep(duration)
  }
  return { clock, advance: (millis: number) => void (offset += millis) }
}

/** Fails with `onTimeout()` when `self` takes longer than `duration`. */
export const timeoutFail = <E2>(options: { readonly duration: `${number} seconds`; readonly onTimeout: () => E2 }) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | E2, R> =>
  Effect.timeoutOrElse(self, { duration: options.duration, orElse: () => Effect.fail(options.onTimeout()) })

/** The flags every bench process runs with (package.json's `bench:v4` script, on Node 22). */
export const NODE_FLAGS: ReadonlyArray<string> = [
  "--expose-gc",
  "--no-flush-bytecode",
  "--conditions=effect-wechat-v4-source",
  "--conditions=effect-wechat-source",
  "--import",
  new URL("../../v4/node-hooks.mjs", import.meta.url).href,
  "--import",
  "tsx"
]
