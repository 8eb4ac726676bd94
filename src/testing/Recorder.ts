/**
 * Records live WeChat traffic into a cassette for `Replay`, in the order the requests were
 * sent, each matcher exact (`"exact": true`) and naming its host, with secrets masked: request parameters and response fields named in
 * `Cassette.secretKeys` become numbered placeholders, one per distinct value of the
 * recording (`"<redacted:1>"`, `"<redacted:2>"`, …; the token an answer returned and the
 * same token in a later request share a number), and any secret value seen so far is also
 * scrubbed wherever it appears in a body.
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer } from "effect"
 * import { Recorder } from "effect-wechat/testing"
 *
 * // every call through this client is written to the cassette
 * const Recording = Recorder.layer("test/cassettes/login.json").pipe(Layer.provide(FetchHttpClient.layer))
 * ```
 *
 * @since 0.1.0
 */
import { HttpClient, HttpClientResponse } from "#compat"
import * as Compat from "#compat"
import { Effect, Layer, Schema } from "effect"
import { parseJson } from "../WechatDecode.js"
import { scrub as scrubText } from "../internal/scrub.js"
import { writeFileSync } from "node:fs"
import { Cassette, type Interaction, MASK, placeholder, secretKeys, shapeOf, webResponse } from "./Cassette.js"
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

/** Whether a string token matched by {@link SECRET_FIELD} ends with its closing quote. */
const isClosed = (token: string): boolean => token.length > 1 && stringEnd(token, 0).closed

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
 * the known secret values `secrets` anywhere. Every other byte is kept, so WeChat's quirks
 * (`\/`, raw control characters) survive into the cassette. Each secret becomes
 * `placeholderFor(value)`: `"<redacted>"` by default; the Recorder numbers them.
 *
 * @since 0.1.0
 * @category masking
 */
export const maskBody = (
  body: string,
  secrets: ReadonlyArray<string>,
  placeholderFor: (value: string) => string = () => MASK
): string => {
  const parsed = parseJson(body)
  const value = Compat.Result.isSuccess(parsed) ? Compat.Result.success(parsed) : undefined
  const masked = typeof value === "object" && value !== null
    ? maskJsonText(body, placeholderFor)
    : body.replace(SECRET_FIELD, (_, prefix: string, token: string) => `${prefix}"${placeholderFor(decodeString(token, isClosed(token)))}"`)
  // longest first, so a secret that contains another is replaced whole
  return scrubText(masked, [...secrets].sort((a, b) => b.length - a.length), placeholderFor)
}

/** The request with each secret value replaced by its placeholder. */
const maskFields = <V>(record: Readonly<Record<string, V>>, placeholderFor: (value: string) => string): Record<string, V | string> => {
  const out: Record<string, V | string> = {}
  for (const key in record) {
    const value = record[key]!
    out[key] = !secretKeys.has(key) ? value : typeof value === "string" ? placeholderFor(value) : MASK
  }
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
    // each distinct secret value of this recording and its placeholder's number
    const numbers = new Map<string, number>()
    const placeholderFor = (value: string): string => {
      const known = numbers.get(value)
      if (known !== undefined) return placeholder(known)
      numbers.set(value, numbers.size + 1)
      return placeholder(numbers.size)
    }
    const save = Effect.sync(() => {
      const interactions = slots.filter((slot): slot is Interaction => slot !== undefined)
      const encoded = Schema.encodeSync(Cassette)({ interactions })
      writeFileSync(path, JSON.stringify(encoded, null, 2) + "\n")
    })
    return HttpClient.make((request, url, signal) =>
      Effect.gen(function*() {
        const shape = shapeOf(request, url)
        const { masked, slot } = yield* Effect.sync(() => ({
          slot: slots.push(undefined) - 1,
          // exact, and for this host: a replay must send what the app sent, where it sent it
          masked: {
            method: shape.method as Interaction["request"]["method"],
            host: url.host,
            path: shape.path,
            query: maskFields(shape.query, placeholderFor),
            ...(shape.body === undefined ? {} : { body: maskFields(shape.body, placeholderFor) }),
            exact: true
          }
        }))
        // the deadline and an interrupted caller reach the live request through `signal`
        const { body, response } = yield* untilAborted(
          Effect.flatMap(live.execute(request), (response) => Effect.map(response.text, (body) => ({ body, response }))),
          signal,
          request
        )
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries(response.headers)) if (KEEP_HEADERS.has(k)) headers[k] = v
        slots[slot] = {
          request: masked,
          // every secret seen so far, a request's or an earlier answer's, is scrubbed
          response: { status: response.status, headers, body: maskBody(body, [...numbers.keys()], placeholderFor) }
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
