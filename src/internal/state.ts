/**
 * Signed, stateless OAuth `state` values: at most 128 characters of `[A-Za-z0-9]` (what
 * WeChat accepts), carrying a version, an expiry, a random nonce, an optional session tag
 * and an optional return path, MACed with HMAC-SHA256.
 *
 * Layout (bytes, before encoding): `flags(1) expiry(4, seconds, big-endian) nonce(12)
 * [sessionTag(8)] [returnTo(…, UTF-8)] mac(16)`. The session tag is an HMAC of the session
 * id, so a state made for one session cannot be verified with another. Encoding: base62,
 * 8-byte blocks to 11 characters (a short last block to fewer), so every state has exactly
 * one spelling and any changed character changes the bytes or is refused.
 * @internal
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const INDEX = new Map([...ALPHABET].map((c, i) => [c, BigInt(i)]))
/** Characters for a block of 1..8 bytes: ceil(8k / log2 62). */
const CHARS = [0, 2, 3, 5, 6, 7, 9, 10, 11]
const BYTES_FOR_CHARS = new Map<number, number>(CHARS.flatMap((c, k) => (c === 0 ? [] : [[c, k] as const])))

export const MAX_STATE_LENGTH = 128
const VERSION = 1
const FLAG_SESSION = 0x01
const FLAG_RETURN = 0x02
const NONCE_BYTES = 12
const TAG_BYTES = 8
const MAC_BYTES = 16
const FIXED_BYTES = 1 + 4 + NONCE_BYTES + MAC_BYTES
/** 128 characters hold 93 bytes (11 blocks of 8, then 5). */
export const MAX_RETURN_TO_BYTES = 93 - FIXED_BYTES - TAG_BYTES

export const encode = (bytes: Uint8Array): string => {
  let out = ""
  for (let offset = 0; offset < bytes.length; offset += 8) {
    const block = bytes.subarray(offset, offset + 8)
    let n = 0n
    for (const b of block) n = (n << 8n) | BigInt(b)
    let chunk = ""
    for (let i = 0; i < CHARS[block.length]!; i++) {
      chunk = ALPHABET[Number(n % 62n)]! + chunk
      n /= 62n
    }
    out += chunk
  }
  return out
}

export const decode = (text: string): Buffer | undefined => {
  const out: Array<number> = []
  for (let offset = 0; offset < text.length; offset += 11) {
    const chunk = text.slice(offset, offset + 11)
    const size = BYTES_FOR_CHARS.get(chunk.length)
    if (size === undefined) return undefined
    let n = 0n
    for (const c of chunk) {
      const digit = INDEX.get(c)
      if (digit === undefined) return undefined
      n = n * 62n + digit
    }
    if (n >= 1n << BigInt(8 * size)) return undefined // not a spelling this encoder makes
    for (let i = size - 1; i >= 0; i--) out.push(Number((n >> BigInt(8 * i)) & 0xffn))
  }
  return Buffer.from(out)
}

const mac = (key: Buffer, body: Uint8Array) => createHmac("sha256", key).update(body).digest().subarray(0, MAC_BYTES)
const sessionTag = (key: Buffer, session: string) =>
  createHmac("sha256", key).update("session\u0000").update(session, "utf8").digest().subarray(0, TAG_BYTES)

/** A relative path on this site: `/…`, not `//…` or `/\…`, no control characters or backslashes. */
export const isRelativePath = (path: string): boolean => {
  if (!path.startsWith("/") || path.startsWith("//") || /[\u0000-\u001f\u007f\\]/.test(path)) return false
  try {
    const url = new URL(path, "http://same.invalid")
    // "/.//evil.com" resolves to the path "//evil.com": harmless in a browser, but an app
    // that normalises the path and redirects to the result would leave the site
    return url.origin === "http://same.invalid" && !url.pathname.startsWith("//")
  } catch {
    return false
  }
}

export interface Payload {
  readonly expiresAt: number
  readonly nonce: string
  readonly session: string | undefined
  readonly returnTo: string | undefined
}

/** Builds a state; the caller has checked `returnTo` (a relative path that fits). */
export const make = (key: Buffer, payload: Omit<Payload, "nonce">): { readonly state: string; readonly nonce: string } => {
  const nonce = randomBytes(NONCE_BYTES)
  const returnTo = payload.returnTo === undefined ? undefined : Buffer.from(payload.returnTo, "utf8")
  const head = Buffer.alloc(5)
  head[0] = (VERSION << 4) | (payload.session === undefined ? 0 : FLAG_SESSION) | (returnTo === undefined ? 0 : FLAG_RETURN)
  head.writeUInt32BE(Math.ceil(payload.expiresAt / 1000), 1)
  const body = Buffer.concat([
    head,
    nonce,
    payload.session === undefined ? Buffer.alloc(0) : sessionTag(key, payload.session),
    returnTo ?? Buffer.alloc(0)
  ])
  return { state: encode(Buffer.concat([body, mac(key, body)])), nonce: nonce.toString("hex") }
}

export type Failure = "malformed" | "tampered" | "expired" | "other-session"

export interface Verified {
  readonly expiresAt: number
  readonly nonce: string
  readonly sessionBound: boolean
  readonly returnTo: string | undefined
}

/** Verifies a state against the keys (any may have signed it), the clock and the session. */
export const verify = (
  keys: ReadonlyArray<Buffer>,
  state: string,
  now: number,
  expect: { readonly session: string | undefined; readonly cookieless: boolean }
): Verified | Failure => {
  if (state.length === 0 || state.length > MAX_STATE_LENGTH) return "malformed"
  const bytes = decode(state)
  if (bytes === undefined || bytes.length < FIXED_BYTES || bytes[0]! >> 4 !== VERSION) return "malformed"
  const flags = bytes[0]! & 0x0f
  if ((flags & ~(FLAG_SESSION | FLAG_RETURN)) !== 0) return "malformed"
  const bound = (flags & FLAG_SESSION) !== 0
  const body = bytes.subarray(0, bytes.length - MAC_BYTES)
  const given = bytes.subarray(bytes.length - MAC_BYTES)
  const key = keys.find((k) => timingSafeEqual(mac(k, body), given))
  if (key === undefined) return "tampered"
  const tagEnd = 5 + NONCE_BYTES + (bound ? TAG_BYTES : 0)
  if (body.length < tagEnd || ((flags & FLAG_RETURN) !== 0) !== body.length > tagEnd) return "malformed"
  const expiresAt = body.readUInt32BE(1) * 1000
  if (now >= expiresAt) return "expired"
  if (bound) {
    if (expect.session === undefined) return "other-session"
    if (!timingSafeEqual(sessionTag(key, expect.session), body.subarray(5 + NONCE_BYTES, tagEnd))) return "other-session"
  } else if (!expect.cookieless) {
    return "other-session"
  }
  const returnTo = body.length > tagEnd ? body.subarray(tagEnd).toString("utf8") : undefined
  if (returnTo !== undefined && !isRelativePath(returnTo)) return "malformed"
  return { expiresAt, nonce: body.subarray(5, 5 + NONCE_BYTES).toString("hex"), sessionBound: bound, returnTo }
}
