/**
 * The test kernel, Effect 3: the few test-side APIs the editions spell differently
 * (`@effect/platform-node`'s services, `TestClock`, scoped testers, causes, scopes, clocks).
 * Tests reach it, or `./v4.ts` (same names), through `#test-compat`; the library's own
 * kernel (`#compat`) covers the rest.
 */
import { it } from "@effect/vitest"
import { NodeContext, NodeHttpClient as NodeHttpClient_, NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Cause, type Clock, Effect, type Exit, Scope, TestClock } from "effect"

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
