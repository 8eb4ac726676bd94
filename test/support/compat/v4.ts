/**
 * The test kernel, Effect 4: the same names as `./v3.ts`, from `@effect/platform-node` 4,
 * `effect/testing` and `@effect/vitest` 4.
 */
import { it } from "@effect/vitest"
import { NodeHttpClient as NodeHttpClient_, NodeHttpServer, NodeRuntime, NodeServices } from "@effect/platform-node"
import { Cause, Clock, Effect, Exit, type Layer, Scope } from "effect"
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
