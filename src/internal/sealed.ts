/**
 * Typed, sealed access to store entries: a value is encoded with its schema, sealed with
 * the app's store key (bound to the entry's key) and only then handed to the store. A raw
 * value that fails to open or decode reads as absent. Codecs are compiled once per schema.
 * @internal
 */
import * as Compat from "#compat"
import { Effect, Option, Schema } from "effect"
import * as TokenStore from "../TokenStore.js"
import type { Keys } from "./keys.js"

export interface Codec<A> {
  /** Decodes a raw stored value (as `store.get` returned it). */
  readonly open: (keys: Pick<Keys, "open">, k: string, raw: string) => Option.Option<A>
  readonly get: (store: TokenStore.Service, keys: Keys, k: string) => Effect.Effect<Option.Option<A>, TokenStore.TokenStoreError>
  /** The sealed text for `value` (what `set` stores). */
  readonly seal: (keys: Keys, k: string, value: A) => Compat.Result<string, TokenStore.TokenStoreError>
  readonly set: (
    store: TokenStore.Service,
    keys: Keys,
    k: string,
    value: A,
    ttl: Parameters<TokenStore.Service["set"]>[2]
  ) => Effect.Effect<void, TokenStore.TokenStoreError>
}

export const codec = <A, I>(schema: Compat.Codec<A, I>): Codec<A> => {
  const json = Compat.parseJson(schema)
  const decode = Schema.decodeUnknownOption(json)
  const encode = Compat.encodeResult(json)
  const open = (keys: Pick<Keys, "open">, k: string, raw: string): Option.Option<A> => {
    const text = keys.open(k, raw)
    return text === undefined ? Option.none() : decode(text)
  }
  const seal = (keys: Keys, k: string, value: A) =>
    Compat.Result.map(
      Compat.Result.mapError(encode(value), (e) => new TokenStore.TokenStoreError({ operation: "encode", detail: e.message })),
      (text) => keys.seal(k, text)
    )
  return {
    open,
    get: (store, keys, k) => Effect.map(store.get(k), Option.flatMap((raw) => open(keys, k, raw))),
    seal,
    set: (store, keys, k, value, ttl) =>
      Compat.Result.match(seal(keys, k, value), {
        onFailure: Effect.fail,
        onSuccess: (text) => store.set(k, text, ttl)
      })
  }
}
