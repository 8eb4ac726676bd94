/**
 * The one decoding path every endpoint uses: WeChat's body → typed value or typed error.
 *
 * Rules (see `docs/errors.md`):
 * - the body is JSON whatever the `Content-Type` says, and raw control characters inside
 *   strings (seen in nicknames) are tolerated;
 * - failure = `errcode` present and non-zero (a numeric string counts);
 * - success = `errcode` absent or `0`, and the schema's fields present;
 * - an empty or non-JSON body, or a success body missing fields → `WechatDecodeError`.
 *
 * @since 0.1.0
 */
import * as Compat from "#compat"
import { scrub } from "./internal/scrub.js"
import { type ErrcodeError, fromErrcode, WechatDecodeError } from "./WechatError.js"

/**
 * Escapes raw U+0000–U+001F characters that appear inside JSON strings, leaving the
 * structure (and whitespace between tokens) untouched.
 *
 * @since 0.1.0
 * @category parsing
 */
export const escapeControlCharacters = (text: string): string => {
  let out = ""
  let start = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) {
        i++ // skip the escaped character
      } else if (c === 0x22) {
        inString = false
      } else if (c < 0x20) {
        out += text.slice(start, i) + "\\u" + c.toString(16).padStart(4, "0")
        start = i + 1
      }
    } else if (c === 0x22) {
      inString = true
    }
  }
  return start === 0 ? text : out + text.slice(start)
}

/**
 * Parses a WeChat body as JSON, tolerating raw control characters inside strings.
 * Strict `JSON.parse` is tried first, so well-formed bodies pay nothing extra.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseJson = (text: string): Compat.Result<unknown, string> => {
  if (text.trim() === "") return Compat.Result.fail("empty body")
  try {
    return Compat.Result.succeed(JSON.parse(text))
  } catch {
    try {
      return Compat.Result.succeed(JSON.parse(escapeControlCharacters(text)))
    } catch {
      return Compat.Result.fail(`body is not JSON (${text.length} characters)`)
    }
  }
}

const errcodeOf = (body: Record<string, unknown>): number | undefined => {
  const raw = body["errcode"]
  if (raw === undefined || raw === null) return undefined
  // a string errcode is read as a decimal integer only (`Number` would read "0x9c9d" as 40093)
  const n = typeof raw === "number" ? raw : typeof raw === "string" && /^\s*-?\d{1,12}\s*$/.test(raw) ? Number(raw) : NaN
  return Number.isInteger(n) ? n : NaN
}

/**
 * Describes a parse failure by field paths only: WeChat bodies hold secrets, so no value
 * from the body appears in the description.
 *
 * @since 0.1.0
 * @category parsing
 */
export const describeParseError = (error: Compat.ParseError): string => [
  // once each: Effect 3 reports a field once per member of a union it failed
  ...new Set(Compat.issuesOf(error).map((issue) => {
    const path = issue.path.length === 0 ? "body" : issue.path.map(String).join(".")
    return `${path} ${issue.missing ? "is missing" : "has an unexpected value"}`
  }))
].join("; ")

/**
 * A compiled decoder for one endpoint's success schema. `secrets` (asked for only when the
 * body is an errcode answer) are removed from `errmsg` before the error is built, so an
 * upstream that echoes the request cannot put a secret into an error, a log or a span.
 *
 * @since 0.1.0
 * @category models
 */
export type Decoder<A> = (
  endpoint: string,
  text: string,
  secrets?: () => ReadonlyArray<string>
) => Compat.Result<A, ErrcodeError | WechatDecodeError>

/**
 * Options of {@link decoder}.
 *
 * @since 0.4.0
 * @category models
 */
export interface DecoderOptions<A> {
  /**
   * Builds the value straight from the common shape of a success body (every field of the
   * expected type, nothing to convert but what the schema converts), or answers
   * `undefined` for anything else, which the schema then decodes and, if need be, reports.
   * Where it answers, it must give what the schema would: it exists because a schema
   * decode costs a hot endpoint more than its request's own parsing.
   */
  readonly fast?: ((body: Record<string, unknown>) => A | undefined) | undefined
}

/**
 * Compiles the decoder for a success schema (whose encoded side is WeChat's wire form).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { WechatDecode } from "effect-wechat"
 *
 * const decode = WechatDecode.decoder(Schema.Struct({ ticket: Schema.String }))
 * decode("cgi-bin/ticket/getticket", '{"errcode":0,"errmsg":"ok","ticket":"t"}')
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const decoder = <A, I>(schema: Compat.Codec<A, I>, options?: DecoderOptions<A>): Decoder<A> => {
  const decodeSuccess = Compat.decodeUnknownResult(schema)
  const fast = options?.fast
  return (endpoint, text, secrets) => {
    const parsed = parseJson(text)
    if (Compat.Result.isFailure(parsed)) {
      return Compat.Result.fail(new WechatDecodeError({ endpoint, detail: Compat.Result.failure(parsed), action: "stop" }))
    }
    const body = Compat.Result.success(parsed)
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return Compat.Result.fail(new WechatDecodeError({ endpoint, detail: "body is not a JSON object", action: "stop" }))
    }
    const record = body as Record<string, unknown>
    const errcode = errcodeOf(record)
    if (errcode !== undefined && errcode !== 0) {
      if (Number.isNaN(errcode)) {
        return Compat.Result.fail(new WechatDecodeError({ endpoint, detail: "errcode is not an integer", action: "stop" }))
      }
      const raw = record["errmsg"]
      const errmsg = typeof raw === "string" ? raw : raw === undefined || raw === null ? "" : JSON.stringify(raw)
      return Compat.Result.fail(fromErrcode(endpoint, errcode, secrets === undefined ? errmsg : scrub(errmsg, secrets())))
    }
    const built = fast === undefined ? undefined : fast(record)
    if (built !== undefined) return Compat.Result.succeed(built)
    return Compat.Result.mapError(
      decodeSuccess(record),
      (error) => new WechatDecodeError({ endpoint, detail: describeParseError(error), action: "stop" })
    )
  }
}
