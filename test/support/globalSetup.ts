/**
 * Starts one redis-server for the suite (Redis tests read its URL with `inject("redisUrl")`)
 * and stops it after. A missing binary fails the run with an install hint: the Redis tests
 * never skip.
 */
import type { TestProject } from "vitest/node"
import { type RedisServer, startRedis } from "./redisServer.js"

let server: RedisServer | undefined

export async function setup(project: TestProject) {
  server = await startRedis()
  project.provide("redisUrl", server.url)
}

export async function teardown() {
  await server?.stop()
}

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string
  }
}
