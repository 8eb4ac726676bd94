import { HttpClient } from "#compat"
import * as TestCompat from "#test-compat"
import { Effect, Layer, Redacted } from "effect"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { TokenStore, WechatConfig } from "../src/index.js"
import { Replay } from "../src/testing/index.js"

export const fixturePath = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

/** A fixture body, byte for byte. */
export const fixture = (name: string): string => readFileSync(fixturePath(name), "utf8").replace(/\n$/, "")

export const APP_ID = "wx520c15f417810387"
export const APP_SECRET = "app-secret-SENTINEL-0001"

/** The test app's config, with a fresh in-memory TokenStore (code results are cached per store). */
export const config = (overrides: Partial<WechatConfig.Options> = {}) =>
  Layer.merge(
    WechatConfig.layer({
      appId: APP_ID,
      appSecret: Redacted.make(APP_SECRET),
      apiBaseUrl: "https://api.weixin.qq.com",
      ...overrides
    }),
    TokenStore.layerMemory
  )

/** One canned answer for every request to `path`. */
export const answering = (
  path: string,
  body: string,
  options: { readonly status?: number; readonly contentType?: string; readonly method?: "GET" | "POST" } = {}
) =>
  Replay.layer({
    interactions: [{
      request: { method: options.method ?? "GET", path },
      response: {
        status: options.status ?? 200,
        headers: { "content-type": options.contentType ?? "text/plain" },
        body
      },
      repeat: true
    }]
  })

/** Runs an endpoint against a replayed answer with the test config. */
export const provideAnswer = (path: string, body: string, options: Parameters<typeof answering>[2] = {}) =>
  <A, E>(effect: Effect.Effect<A, E, HttpClient.HttpClient | WechatConfig.WechatConfig>) =>
    effect.pipe(Effect.provide(Layer.merge(answering(path, body, options), config())))

export type RecordedSpan = TestCompat.RecordedSpan

/** A Tracer that keeps every span, for asserting what would be exported. */
export const recordingTracer = TestCompat.recordingTracer

/**
 * A real clock whose time can be moved forward by hand: sleeps are real (so no timer
 * piles up the way interrupted sleeps do in `TestClock`), and `advance` jumps the time
 * that expiries are computed from.
 */
export const fastForwardClock = TestCompat.fastForwardClock
