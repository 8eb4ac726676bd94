/**
 * The bench's kernel, Effect 3: what the bench needs that the two editions spell
 * differently (HTTP clients, runtimes, clocks, timeouts, the flags of its processes), with
 * the same export names as `./v4.ts`. Shared bench files import it as `#bench-compat`.
 */
import { FetchHttpClient, HttpClient, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Clock, Effect, Layer, ManagedRuntime, Runtime } from "effect"

export { HttpClient, HttpClientResponse }

/** Which edition this kernel is. */
export const edition: "v3" | "v4" = "v3"

/** `HttpClient` on the global `fetch`. */
export const fetchLayer: Layer.Layer<HttpClient.HttpClient> = FetchHttpClient.layer

/** `HttpClient` on undici. */
export const undiciLayer: Layer.Layer<HttpClient.HttpClient> = NodeHttpClient.layerUndici

/** `HttpClient` on `node:http` with a keep-alive agent: a fresh one per runtime, destroyed with it. */
export const nodeKeepAliveLayer: Layer.Layer<HttpClient.HttpClient> = NodeHttpClient.layerWithoutAgent.pipe(
  Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true }))
)

/** A runtime built once from `layer`, and its `runPromise`. */
export const runtimeOf = async <R, E>(layer: Layer.Layer<R, E>) => {
  const managed = ManagedRuntime.make(layer)
  const run: <A, E2>(effect: Effect.Effect<A, E2, R>) => Promise<A> = Runtime.runPromise(await managed.runtime())
  return { run, dispose: () => managed.dispose() }
}

/** `layer` with `clock` as the runtime's clock. */
export const withClock = <R, E>(layer: Layer.Layer<R, E>, clock: Clock.Clock): Layer.Layer<R, E> =>
  Layer.merge(layer, Layer.setClock(clock))

/** The live clock shifted by an offset that `advance` moves forward. */
export const shiftedClock = () => {
  const real = Clock.make()
  let offset = 0
  const clock: Clock.Clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => real.unsafeCurrentTimeMillis() + offset,
    currentTimeMillis: Effect.sync(() => real.unsafeCurrentTimeMillis() + offset),
    unsafeCurrentTimeNanos: () => real.unsafeCurrentTimeNanos() + BigInt(offset) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => real.unsafeCurrentTimeNanos() + BigInt(offset) * 1_000_000n),
    sleep: (duration) => real.sleep(duration)
  }
  return { clock, advance: (millis: number) => void (offset += millis) }
}

/** Fails with `onTimeout()` when `self` takes longer than `duration`. */
export const timeoutFail = <E2>(options: { readonly duration: `${number} seconds`; readonly onTimeout: () => E2 }) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | E2, R> => Effect.timeoutFail(self, options)

/** The flags every bench process runs with (package.json's `bench` script). */
export const NODE_FLAGS: ReadonlyArray<string> = ["--expose-gc", "--no-flush-bytecode", "--conditions=effect-wechat-source", "--import", "tsx"]
