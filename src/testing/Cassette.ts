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
 * are not checked). Each interaction answers once, in file order, unless `repeat` is true.
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
  /** Path under the host, with or without a leading slash. */
  path: Schema.String,
  query: Schema.optional(Compat.record(Schema.String, Schema.String)),
  /** JSON body fields (POST). */
  body: Schema.optional(Compat.record(Schema.String, Schema.Unknown))
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

const matchesValue = (expected: unknown, actual: unknown): boolean =>
  expected === "*" || expected === MASK || JSON.stringify(expected) === JSON.stringify(actual)

const normalizePath = (path: string) => path.replace(/^\/+/, "")

/**
 * Whether a request (method, path, query, parsed JSON body) matches a matcher.
 *
 * @since 0.1.0
 * @category matching
 */
export const matches = (
  matcher: RequestMatcher,
  request: {
    readonly method: string
    readonly path: string
    readonly query: Readonly<Record<string, string>>
    readonly body: Readonly<Record<string, unknown>> | undefined
  }
): boolean => {
  if (matcher.method !== request.method) return false
  if (normalizePath(matcher.path) !== normalizePath(request.path)) return false
  for (const key in matcher.query ?? {}) {
    if (!(key in request.query) || !matchesValue(matcher.query![key], request.query[key])) return false
  }
  for (const key in matcher.body ?? {}) {
    if (request.body === undefined || !(key in request.body) || !matchesValue(matcher.body![key], request.body[key])) {
      return false
    }
  }
  return true
}

/**
 * The parts of an outgoing request that matching looks at.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestShape {
  readonly method: string
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
  return { method: request.method, path: url.pathname, query, body }
}

/**
 * A request described for a human, secrets masked.
 *
 * @since 0.1.0
 * @category matching
 */
export const describe = (shape: RequestShape): string => {
  const query = new URLSearchParams(maskRecord(shape.query)).toString().replace(/%3Credacted%3E/g, MASK)
  return `${shape.method} ${shape.path}${query === "" ? "" : `?${query}`}` +
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
