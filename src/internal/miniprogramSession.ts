/**
 * Where `MiniProgram.login` keeps a user's session_key: sealed in the `TokenStore`, under
 * a keyed digest of the openid (so the store's keys name no user). After `storeKey`
 * rotated, an entry kept under one of `previousStoreKeys` is still found, and the next
 * login keeps it under the new key. The entry holds the
 * current key and the one it replaced, which is only ever used to tell that data was
 * encrypted before the latest login (`stale-session-key`), never to return data.
 * @internal
 */
import * as Compat from "#compat"
import { Duration, Effect, Option, Redacted, Schema } from "effect"
import * as TokenStore from "../TokenStore.js"
import { type Service as WechatConfigService, WechatConfig } from "../WechatConfig.js"
import { keysOf, type Opener } from "./keys.js"
import * as Lock from "./lock.js"
import * as Sealed from "./sealed.js"

const Kept = Schema.Struct({ k: Schema.String, p: Schema.optional(Schema.String) })
const kept: Sealed.Codec<typeof Kept.Type> = Sealed.codec(Kept)

export interface KeptKeys {
  readonly current: Redacted.Redacted<string>
  /** The key the latest login replaced, if it differed. */
  readonly previous: Option.Option<Redacted.Redacted<string>>
}

const entryKey = (config: WechatConfigService, opener: Opener, openid: string) =>
  TokenStore.key(config.appId, "session_key", opener.digest("openid", openid))

interface Found {
  readonly entry: Option.Option<typeof Kept.Type>
  /** Where a raw value was found under one of `previousStoreKeys`, to remove once moved. */
  readonly moved: Option.Option<{ readonly key: string; readonly raw: string }>
}

/**
 * The entry kept for `openid`: under the store key, else under each of
 * `previousStoreKeys` in turn (kept before the key rotated; the next login moves it). The
 * first key under which a value is stored decides, even when that value does not open:
 * a damaged current entry never brings back an older one.
 */
const find = (store: TokenStore.Service, config: WechatConfigService, openid: string): Effect.Effect<Found, TokenStore.TokenStoreError> => {
  const keys = keysOf(config)
  const from = (i: number): Effect.Effect<Found, TokenStore.TokenStoreError> => {
    const opener = i < 0 ? keys : keys.previous[i]
    if (opener === undefined) return Effect.succeed({ entry: Option.none(), moved: Option.none() })
    const k = entryKey(config, opener, openid)
    return Effect.flatMap(store.get(k), (raw) =>
      Option.match(raw, {
        onNone: () => from(i + 1),
        onSome: (text) => Effect.succeed({ entry: kept.open(opener, k, text), moved: i < 0 ? Option.none() : Option.some({ key: k, raw: text }) })
      }))
  }
  return from(-1)
}

/** The keys kept for `openid`, if any. */
export const read = (openid: string): Effect.Effect<Option.Option<KeptKeys>, TokenStore.TokenStoreError, WechatConfig> =>
  Effect.flatMap(Effect.all([WechatConfig, TokenStore.TokenStore]), ([config, store]) =>
    Effect.map(find(store, config, openid), ({ entry }) => Option.map(entry, (entry) => ({
      current: Redacted.make(entry.k),
      previous: Option.map(Compat.fromNullable(entry.p), (p) => Redacted.make(p))
    }))))

/** A read and a write of one entry: how long the lock may be held, and waited for. */
const lockTtl = Duration.seconds(5)
const lockPatience = Duration.seconds(15)

/**
 * Keeps `sessionKey` as the current key of `openid` for `ttl`, remembering the one it
 * replaces; the key already replaced is not made current again. The read and the write
 * hold the entry's lock (the store's: cross-process on Redis), so two logins of one user
 * at once both count: the later one keeps the earlier one's key as the one it replaced.
 */
export const keep = (
  openid: string,
  sessionKey: Redacted.Redacted<string>,
  ttl: Duration.Duration
): Effect.Effect<void, TokenStore.TokenStoreError, WechatConfig> =>
  Effect.flatMap(Effect.all([WechatConfig, TokenStore.TokenStore]), ([config, store]) => {
    const keys = keysOf(config)
    const k = entryKey(config, keys, openid)
    const next = Redacted.value(sessionKey)
    const change = Effect.flatMap(find(store, config, openid), ({ entry: old, moved }) => {
      // the key a newer login replaced: a late duplicate of an older login (keys are random
      // 16 bytes, WeChat never hands one out again), which must not undo the newer one
      if (Option.isSome(old) && old.value.p === next) return Effect.void
      // repeated logins often return the same key: then the older previous one stays
      const previous = Option.match(old, {
        onNone: () => undefined,
        onSome: (entry) => (entry.k !== next ? entry.k : entry.p)
      })
      const write = kept.set(store, keys, k, previous === undefined ? { k: next } : { k: next, p: previous }, ttl)
      // moved to the new key: the copy sealed under the old one goes (it would expire anyway)
      return Option.match(moved, {
        onNone: () => write,
        onSome: ({ key, raw }) => Effect.andThen(write, Effect.ignore(store.compareAndDelete(key, raw)))
      })
    })
    return Lock.untilDone(Lock.holding(store, `${k}:lock`, lockTtl, change), {
      every: "10 millis",
      patience: lockPatience,
      what: "keeping a session_key"
    })
  })
