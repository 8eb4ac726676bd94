/**
 * Where tokens, tickets and code-exchange results live: in memory (the default), on
 * `@effect/platform`'s `KeyValueStore` (file system, or any store you plug in), or in
 * Redis (`effect-wechat/redis`), where many processes share them.
 *
 * Entries carry their expiry; a stored value that fails to decode is treated as absent.
 * The store also offers a lock (`acquireLock`, released or extended only by its holder),
 * which the Redis store makes cross-process, so many processes do one refresh between them.
 *
 * @since 0.1.0
 */
import { KeyValueStore } from "@effect/platform"
import { Clock, Context, Duration, Effect, Layer, Option, Schema } from "effect"
import { randomBytes } from "node:crypto"

/**
 * A store operation failed (unreachable, timed out, refused).
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenStoreError extends Schema.TaggedError<TokenStoreError>("effect-wechat/TokenStoreError")("TokenStoreError", {
  operation: Schema.String,
  detail: Schema.String
}) {
  /** @since 0.1.0 */
  override get message(): string {
    return `Token store ${this.operation} failed: ${this.detail}`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Whether other processes see the same entries (and locks). */
  readonly shared: boolean
  /** The value, or none when absent or expired. */
  readonly get: (key: string) => Effect.Effect<Option.Option<string>, TokenStoreError>
  readonly set: (key: string, value: string, ttl: Duration.DurationInput) => Effect.Effect<void, TokenStoreError>
  /** Deletes the entry only if it still holds `expected`. */
  readonly compareAndDelete: (key: string, expected: string) => Effect.Effect<boolean, TokenStoreError>
  /** Takes the lock if free; returns the holder's token. The lock ends by itself after `ttl`. */
  readonly acquireLock: (key: string, ttl: Duration.DurationInput) => Effect.Effect<Option.Option<string>, TokenStoreError>
  /** Releases the lock if `token` still holds it. */
  readonly releaseLock: (key: string, token: string) => Effect.Effect<boolean, TokenStoreError>
  /** Extends the lock if `token` still holds it. */
  readonly extendLock: (key: string, token: string, ttl: Duration.DurationInput) => Effect.Effect<boolean, TokenStoreError>
}

/**
 * The store in use. Without a layer, a process-wide in-memory store.
 *
 * @since 0.1.0
 * @category tags
 */
export class TokenStore extends Context.Reference<TokenStore>()("effect-wechat/TokenStore", {
  defaultValue: (): Service => makeMemoryUnsafe()
}) {}

/**
 * A store key: `effect-wechat:<appId>:<kind>[:<id>]`.
 *
 * @since 0.1.0
 * @category keys
 */
export const key = (appId: string, kind: string, id?: string): string =>
  id === undefined ? `effect-wechat:${appId}:${kind}` : `effect-wechat:${appId}:${kind}:${id}`

/**
 * A random lock-holder token.
 *
 * @since 0.1.0
 * @category locks
 */
export const lockToken = (): string => randomBytes(16).toString("hex")

interface Cell {
  readonly value: string
  readonly expiresAt: number
}

const makeMemoryUnsafe = (): Service => {
  const cells = new Map<string, Cell>()
  const live = (k: string, now: number): Cell | undefined => {
    const cell = cells.get(k)
    if (cell !== undefined && cell.expiresAt <= now) {
      cells.delete(k)
      return undefined
    }
    return cell
  }
  const lockKey = (k: string) => `lock\u0000${k}`
  return {
    shared: false,
    get: (k) => Effect.map(Clock.currentTimeMillis, (now) => Option.map(Option.fromNullable(live(k, now)), (c) => c.value)),
    set: (k, value, ttl) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        cells.set(k, { value, expiresAt: now + Duration.toMillis(ttl) })
      }),
    compareAndDelete: (k, expected) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        if (live(k, now)?.value !== expected) return false
        cells.delete(k)
        return true
      }),
    acquireLock: (k, ttl) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        if (live(lockKey(k), now) !== undefined) return Option.none()
        const token = lockToken()
        cells.set(lockKey(k), { value: token, expiresAt: now + Duration.toMillis(ttl) })
        return Option.some(token)
      }),
    releaseLock: (k, token) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        if (live(lockKey(k), now)?.value !== token) return false
        cells.delete(lockKey(k))
        return true
      }),
    extendLock: (k, token, ttl) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        if (live(lockKey(k), now)?.value !== token) return false
        cells.set(lockKey(k), { value: token, expiresAt: now + Duration.toMillis(ttl) })
        return true
      })
  }
}

/**
 * A fresh in-memory store (one process).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<Service> = Effect.sync(makeMemoryUnsafe)

/**
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<TokenStore> = Layer.effect(TokenStore, makeMemory)

const Stored = Schema.parseJson(Schema.Struct({ v: Schema.String, e: Schema.Number }))
const decodeStored = Schema.decodeUnknownOption(Stored)
const encodeStored = Schema.encodeSync(Stored)

/**
 * A store on any `KeyValueStore` (file system, browser storage, your own). Entries are
 * saved with their expiry, since a `KeyValueStore` has no TTL. Its locks are in-process
 * only: use it for one process (e.g. to keep tokens across restarts), and Redis for many.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeKeyValueStore: Effect.Effect<Service, never, KeyValueStore.KeyValueStore> = Effect.gen(function*() {
  const kv = yield* KeyValueStore.KeyValueStore
  const locks = makeMemoryUnsafe()
  const fail = (operation: string) => (e: { readonly message: string }) =>
    new TokenStoreError({ operation, detail: e.message })
  const read = (k: string) =>
    Effect.gen(function*() {
      const raw = yield* kv.get(k).pipe(Effect.mapError(fail("get")))
      const now = yield* Clock.currentTimeMillis
      return Option.filter(Option.flatMap(raw, decodeStored), (s) => s.e > now)
    })
  return {
    shared: false,
    get: (k) => Effect.map(read(k), Option.map((s) => s.v)),
    set: (k, value, ttl) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        kv.set(k, encodeStored({ v: value, e: now + Duration.toMillis(ttl) })).pipe(Effect.mapError(fail("set")))),
    compareAndDelete: (k, expected) =>
      Effect.flatMap(read(k), (s) =>
        Option.isSome(s) && s.value.v === expected
          ? kv.remove(k).pipe(Effect.as(true), Effect.mapError(fail("delete")))
          : Effect.succeed(false)),
    acquireLock: locks.acquireLock,
    releaseLock: locks.releaseLock,
    extendLock: locks.extendLock
  }
})

/**
 * The store on the `KeyValueStore` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerKeyValueStore: Layer.Layer<TokenStore, never, KeyValueStore.KeyValueStore> = Layer.effect(
  TokenStore,
  makeKeyValueStore
)

/**
 * The store on files under `directory` (needs `FileSystem` and `Path`, e.g. from
 * `@effect/platform-node`'s `NodeContext.layer`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFileSystem = (directory: string) =>
  layerKeyValueStore.pipe(Layer.provide(KeyValueStore.layerFileSystem(directory)))

/**
 * A typed view of store entries, with its codec compiled once: reads decode (an entry
 * that fails to decode counts as absent), writes encode.
 *
 * @since 0.1.0
 * @category typed access
 */
export const typed = <A, I>(schema: Schema.Schema<A, I>) => {
  const json = Schema.parseJson(schema)
  const decode = Schema.decodeUnknownOption(json)
  const encode = Schema.encode(json)
  return {
    get: (store: Service, k: string): Effect.Effect<Option.Option<A>, TokenStoreError> =>
      Effect.map(store.get(k), Option.flatMap(decode)),
    set: (store: Service, k: string, value: A, ttl: Duration.DurationInput): Effect.Effect<void, TokenStoreError> =>
      Effect.flatMap(
        encode(value).pipe(Effect.mapError((e) => new TokenStoreError({ operation: "encode", detail: e.message }))),
        (text) => store.set(k, text, ttl)
      )
  }
}
