/**
 * The steps of `MiniProgram.decrypt` and `decryptFor` before an error is built: inputs
 * checked at the boundary, the watermark policy from the options, and decryption →
 * watermark → schema, as a value or a reason. Nothing here holds on to a key.
 * @internal
 */
import * as Compat from "#compat"
import { Clock, Duration, Effect, Redacted } from "effect"
import { describeParseError } from "../WechatDecode.js"
import type { Action, InvalidArgument } from "../WechatError.js"
import * as Crypto from "./miniprogramCrypto.js"
import * as Validate from "./validate.js"
import { invalid } from "./validate.js"

const MAX_ENCRYPTED = 1024 * 1024

const text = (argument: string, value: unknown, max: number): Effect.Effect<string, InvalidArgument> =>
  typeof value !== "string"
    ? Effect.fail(invalid(argument, "must be a string"))
    : value.length > max
    ? Effect.fail(invalid(argument, `is ${value.length} characters, at most ${max} are accepted`))
    : Effect.succeed(value)

export const checkData = (data: unknown): Effect.Effect<{ readonly encryptedData: string; readonly iv: string }, InvalidArgument> =>
  typeof data !== "object" || data === null
    ? Effect.fail(invalid("data", "must be an object with encryptedData and iv"))
    : Effect.zipWith(
      text("encryptedData", "encryptedData" in data ? data.encryptedData : undefined, MAX_ENCRYPTED),
      text("iv", "iv" in data ? data.iv : undefined, 64),
      (encryptedData, iv) => ({ encryptedData, iv })
    )

export const policyOf = (
  options: { readonly watermark?: "required" | "if-present" | undefined; readonly maxAge?: Compat.DurationInput | undefined } | undefined
): Effect.Effect<Crypto.WatermarkPolicy, InvalidArgument> =>
  Effect.gen(function*() {
    if (options !== undefined && (typeof options !== "object" || options === null)) return yield* invalid("options", "must be an object")
    const watermark = yield* Validate.oneOf("watermark", options?.watermark ?? "if-present", ["required", "if-present"])
    const maxAge = options?.maxAge === undefined
      ? undefined
      : yield* Validate.duration("maxAge", options.maxAge, { min: "1 second", max: "3650 days", action: "stop" })
    return { required: watermark === "required", maxAgeMillis: maxAge === undefined ? undefined : Duration.toMillis(maxAge), now: yield* Clock.currentTimeMillis }
  })

export const ACTIONS: Readonly<Record<Crypto.Reason, Action>> = {
  "bad-base64": "stop",
  "bad-key": "stop",
  "bad-iv": "stop",
  "bad-length": "stop",
  undecryptable: "reauthorize",
  "watermark-missing": "stop",
  "watermark-mismatch": "stop",
  "watermark-expired": "reauthorize",
  schema: "stop",
  "no-session-key": "reauthorize",
  "stale-session-key": "reauthorize"
}

const schemaFailure = (error: Compat.ParseError): Crypto.Failure => {
  const issues = Compat.issuesOf(error)
  return issues.some((i) => i.missing && i.path.length === 1 && i.path[0] === "watermark")
    ? { reason: "watermark-missing", detail: "the data carries no watermark, and the schema requires one" }
    : { reason: "schema", detail: describeParseError(error).replace(/\bbody\b/g, "data") }
}

/** Decrypts, checks the watermark, decodes: the value, or why not. */
export const read = <A, I>(
  appId: string,
  sessionKey: Redacted.Redacted<string>,
  data: { readonly encryptedData: string; readonly iv: string },
  schema: Compat.Codec<A, I>,
  policy: Crypto.WatermarkPolicy
): Compat.Result<A, Crypto.Failure> =>
  Compat.Result.flatMap(Crypto.open(Redacted.value(sessionKey), data.iv, data.encryptedData), (json) =>
    Compat.Result.flatMap(Crypto.checkWatermark(json, appId, policy), () =>
      Compat.Result.mapError(Compat.decodeUnknownResult(schema)(json), schemaFailure)))
