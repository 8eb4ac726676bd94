/**
 * The test kernel, Effect 3: the few test-side APIs the editions spell differently
 * (`@effect/platform-node`'s services, `TestClock`, the HTTP server). Tests reach it, or
 * `./v4.ts`, through `#test-compat`; the library's own kernel (`#compat`) covers the rest.
 */
import { NodeContext, NodeHttpClient, NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { TestClock } from "effect"

/** Which edition the tests run on. */
export const edition = "v3" as const

/** File system, path and the other Node services (`NodeContext` / `NodeServices`). */
export const NodeServices = { layer: NodeContext.layer }

export { NodeHttpClient, NodeHttpServer, NodeRuntime, TestClock }
