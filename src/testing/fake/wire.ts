/**
 * How the fake writes answers: JSON the way WeChat sends it, errors with a rid, and the
 * shapes of the ids and tokens it hands out.
 * @internal
 */
import { createHash, randomBytes } from "node:crypto"
import type { FakeResponse } from "./model.js"

export const json = (value: unknown, contentType = "application/json; encoding=utf-8"): FakeResponse => ({
  _tag: "Response",
  status: 200,
  headers: { "content-type": contentType },
  body: typeof value === "string" ? value : JSON.stringify(value)
})

/** JSON as WeChat writes profiles: raw control characters in strings, escaped slashes. */
export const wechatJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/(\\\\)|\\u00([01][0-9a-f])|\\([bfnrt])/g, (match, backslash: string | undefined, hex: string | undefined, letter: string | undefined) => {
      if (backslash !== undefined) return match
      if (hex !== undefined) return String.fromCharCode(parseInt(hex, 16))
      return { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" }[letter as "b"]
    })
    .replace(/\//g, "\\/")

/** A token shaped like WeChat's: a numeric prefix, `_`, then base64url. */
export const token = (prefix: string): string => `${prefix}_${randomBytes(48).toString("base64url")}`

/** A random hex string of `bytes` bytes. */
export const hex = (bytes: number): string => randomBytes(bytes).toString("hex")

/** A stable 27-character id derived from its parts (openids, unionids). */
export const derive = (...parts: ReadonlyArray<string>): string =>
  createHash("sha1").update(parts.join("\u0000")).digest("base64url").slice(0, 27)

/** Writes errors as WeChat does: HTTP 200, text/plain, a rid suffix in either form, alternating. */
export const errorWriter = () => {
  let form = 0
  return (errcode: number, errmsg: string): FakeResponse => {
    const rid = `${hex(4)}-${hex(4)}-${hex(4)}`
    const suffix = form++ % 2 === 0 ? ` rid: ${rid}` : `, rid: ${rid}`
    return json({ errcode, errmsg: `${errmsg}${suffix}` }, "text/plain")
  }
}

/** A reply of the control API or the QR poll. */
export const reply = (status: number, value: unknown): FakeResponse => ({
  _tag: "Response",
  status,
  headers: { "content-type": "application/json", "cache-control": "no-store" },
  body: JSON.stringify(value)
})
