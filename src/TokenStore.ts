/**
 * Where tokens, tickets and code-exchange results live: in memory (the default), on
 * `@effect/platform`'s `KeyValueStore` (file system, or any store you plug in), or in
 * Redis (`effect-wechat/redis`), where many processes share them.
 *
 * A store holds opaque strings with a time to live. The library seals every value it
 * stores (AES-256-GCM under a key derived from `WechatConfig.storeKey`, by default the
 * app secret), so a store's raw contents reveal no token, ticket or `session_key`; a value
 * that fails to open or decode is treated as absent. The store also offers a lock (`acquireLock`, released or extended only by its holder),
 * which the Redis store makes cross-process, so many processes do one refresh between them.
 *
 * @since 0.1.0
 */
import * as Compat from "#compat"
import { type FileSystem, KeyValueStore, type Path } from "#compat"
import { Clock, Duration, Effect, Layer, Option, Schema } from "effect"
import { randomBytes } from "node:crypto"
import * as Deployment from "./internal/deployment.js"
import * as FileStore from "./internal/fileStore.js"
import * as SyncStore from "./internal/syncStore.js"
import { Action, InvalidArgument } from "./WechatError.js"

/**
 * A store operation failed (unreachable, timed out, refused). Its `action` is `retry`:
 * once the store is back, the same call succeeds.
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenStoreError extends Schema.TaggedError<TokenStoreError>("effect-wechat/TokenStoreError")("TokenStoreError", {
  operation: Schema.String,
  detail: Schema.String,
  /** What to do next: `retry` once the store is back (defaults to it). */
  action: Compat.optionalDefault(Action, () => "retry" as const)
}) {
  /** @since 0.1.0 */
  override get message(): string {
    return `Token store ${this.operation} failed: ${this.detail} [next: ${this.action}]`
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
  /**
   * The value with its remaining time to live by the store's own clock (Redis: `PTTL`),
   * so expiry does not depend on the clock of the process that wrote it. Optional: a store
   * without it is read with `get` and the writer's recorded expiry.
   */
  readonly getWithTtl?: ((key: string) => Effect.Effect<Option.Option<Entry>, TokenStoreError>) | undefined
  readonly set: (key: string, value: string, ttl: Compat.DurationInput) => Effect.Effect<void, TokenStoreError>
  /** Deletes the entry only if it still holds `expected`. */
  readonly compareAndDelete: (key: string, expected: string) => Effect.Effect<boolean, TokenStoreError>
  /** Takes the lock if free; returns the holder's token. The lock ends by itself after `ttl`. */
  readonly acquireLock: (key: string, ttl: Compat.DurationInput) => Effect.Effect<Option.Option<string>, TokenStoreError>
  /** Releases the lock if `token` still holds it. */
  readonly releaseLock: (key: string, token: string) => Effect.Effect<boolean, TokenStoreError>
  /** Extends the lock if `token` still holds it. */
  readonly extendLock: (key: string, token: string, ttl: Compat.DurationInput) => Effect.Effect<boolean, TokenStoreError>
}

/**
 * A stored value and its remaining time to live.
 *
 * @since 0.2.0
 * @category models
 */
export interface Entry {
  readonly value: string
  readonly ttl: Duration.Duration
}

/**
 * The store in use. Without a layer, a process-wide in-memory store.
 *
 * @since 0.1.0
 * @category tags
 */
export class TokenStore extends Compat.Reference<TokenStore, Service>()("effect-wechat/TokenStore", {
  defaultValue: (): Service => processDefault()
}) {}

let defaultStore: Service | undefined
const processDefault = (): Service => (defaultStore ??= makeMemoryUnsafe())

/**
 * Whether `store` is the process-wide default (the in-memory store used when no
 * `TokenStore` layer is provided).
 *
 * @since 0.2.0
 * @category guards
 */
export const isProcessDefault = (store: Service): boolean => store === defaultStore

/**
 * Says that this process is one of many (behind a load balancer, in a cluster): features
 * that promise cross-process behaviour then log a Warning, once each, when they run on a
 * process-local store. `WechatClient.layer({ processes: "many" })` includes it.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerManyProcesses: Layer.Layer<never> = Layer.effectDiscard(Deployment.noteManyProcesses)

/**
 * A store key: `effect-wechat:<appId>:<part>[:<part>…]`. Each part is escaped (`%` and
 * `:`), so two different lists of parts never give the same key.
 *
 * @since 0.1.0
 * @category keys
 */
export const key = (appId: string, ...parts: ReadonlyArray<string>): string =>
  ["effect-wechat", appId, ...parts].map((part, i) => (i === 0 ? part : part.replace(/%/g, "%25").replace(/:/g, "%3A"))).join(":")

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

/**
 * Options of the in-memory store.
 *
 * @since 0.2.0
 * @category models
 */
export interface MemoryOptions {
  /**
   * At most this many entries (default 10,000); past it the oldest written are dropped.
   * Expired entries are swept as the clock moves on, so an idle store holds nothing dead.
   */
  readonly maxEntries?: number | undefined
}

const SWEEP_EVERY_MS = 10_000

const makeMemoryUnsafe = (options: MemoryOptions = {}): Service => {
  const maxEntries = options.maxEntries ?? 10_000
  const cells = new Map<string, Cell>()
  const locks = new Map<string, Cell>()
  let nextSweep = -Infinity
  const live = (map: Map<string, Cell>, k: string, now: number): Cell | undefined => {
    const cell = map.get(k)
    if (cell !== undefined && cell.expiresAt <= now) {
      map.delete(k)
      return undefined
    }
    return cell
  }
  const sweep = (now: number) => {
    if (now >= nextSweep) {
      nextSweep = now + SWEEP_EVERY_MS
      for (const map of [cells, locks]) {
        for (const [k, cell] of map) if (cell.expiresAt <= now) map.delete(k)
      }
    }
    // Map order is write order: past the bound, drop the oldest tenth in one pass (deleting
    // one entry per write would walk the Map's growing run of deleted slots every time)
    if (cells.size > maxEntries) {
      let excess = cells.size - Math.floor(maxEntries * 0.9)
      for (const k of cells.keys()) {
        if (excess-- <= 0) break
        cells.delete(k)
      }
    }
  }
  const write = (map: Map<string, Cell>, k: string, value: string, expiresAt: number) => {
    map.delete(k) // re-inserted last: the newest write
    map.set(k, { value, expiresAt })
  }
  const now = Clock.currentTimeMillis
  return SyncStore.register({
    shared: false,
    get: (k) => Effect.map(now, (t) => Option.map(Compat.fromNullable(live(cells, k, t)), (c) => c.value)),
    getWithTtl: (k) =>
      Effect.map(now, (t) => Option.map(Compat.fromNullable(live(cells, k, t)), (c) => ({ value: c.value, ttl: Duration.millis(c.expiresAt - t) }))),
    set: (k, value, ttl) =>
      Effect.map(now, (t) => {
        write(cells, k, value, t + Duration.toMillis(ttl))
        sweep(t)
      }),
    compareAndDelete: (k, expected) =>
      Effect.map(now, (t) => {
        if (live(cells, k, t)?.value !== expected) return false
        cells.delete(k)
        return true
      }),
    acquireLock: (k, ttl) =>
      Effect.map(now, (t) => {
        sweep(t)
        if (live(locks, k, t) !== undefined) return Option.none()
        const token = lockToken()
        write(locks, k, token, t + Duration.toMillis(ttl))
        return Option.some(token)
      }),
    releaseLock: (k, token) =>
      Effect.map(now, (t) => {
        if (live(locks, k, t)?.value !== token) return false
        locks.delete(k)
        return true
      }),
    extendLock: (k, token, ttl) =>
      Effect.map(now, (t) => {
        if (live(locks, k, t)?.value !== token) return false
        write(locks, k, token, t + Duration.toMillis(ttl))
        return true
      })
  }, {
    get: (k, t) => live(cells, k, t)?.value,
    set: (k, value, ttlMillis, t) => {
      write(cells, k, value, t + ttlMillis)
      sweep(t)
    }
  })
}

/**
 * A fresh in-memory store (one process).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory = (options: MemoryOptions = {}): Effect.Effect<Service, InvalidArgument> =>
  options.maxEntries !== undefined && !(Number.isInteger(options.maxEntries) && options.maxEntries >= 1)
    ? Effect.fail(new InvalidArgument({ argument: "maxEntries", reason: "must be a whole number of at least 1", action: "fix-config" }))
    : Effect.sync(() => makeMemoryUnsafe(options))

/**
 * A fresh in-memory store as the `TokenStore` (the default is one process-wide store).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<Compat.RefId<TokenStore>> = Layer.effect(TokenStore, Effect.sync(() => makeMemoryUnsafe()))

/**
 * {@link layerMemory} with options.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerMemoryWith = (options: MemoryOptions): Layer.Layer<Compat.RefId<TokenStore>, InvalidArgument> => Layer.effect(TokenStore, makeMemory(options))

const Stored = Compat.parseJson(Schema.Struct({ v: Schema.String, e: Schema.Number }))
const decodeStored = Schema.decodeUnknownOption(Stored)
const encodeStored = Schema.encodeSync(Stored)

/**
 * A store on any `KeyValueStore` (file system, browser storage, your own). Entries are
 * saved with their expiry, since a `KeyValueStore` has no TTL, and an expired entry is
 * removed when it is next read. Its locks are in-process
 * only: use it for one process (e.g. to keep tokens across restarts), and Redis for many.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeKeyValueStore: Effect.Effect<Service, never, KeyValueStore.KeyValueStore> = Effect.gen(function*() {
  const kv = yield* KeyValueStore.KeyValueStore
  const locks = makeMemoryUnsafe()
  // Effect 4's store errors say "Unable to get item…" and keep the reason (EISDIR, EACCES) as their cause
  const fail = (operation: string) => (e: { readonly message: string; readonly cause?: unknown }) =>
    new TokenStoreError({
      operation,
      detail: e.cause instanceof Error && !e.message.includes(e.cause.message) ? `${e.message}: ${e.cause.message}` : e.message
    })
  // An expired entry is removed when read, so keys nobody asks for again (each login's
  // code) do not pile up. A write racing that removal can at worst be lost, which costs
  // one more refresh, never a wrong value; a failed removal is ignored.
  const read = (k: string) =>
    Effect.gen(function*() {
      const raw = yield* Compat.kvGet(kv, k).pipe(Effect.mapError(fail("get")))
      const now = yield* Clock.currentTimeMillis
      const stored = Option.flatMap(raw, decodeStored)
      if (Option.isSome(stored) && stored.value.e <= now) {
        yield* Effect.ignore(kv.remove(k))
        return Option.none()
      }
      return stored
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
export const layerKeyValueStore: Layer.Layer<Compat.RefId<TokenStore>, never, KeyValueStore.KeyValueStore> = Layer.effect(
  TokenStore,
  makeKeyValueStore
)

/**
 * The store on files under `directory` (needs `FileSystem` and `Path`, e.g. from
 * `@effect/platform-node`'s `NodeContext.layer`): the folder is created 0700 and each
 * entry is a 0600 file written atomically (temporary file, then rename); expired files are
 * removed. Values are sealed by the library before they reach the store. Locks are
 * in-process: use it for one process (to keep tokens across restarts), Redis for many.
 * Fails with `TokenStoreError` when the folder cannot be created.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFileSystem = (
  directory: string
): Layer.Layer<Compat.RefId<TokenStore>, TokenStoreError | InvalidArgument, FileSystem.FileSystem | Path.Path> =>
  Layer.effect(
    TokenStore,
    Effect.suspend((): Effect.Effect<Service, TokenStoreError | InvalidArgument, FileSystem.FileSystem | Path.Path> =>
      typeof directory !== "string" || directory.trim() === "" || directory.includes("\u0000")
        ? Effect.fail(new InvalidArgument({ argument: "directory", reason: "must be a folder path", action: "fix-config" }))
        : FileStore.make(directory, makeMemoryUnsafe())
    )
  )
