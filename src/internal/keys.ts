/**
 * The keys a configured app uses: HMAC keys for signed `state` (first signs, all verify)
 * and the AES-256-GCM key that seals what the library stores (`storeKey` seals and opens;
 * `previousStoreKeys` open kept sessions only). Each is derived with HKDF from its secret
 * (`stateKeys` / `storeKey`, or the app secret), once per config.
 * @internal
 */
import { Redacted } from "effect"
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, type KeyObject, randomFillSync } from "node:crypto"
import type { Service as WechatConfigService } from "../WechatConfig.js"

export interface Keys extends Opener {
  /** HMAC-SHA256 keys for `state`: the first signs, all verify. */
  readonly state: ReadonlyArray<Buffer>
  /** Seals stored values with `storeKey`; `context` (the store key) is bound to the value. */
  readonly seal: (context: string, plaintext: string) => string
  /**
   * Each of `previousStoreKeys`, newest first. Only kept mini-program sessions are read
   * with them (what cannot be fetched again); tokens, tickets and exchange results
   * sealed under an older key read as absent and are fetched again.
   */
  readonly previous: ReadonlyArray<Opener>
}

/** One store key's opening and digest. */
export interface Opener {
  /** Opens a stored value sealed with this key. */
  readonly open: (context: string, sealed: string) => string | undefined
  /** A keyed digest (hex) for store-key ids and bindings: equal inputs, equal digests. */
  readonly digest: (label: string, value: string) => string
}

const derive = (secret: Redacted.Redacted<string>, info: string): Buffer =>
  Buffer.from(hkdfSync("sha256", Redacted.value(secret), "effect-wechat", info, 32))

/** A derived key as a `KeyObject`: a cipher or an HMAC made from it skips re-importing the bytes. */
const deriveKey = (secret: Redacted.Redacted<string>, info: string): KeyObject => createSecretKey(derive(secret, info))

const SEALED_PREFIX = "s1."
const IV_BYTES = 12
const TAG_BYTES = 16

// GCM nonces are taken from a pool filled by the CSPRNG, 4 KiB at a time (as signing takes
// its nonces): one system call per 341 seals instead of one each. A nonce is used once:
// each is copied out of the pool before the pool is refilled.
const POOL_BYTES = 4096
const pool = Buffer.alloc(POOL_BYTES)
let poolOffset = POOL_BYTES

const nextIv = (): Buffer => {
  if (poolOffset + IV_BYTES > POOL_BYTES) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const iv = Buffer.from(pool.subarray(poolOffset, poolOffset + IV_BYTES))
  poolOffset += IV_BYTES
  return iv
}

/** Opening and digest under one store key. */
const opener = (storeKey: Redacted.Redacted<string>): Opener & { readonly sealKey: KeyObject } => {
  const sealKey = deriveKey(storeKey, "effect-wechat/store/v1")
  const digestKey = deriveKey(storeKey, "effect-wechat/digest/v1")
  return {
    sealKey,
    open: (context, sealed) => {
      if (!sealed.startsWith(SEALED_PREFIX)) return undefined
      const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), "base64url")
      if (raw.length < IV_BYTES + TAG_BYTES) return undefined
      try {
        const decipher = createDecipheriv("aes-256-gcm", sealKey, raw.subarray(0, IV_BYTES))
        decipher.setAAD(Buffer.from(context, "utf8"))
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES))
        return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString("utf8")
      } catch {
        return undefined // another key, another context, or a damaged value: absent
      }
    },
    digest: (label, value) => createHmac("sha256", digestKey).update(label).update("\u0000").update(value).digest("hex").slice(0, 32)
  }
}

const makeKeys = (config: WechatConfigService): Keys => {
  const current = opener(config.storeKey)
  const previous = (config.previousStoreKeys ?? []).map(opener)
  return {
    state: config.stateKeys.map((k) => derive(k, "effect-wechat/state/v1")),
    seal: (context, plaintext) => {
      const iv = nextIv()
      const cipher = createCipheriv("aes-256-gcm", current.sealKey, iv)
      cipher.setAAD(Buffer.from(context, "utf8"))
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()])
      return SEALED_PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url")
    },
    open: current.open,
    digest: current.digest,
    previous
  }
}

const cache = new WeakMap<WechatConfigService, Keys>()

/** The keys of a config, derived on first use. */
export const keysOf = (config: WechatConfigService): Keys => {
  let keys = cache.get(config)
  if (keys === undefined) {
    keys = makeKeys(config)
    cache.set(config, keys)
  }
  return keys
}
