/**
 * Recorded WeChat interactions: the file format `Replay` reads and `Recorder` writes.
 *
 * ```json
 * {
 *   "interactions": [
 *     {
 *       "request": { "method": "GET", "path": "sns/oauth2/access_token", "query": { "code": "CODE1", "secret": "*" } },
 *       "response": { "status": 200, "headers": { "content-type": "text/plain" }, "body": "{\"errcode\":40163,…}" }
 *     }
 *   ]
 * }
 * ```
 *
 * A request matches an interaction when the method and path are equal and every listed
 * `query` / `body` field is equal (`"*"` and `"<redacted>"` match anything; unlisted fields
 * are not checked). A matcher with `"exact": true` also wants the request's query keys and
 * JSON body keys to be exactly the listed ones (so a `stable_token` call with
 * `force_refresh` does not match a recorded normal call), and one with a `host` wants the
 * request sent to that host (`name[:port]`); the Recorder writes both. Each interaction
 * answers once, in file order, unless `repeat` is true: a request gets the first unused
 * interaction, in file order, that matches it.
 *
 * `Recorder` writes each distinct secret of a recording as its own numbered placeholder,
 * `"<redacted:1>"`, `"<redacted:2>"`, …, the same number wherever the value appears (the
 * token a response returned and the same token in a later request). In one `Replay`
 * client, a numbered placeholder binds on its first match to the value the request
 * carries and then matches only that value; a value bound to one placeholder matches no
 * other; and a request value that is itself `"<redacted:N>"` (what a replayed body handed
 * the app) matches only placeholder N. So a replayed login cannot answer one user's code
 * with another's token, and a retry with a stale token does not match a recorded success.
 *
 * @since 0.1.0
 */
import * as Compat from "#compat"
import type { HttpClientRequest } from "#compat"
import { Schema } from "effect"

/**
 * @since 0.1.0
 * @category schemas
 */
export const RequestMatcher = Schema.Struct({
  method: Compat.optionalDefault(Compat.literals("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"), () => "GET" as const),
  /** The host the request goes to, `name[:port]` as in a URL; absent, any host. The Recorder writes it. */
  host: Schema.optional(Schema.String),
  /** Path under the host, with or without a leading slash. */
  path: Schema.String,
  query: Schema.optional(Compat.record(Schema.String, Schema.String)),
  /** JSON body fields (POST). */
  body: Schema.optional(Compat.record(Schema.String, Schema.Unknown)),
  /**
   * The request's query keys and JSON body keys must be exactly the listed ones (the
   * Recorder writes `true`); otherwise fields not listed are not checked.
   */
  exact: Schema.optional(Schema.Boolean)
})

/**
 * @since 0.1.0
 * @category models
 */
export type RequestMatcher = typeof RequestMatcher.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const RecordedResponse = Schema.Struct({
  status: Compat.optionalDefault(Compat.intBetween(200, 599), () => 200),
  headers: Compat.optionalDefault(Compat.record(Schema.String, Schema.String), () => ({})),
  /** The raw body text, byte for byte (WeChat's quirks included). */
  body: Compat.optionalDefault(Schema.String, () => ""),
  /** Milliseconds to wait before answering (on Effect's clock, so `TestClock` drives it). */
  delayMillis: Schema.optional(Compat.NonNegativeInt)
})

/**
 * @since 0.1.0
 * @category models
 */
export type RecordedResponse = typeof RecordedResponse.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const Interaction = Schema.Struct({
  request: RequestMatcher,
  response: RecordedResponse,
  /** Answer every matching request, not just the first. */
  repeat: Schema.optional(Schema.Boolean)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Interaction = typeof Interaction.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const Cassette = Schema.Struct({ interactions: Schema.Array(Interaction) })

/**
 * @since 0.1.0
 * @category models
 */
export type Cassette = typeof Cassette.Type

/**
 * A cassette as written by hand, with defaults left out.
 *
 * @since 0.1.0
 * @category models
 */
export type CassetteInput = typeof Cassette.Encoded

/**
 * Field names whose values are secrets, in requests and responses.
 *
 * @since 0.1.0
 * @category masking
 */
export const secretKeys: ReadonlySet<string> = new Set([
  "secret",
  "appsecret",
  "access_token",
  "refresh_token",
  "session_key",
  "ticket",
  "jsapi_ticket",
  "code",
  "js_code",
  // wxa/checksession's HMAC made with the session_key
  "signature"
])

/**
 * The placeholder that replaces a secret; as a matcher it matches anything.
 *
 * @since 0.1.0
 * @category masking
 */
export const MASK = "<redacted>"

/**
 * Masks the values of {@link secretKeys} in a flat record.
 *
 * @since 0.1.0
 * @category masking
 */
export const maskRecord = <V>(record: Readonly<Record<string, V>>): Record<string, V | string> => {
  const out: Record<string, V | string> = {}
  for (const key in record) out[key] = secretKeys.has(key) ? MASK : record[key]!
  return out
}

/**
 * The placeholder `Recorder` writes for the `n`-th distinct secret value of a recording.
 * As a matcher it binds, on its first match, to the value the request carries (see
 * {@link matchWith}).
 *
 * @since 0.4.0
 * @category masking
 */
export const placeholder = (n: number): string => `<redacted:${n}>`

const PLACEHOLDER = /^<redacted:(\d+)>$/

/**
 * The number of a numbered placeholder (`"<redacted:3>"` → 3), or `undefined` for any other value.
 *
 * @since 0.4.0
 * @category masking
 */
export const placeholderNumber = (value: unknown): number | undefined => {
  if (typeof value !== "string") return undefined
  const match = PLACEHOLDER.exec(value)
  return match === null ? undefined : Number(match[1])
}

/**
 * Which request value each numbered placeholder stands for, one to one, as a replay has
 * seen them so far (values as JSON text).
 *
 * @since 0.4.0
 * @category matching
 */
export interface Bindings {
  readonly values: ReadonlyMap<number, string>
  readonly placeholders: ReadonlyMap<string, number>
}

/**
 * No placeholder bound yet.
 *
 * @since 0.4.0
 * @category matching
 */
export const emptyBindings: Bindings = { values: new Map(), placeholders: new Map() }

const normalizePath = (path: string) => path.replace(/^\/+/, "")

const sameKeys = (listed: object, sent: object): boolean => {
  const keys = Object.keys(sent)
  return keys.length === Object.keys(listed).length && keys.every((key) => Object.hasOwn(listed, key))
}

/**
 * Whether a request matches a matcher, given what the numbered placeholders are bound to:
 * the bindings after the match (those before plus any the match made), or `undefined`.
 *
 * - `"*"` and `"<redacted>"` match any value;
 * - `"<redacted:N>"` matches the value N is bound to; unbound, it matches (and binds to) a
 *   value not bound to another placeholder; a value that is itself `"<redacted:M>"` (a
 *   secret a replayed body handed the app) matches it only when M is N;
 * - anything else matches an equal value.
 *
 * @since 0.4.0
 * @category matching
 */
export const matchWith = (matcher: RequestMatcher, request: RequestShape, bindings: Bindings): Bindings | undefined => {
  let values: Map<number, string> | undefined
  let placeholders: Map<string, number> | undefined
  const bind = (n: number, actual: unknown): boolean => {
    const carried = placeholderNumber(actual)
    if (carried !== undefined) return carried === n
    const key = JSON.stringify(actual)
    const bound = (values ?? bindings.values).get(n)
    if (bound !== undefined) return bound === key
    if ((placeholders ?? bindings.placeholders).has(key)) return false
    values ??= new Map(bindings.values)
    placeholders ??= new Map(bindings.placeholders)
    values.set(n, key)
    placeholders.set(key, n)
    return true
  }
  const matchesValue = (expected: unknown, actual: unknown): boolean => {
    if (expected === "*" || expected === MASK) return true
    const n = placeholderNumber(expected)
    return n === undefined ? JSON.stringify(expected) === JSON.stringify(actual) : bind(n, actual)
  }
  if (matcher.method !== request.method) return undefined
  if (normalizePath(matcher.path) !== normalizePath(request.path)) return undefined
  if (matcher.host !== undefined && matcher.host.toLowerCase() !== request.host?.toLowerCase()) return undefined
  if (matcher.exact === true && (!sameKeys(matcher.query ?? {}, request.query) || !sameKeys(matcher.body ?? {}, request.body ?? {}))) {
    return undefined
  }
  for (const key in matcher.query ?? {}) {
    if (!(key in request.query) || !matchesValue(matcher.query![key], request.query[key])) return undefined
  }
  for (const key in matcher.body ?? {}) {
    if (request.body === undefined || !(key in request.body) || !matchesValue(matcher.body![key], request.body[key])) {
      return undefined
    }
  }
  return values === undefined || placeholders === undefined ? bindings : { values, placeholders }
}

/**
 * Whether a request (method, path, query, parsed JSON body) matches a matcher on its own
 * (no placeholder bound beforehand).
 *
 * @since 0.1.0
 * @category matching
 */
export const matches = (matcher: RequestMatcher, request: RequestShape): boolean =>
  matchWith(matcher, request, emptyBindings) !== undefined

/**
 * The parts of an outgoing request that matching looks at.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestShape {
  readonly method: string
  /** `name[:port]`, as in a URL (what a matcher's `host` is compared with). */
  readonly host?: string | undefined
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly body: Readonly<Record<string, unknown>> | undefined
}

/**
 * Reads the method, path, query and JSON body of an outgoing request.
 *
 * @since 0.1.0
 * @category matching
 */
export const shapeOf = (request: HttpClientRequest.HttpClientRequest, url: URL): RequestShape => {
  const query: Record<string, string> = {}
  url.searchParams.forEach((value, key) => {
    query[key] = value
  })
  let body: Record<string, unknown> | undefined
  if (request.body._tag === "Uint8Array") {
    try {
      const parsed: unknown = JSON.parse(new TextDecoder().decode(request.body.body))
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>
    } catch {
      body = undefined
    }
  }
  return { method: request.method, host: url.host, path: url.pathname, query, body }
}

/**
 * A request described for a human, secrets masked.
 *
 * @since 0.1.0
 * @category matching
 */
export const describe = (shape: RequestShape): string => {
  const query = new URLSearchParams(maskRecord(shape.query)).toString().replace(/%3Credacted%3E/g, MASK)
  return `${shape.method} ${shape.host === undefined ? "" : `//${shape.host}/`}${shape.path.replace(/^\/+/, "")}${query === "" ? "" : `?${query}`}` +
    (shape.body === undefined ? "" : ` ${JSON.stringify(maskRecord(shape.body))}`)
}

const NULL_BODY: ReadonlySet<number> = new Set([204, 205, 304])

/**
 * A web `Response` for a recorded or emulated answer (statuses that carry no body get none).
 *
 * @since 0.1.0
 * @category responses
 */
export const webResponse = (status: number, body: string, headers: HeadersInit): Response =>
  new Response(NULL_BODY.has(status) ? null : body, { status, headers })
