/**
 * The test kernel, Effect 4: the same names as `./v3.ts`, from `@effect/platform-node` 4
 * and `effect/testing`.
 */
import { NodeHttpClient, NodeHttpServer, NodeRuntime, NodeServices } from "@effect/platform-node"
import { TestClock } from "effect/testing"

/** Which edition the tests run on. */
export const edition = "v4" as const

export { NodeHttpClient, NodeHttpServer, NodeRuntime, NodeServices, TestClock }
