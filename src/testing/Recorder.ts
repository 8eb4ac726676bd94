/**
 * Records live WeChat traffic into a cassette for `Replay`, with secrets masked: request
 * parameters and response fields named in `Cassette.secretKeys` become `"<redacted>"`, and
 * any secret value seen in a request is also scrubbed wherever it appears in a body.
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer } from "effect"
 * import { Recorder } from "effect-wechat/testing"
 *
 * // every call through this client is appended to the cassette
 * const Recording = Recorder.layer("test/cassettes/login.json").pipe(Layer.provide(FetchHttpClient.layer))
 * ```
 *
 * @since 0.1.0
 */
import { HttpClient, HttpClientResponse } from "#compat"
import * as Compat from "#compat"
import { Effect, Layer, Schema } from "effect"
import { parseJson } from "../WechatDecode.js"
import { scrub } from "../WechatHttp.js"
import { writeFileSync } from "node:fs"
import { Cassette, type Interaction, MASK, maskRecord, type RequestShape, secretKeys, shapeOf, webResponse } from "./Cassette.js"
import { untilAborted } from "./internal/signal.js"

const KEEP_HEADERS = new Set(["content-type"])

/**
 * A secret field in a body that is not valid JSON (truncated, say), up to its string's end:
 * an escape may be cut after its backslash, so a lone backslash may end the body.
 */
const SECRET_FIELD = new RegExp(`"(${[...secretKeys].join("|")})"\\s*:\\s*"(?:[^"\\\\]|\\\\[\\s\\S])*(?:"|\\\\?$)`, "g")

const maskJson = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(maskJson)
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = secretKeys.has(k) ? MASK : maskJson(v)
    return out
  }
  return value
}

/**
 * Masks a response body: secret fields of a JSON body, and known secret values anywhere.
 * A body that is not JSON keeps its bytes, minus the secret values.
 *
 * @since 0.1.0
 * @category masking
 */
export const maskBody = (body: string, secrets: ReadonlyArray<string>): string => {
  const parsed = parseJson(body)
  const value = Compat.Result.isSuccess(parsed) ? Compat.Result.success(parsed) : undefined
  return typeof value === "object" && value !== null
    ? scrub(JSON.stringify(maskJson(value)), secrets)
    : scrub(body.replace(SECRET_FIELD, (_, key: string) => `"${key}":"${MASK}"`), secrets)
}

const secretValues = (shape: RequestShape): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const [k, v] of Object.entries(shape.query)) if (secretKeys.has(k)) out.push(v)
  for (const [k, v] of Object.entries(shape.body ?? {})) if (secretKeys.has(k) && typeof v === "string") out.push(v)
  return out
}

/**
 * Wraps a client so that every exchange is appended to the cassette at `path` (the file
 * is rewritten after each one, so a crash keeps what was recorded).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (path: string): Effect.Effect<HttpClient.HttpClient, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const live = yield* HttpClient.HttpClient
    const interactions: Array<Interaction> = []
    const save = Effect.sync(() => {
      const encoded = Schema.encodeSync(Cassette)({ interactions })
      writeFileSync(path, JSON.stringify(encoded, null, 2) + "\n")
    })
    return HttpClient.make((request, url, signal) =>
      Effect.gen(function*() {
        // the deadline and an interrupted caller reach the live request through `signal`
        const { body, response } = yield* untilAborted(
          Effect.flatMap(live.execute(request), (response) => Effect.map(response.text, (body) => ({ body, response }))),
          signal,
          request
        )
        const shape = shapeOf(request, url)
        const secrets = secretValues(shape)
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries(response.headers)) if (KEEP_HEADERS.has(k)) headers[k] = v
        interactions.push({
          request: {
            method: shape.method as Interaction["request"]["method"],
            path: shape.path,
            query: maskRecord(shape.query),
            ...(shape.body === undefined ? {} : { body: maskRecord(shape.body) })
          },
          response: { status: response.status, headers, body: maskBody(body, secrets) }
        })
        yield* save
        return HttpClientResponse.fromWeb(request, webResponse(response.status, body, response.headers))
      })
    )
  })

/**
 * The recording client as a layer over the live `HttpClient`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (path: string): Layer.Layer<HttpClient.HttpClient, never, HttpClient.HttpClient> =>
  Layer.effect(HttpClient.HttpClient, make(path))
