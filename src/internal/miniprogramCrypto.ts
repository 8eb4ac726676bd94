/**
 * The mini program's open-data cryptography, without I/O (docs/miniprogram.md §3): strict
 * base64, AES-128-CBC with a strictly checked PKCS#7 padding, the watermark checks, and
 * `wxa/checksession`'s signature. A failure is a reason and a description that never
 * holds a key, an IV or any of the plaintext.
 * @internal
 */
import * as Compat from "#compat"
import { createDecipheriv, createHmac } from "node:crypto"

/** Why open data could not be read (the `reason` of `MiniProgram.DecryptError`). */
export const REASONS = [
  "bad-base64",
  "bad-key",
  "bad-iv",
  "bad-length",
  "undecryptable",
  "watermark-missing",
  "watermark-mismatch",
  "watermark-expired",
  "schema",
  "no-session-key",
  "stale-session-key"
] as const

export type Reason = typeof REASONS[number]

export interface Failure {
  readonly reason: Reason
  readonly detail: string
}

const failure = (reason: Reason, detail: string): Compat.Result<never, Failure> => Compat.Result.fail({ reason, detail })

/** Standard base64 (`+`, `/`, `=` padding), as WeChat writes `session_key`, `iv` and `encryptedData`. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Decodes standard base64, refusing (never repairing) anything else. */
export const base64 = (field: string, text: string): Compat.Result<Buffer, Failure> => {
  if (text === "") return failure("bad-base64", `${field} is empty`)
  if (BASE64.test(text)) return Compat.Result.succeed(Buffer.from(text, "base64"))
  const hint = /\s/.test(text)
    ? ": it holds whitespace (a + turned into a space on the way? send it in a JSON body, not a URL-encoded form)"
    : /[-_]/.test(text)
    ? ": it holds - or _ (URL-safe base64), where WeChat writes + and /"
    : ""
  return failure("bad-base64", `${field} is not standard base64${hint}`)
}

const UNDECRYPTABLE = "the data does not decrypt to a JSON object under this session_key and IV: most often a " +
  "session_key replaced by a newer wx.login, or the data was damaged or forged"

/**
 * AES-128-CBC without a MAC, to the JSON object inside. Every way the content can be wrong
 * (the PKCS#7 padding, UTF-8, JSON, not an object) is one failure, with one text, after the
 * same steps: telling a bad padding from bad content, by the reason or by the time taken,
 * would be a padding oracle, with which anyone who sees the errors can forge data that
 * decrypts to what they choose (a phone number, say) without knowing the key.
 */
const decryptObject = (key: Buffer, iv: Buffer, ciphertext: Buffer): Compat.Result<Record<string, unknown>, Failure> => {
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
    return failure("bad-length", `encryptedData is ${ciphertext.length} bytes, not a whole number of 16-byte AES blocks (truncated?)`)
  }
  const decipher = createDecipheriv("aes-128-cbc", key, iv).setAutoPadding(false)
  const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()])
  try {
    const n = padded[padded.length - 1]!
    // strict PKCS#7: 1 to 16 bytes, all equal to their count (lenient unpadding hides a wrong key)
    let valid = n >= 1 && n <= 16
    for (let i = padded.length - n; valid && i < padded.length; i++) valid = padded[i] === n
    let parsed: unknown = undefined
    try {
      parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(padded.subarray(0, padded.length - (valid ? n : 0))))
    } catch {
      parsed = undefined
    }
    if (!valid || typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return failure("undecryptable", UNDECRYPTABLE)
    return Compat.Result.succeed(parsed as Record<string, unknown>)
  } finally {
    padded.fill(0)
  }
}

/** Decrypts open data to its JSON object. */
export const open = (sessionKey: string, iv: string, encryptedData: string): Compat.Result<Record<string, unknown>, Failure> =>
  Compat.Result.flatMap(base64("sessionKey", sessionKey), (key) => {
    try {
      if (key.length !== 16) return failure("bad-key", `sessionKey decodes to ${key.length} bytes; an AES-128 session_key is 16`)
      return Compat.Result.flatMap(base64("iv", iv), (ivBytes) =>
        ivBytes.length !== 16
          ? failure("bad-iv", `iv decodes to ${ivBytes.length} bytes; it must be 16`)
          : Compat.Result.flatMap(base64("encryptedData", encryptedData), (ciphertext) => decryptObject(key, ivBytes, ciphertext)))
    } finally {
      key.fill(0)
    }
  })

const APP_ID = /^wx[0-9a-f]{16}$/

/** How far ahead of our clock a watermark may be, with an age limit set (clocks drift). */
const FUTURE_SKEW_MILLIS = 5 * 60 * 1000

/** How the watermark is checked. */
export interface WatermarkPolicy {
  /** Fail when there is no watermark (an age limit needs one too). */
  readonly required: boolean
  /** The oldest acceptable `watermark.timestamp`, in millis; none = any age. */
  readonly maxAgeMillis: number | undefined
  readonly now: number
}

/**
 * A watermark that is present must name `appId` (and be young enough when an age limit is
 * set); one that is absent is accepted unless required.
 */
export const checkWatermark = (data: Record<string, unknown>, appId: string, policy: WatermarkPolicy): Compat.Result<void, Failure> => {
  const watermark = data["watermark"]
  if (watermark === undefined) {
    if (policy.required) return failure("watermark-missing", "the data carries no watermark, so it cannot be tied to this app")
    if (policy.maxAgeMillis !== undefined) return failure("watermark-missing", "the data carries no watermark, so its age (maxAge) cannot be checked")
    return Compat.Result.void
  }
  if (typeof watermark !== "object" || watermark === null) return failure("watermark-mismatch", "the watermark is not an object")
  const appid = "appid" in watermark ? watermark.appid : undefined
  if (appid !== appId) {
    const named = typeof appid === "string" && APP_ID.test(appid) ? appid : "no app id"
    return failure("watermark-mismatch", `the watermark names ${named}, not this app (${appId}): the data was made for another app`)
  }
  if (policy.maxAgeMillis !== undefined) {
    const timestamp = "timestamp" in watermark ? watermark.timestamp : undefined
    if (typeof timestamp !== "number" || !Number.isFinite(timestamp)) return failure("watermark-expired", "the watermark has no timestamp to check its age against")
    const age = policy.now - timestamp * 1000
    // a clock a few minutes apart is WeChat's or ours; a watermark from further ahead is not WeChat's
    if (age < -FUTURE_SKEW_MILLIS) {
      return failure("watermark-expired", `the watermark.timestamp is ${Math.round(-age / 1000)} s in the future: it was not made by WeChat now`)
    }
    if (age > policy.maxAgeMillis) {
      return failure("watermark-expired", `the data is ${Math.round(age / 1000)} s old (watermark.timestamp), over maxAge ${Math.round(policy.maxAgeMillis / 1000)} s`)
    }
  }
  return Compat.Result.void
}

/**
 * `wxa/checksession`'s signature: HMAC-SHA256 of the empty string, keyed by the
 * session_key's text exactly as `jscode2session` returned it (not its decoded bytes),
 * lowercase hex.
 */
export const sessionSignature = (sessionKey: string): string => createHmac("sha256", Buffer.from(sessionKey, "utf8")).update("").digest("hex")
