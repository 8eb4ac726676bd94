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
const SECRET_FIELD = new RegExp(`("(?:${[...secretKeys].join("|")})"\\s*:\\s*)("(?:[^"\\\\]|\\\\[\\s\\S])*(?:"|\\\\?$))`, "g")

/** The end of the JSON string that opens at `start` (after its closing quote), and whether it closes. */
const stringEnd = (text: string, start: number): { readonly end: number; readonly closed: boolean } => {
  let i = start + 1
  while (i < text.length) {
    const c = text.charCodeAt(i)
    if (c === 0x5c) i += 2
    else if (c === 0x22) return { end: i + 1, closed: true }
    else i += 1
  }
  return { end: text.length, closed: false }
}

/** The text a JSON string token stands for (a truncated one as far as it goes). */
const decodeString = (token: string, closed: boolean): string => {
  const body = closed ? token : `${token.replace(/\\$/, "")}"`
  try {
    // raw control characters (WeChat sends them) escaped, as JSON.parse wants them
    const value: unknown = JSON.parse(body.replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`))
    return typeof value === "string" ? value : body.slice(1, -1)
  } catch {
    // a truncated escape
    return body.slice(1, -1)
  }
}

const isSpace = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\r"

/**
 * Replaces, in JSON text, the string value of every key in {@link secretKeys} at any depth
 * and nothing else: every other byte (escaped `\/`, raw control characters, spacing) stays.
 */
const maskJsonText = (text: string, replace: (value: string) => string): string => {
  let out = ""
  let kept = 0
  let i = 0
  while (i < text.length) {
    if (text[i] !== "\"") {
      i += 1
      continue
    }
    const key = stringEnd(text, i)
    if (!key.closed) break
    let j = key.end
    while (isSpace(text[j])) j += 1
    // a string not followed by `:` is a value, not a key
    if (text[j] !== ":") {
      i = key.end
      continue
    }
    j += 1
    while (isSpace(text[j])) j += 1
    if (text[j] === "\"" && secretKeys.has(decodeString(text.slice(i, key.end), true))) {
      const value = stringEnd(text, j)
      out += `${text.slice(kept, j)}"${replace(decodeString(text.slice(j, value.end), value.closed))}"`
      kept = value.end
      i = value.end
    } else {
      i = j
    }
  }
  return out + text.slice(kept)
}

/**
 * Masks a response body in its own text: the string values of secret fields (at any depth
 * of a JSON body; found by pattern in a body that is not JSON, a truncated one say), and
 * known secret values anywhere. Every other byte is kept, so WeChat's quirks (`\/`, raw
 * control characters) survive into the cassette.
 *
 * @since 0.1.0
 * @category masking
 */
export const maskBody = (body: string, secrets: ReadonlyArray<string>): string => {
  const parsed = parseJson(body)
  const value = Compat.Result.isSuccess(parsed) ? Compat.Result.success(parsed) : undefined
  return typeof value === "object" && value !== null
    ? scrub(maskJsonText(body, () => MASK), secrets)
    : scrub(body.replace(SECRET_FIELD, (_, prefix: string) => `${prefix}"${MASK}"`), secrets)
}

const secretValues = (shape: RequestShape): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const [k, v] of Object.entries(shape.query)) if (secretKeys.has(k)) out.push(v)
  for (const [k, v] of Object.entries(shape.body ?? {})) if (secretKeys.has(k) && typeof v === "string") out.push(v)
  return out
}

/**
 * Wraps a client so that every exchange is written to the cassette at `path`, in the order
 * the requests were sent (the file is rewritten after each answer, so a crash keeps what
 * was recorded; a request still waiting for its answer is left out until it has one).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (path: string): Effect.Effect<HttpClient.HttpClient, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const live = yield* HttpClient.HttpClient
    // one slot per request, taken when it is sent: concurrent requests answered out of
    // order must replay in the order the app made them
    const slots: Array<Interaction | undefined> = []
    const save = Effect.sync(() => {
      const interactions = slots.filter((slot): slot is Interaction => slot !== undefined)
      const encoded = Schema.encodeSync(Cassette)({ interactions })
      writeFileSync(path, JSON.stringify(encoded, null, 2) + "\n")
    })
    return HttpClient.make((request, url, signal) =>
      Effect.gen(function*() {
        const shape = shapeOf(request, url)
        const slot = yield* Effect.sync(() => slots.push(undefined) - 1)
        // the deadline and an interrupted caller reach the live request through `signal`
        const { body, response } = yield* untilAborted(
          Effect.flatMap(live.execute(request), (response) => Effect.map(response.text, (body) => ({ body, response }))),
          signal,
          request
        )
        const secrets = secretValues(shape)
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries(response.headers)) if (KEEP_HEADERS.has(k)) headers[k] = v
        slots[slot] = {
          request: {
            method: shape.method as Interaction["request"]["method"],
            path: shape.path,
            query: maskRecord(shape.query),
            ...(shape.body === undefined ? {} : { body: maskRecord(shape.body) })
          },
          response: { status: response.status, headers, body: maskBody(body, secrets) }
        }
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
