/**
 * A `TokenStore` in Redis, shared by every process that points at the same server: one
 * token refresh between them (a `SET NX PX` lock with a random holder token, released
 * and extended only by its holder, expiring by itself if the holder dies), and one code
 * redemption. Entries expire with Redis TTLs.
 *
 * Every command is bounded by `timeout` and fails with `TokenStoreError` while Redis is
 * unreachable (no queueing, no hang); the client reconnects in the background, so calls
 * recover when Redis is back. Meanwhile the stable token degrades to the process's cache
 * and code exchanges go on without the cross-process dedupe. Expiry is read with `PTTL`;
 * a key of ours holding something else, or a lock without a TTL, is replaced.
 *
 * Needs the `ioredis` package (an optional peer dependency).
 *
 * Give the store to everything (not with `Layer.provide` to one layer, which hides it from
 * the code exchanges): `WechatClient.layer(app, { store })`, or `Layer.provideMerge`.
 *
 * @example
 * ```ts
 * import { WechatClient } from "effect-wechat"
 * import { RedisTokenStore } from "effect-wechat/redis"
 *
 * const WechatLive = WechatClient.layerConfig({
 *   store: RedisTokenStore.layer({ url: "redis://127.0.0.1:6379" }),
 *   tokens: { source: "classic" },
 *   processes: "many"
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Compat from "#compat"
import { Duration, Effect, Layer, Option, type Scope } from "effect"
import { Redis, type RedisOptions } from "ioredis"
import * as Deployment from "../internal/deployment.js"
import * as Validate from "../internal/validate.js"
import * as TokenStore from "../TokenStore.js"
import type { InvalidArgument } from "../WechatError.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** `redis://[:password@]host:port[/db]`; default `redis://127.0.0.1:6379`. Ignored with `client`. */
  readonly url?: string | undefined
  /**
   * Your own ioredis client (not closed by the store). Create it with
   * `enableOfflineQueue: false` and `maxRetriesPerRequest: 0`: otherwise commands queue
   * while Redis is down, and a lock request that already timed out here may still run later.
   */
  readonly client?: Redis | undefined
  /** Bound on every command and on connecting; default 2 seconds. */
  readonly timeout?: Compat.DurationInput | undefined
  /** Extra ioredis options for the client the store creates. */
  readonly redisOptions?: RedisOptions | undefined
}

// Every script checks the key's type first: a key of another type (or without a TTL,
// which this store never writes) is corrupt. Reads delete it (-1: healed) instead of
// failing with WRONGTYPE on every call forever; a corrupt lock is taken over (2).
const IS_OURS = `local t = redis.call("TYPE", KEYS[1])["ok"]`
const GET_WITH_TTL = `${IS_OURS}
if t == "none" then return false end
if t ~= "string" or redis.call("PTTL", KEYS[1]) == -1 then redis.call("DEL", KEYS[1]) return -1 end
return {redis.call("GET", KEYS[1]), redis.call("PTTL", KEYS[1])}`
const CAS_DELETE = `${IS_OURS}
if t == "string" and redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`
const CAS_PEXPIRE = `${IS_OURS}
if t == "string" and redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`
const ACQUIRE = `if redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2], "NX") then return 1 end
${IS_OURS}
if t ~= "string" or redis.call("PTTL", KEYS[1]) == -1 then
  redis.call("DEL", KEYS[1])
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
  return 2
end
return 0`

const describeError = (e: unknown) => (e instanceof Error ? e.message : String(e))

/** A `redis://` or `rediss://` URL; its password is never shown in the error. */
const checkUrl = (url: unknown): Effect.Effect<void, InvalidArgument> => {
  if (typeof url !== "string") return Effect.fail(Validate.invalid("url", "must be a string", "fix-config"))
  try {
    const parsed = new URL(url)
    if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") throw new Error("protocol")
    if (parsed.hostname === "") throw new Error("host")
    return Effect.void
  } catch {
    return Effect.fail(Validate.invalid("url", "must be redis://[:password@]host[:port][/db] or rediss://…", "fix-config"))
  }
}

/**
 * A Redis URL fit for an error message: scheme, host, port and database, with the password
 * replaced (user-info ends at the last `@`, so a password may hold one). A lone user-info
 * part is masked whole (ioredis may take it as the password); the query and fragment are
 * dropped; a URL that does not parse is not shown at all.
 */
const safeUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    const userInfo = parsed.password !== "" ? `${parsed.username}:<redacted>@` : parsed.username !== "" ? "<redacted>@" : ""
    return `${parsed.protocol}//${userInfo}${parsed.host}${parsed.pathname}`
  } catch {
    return "<redacted url>"
  }
}

/**
 * A store on a Redis server, for the scope's lifetime.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<TokenStore.Service, InvalidArgument, Scope.Scope> =>
  Effect.gen(function*() {
    if (typeof options !== "object" || options === null) return yield* Validate.invalid("options", "must be an object", "fix-config")
    const timeout = yield* Validate.duration("timeout", options.timeout ?? "2 seconds", { min: "10 millis", max: "1 minute" })
    const ms = Duration.toMillis(timeout)
    const url = options.url ?? "redis://127.0.0.1:6379"
    if (options.client === undefined) yield* checkUrl(url)
    const client = options.client ?? (yield* Effect.acquireRelease(
      Effect.sync(() =>
        new Redis(url, {
          lazyConnect: true,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          commandTimeout: ms,
          connectTimeout: ms,
          retryStrategy: (times) => Math.min(50 * times, 1000),
          ...options.redisOptions
        })
      ),
      (c) => Effect.promise(() => c.quit().catch(() => c.disconnect()))
    ))
    if (options.client === undefined) {
      client.on("error", () => {}) // failures surface on commands, as TokenStoreError
      // wait for the first connection (bounded); if Redis is down, commands fail typed until it is up
      yield* Effect.promise(() => client.connect().catch(() => undefined)).pipe(Effect.timeout(timeout), Effect.ignore)
    }
    const run = <A>(operation: string, f: () => Promise<A>): Effect.Effect<A, TokenStore.TokenStoreError> =>
      Effect.tryPromise({
        try: f,
        catch: (e) => new TokenStore.TokenStoreError({ operation, detail: `redis ${safeUrl(url)}: ${describeError(e)}` })
      }).pipe((effect) =>
        Compat.timeoutFail(effect, {
          duration: timeout,
          onTimeout: () => new TokenStore.TokenStoreError({ operation, detail: `redis ${safeUrl(url)}: no answer within ${Duration.format(timeout)}` })
        })
      )
    const millis = (ttl: Compat.DurationInput) => Math.max(1, Math.ceil(Duration.toMillis(Compat.decodeDuration(ttl))))
    const warned = new Set<string>()
    const healed = (k: string, what: string) =>
      warned.has(k) ? Effect.void : Effect.andThen(
        Effect.sync(() => warned.add(k)),
        Effect.logWarning(`effect-wechat: Redis key ${k} held ${what}; it was replaced`)
      )
    const getWithTtl = (k: string) =>
      Effect.flatMap(run("get", () => client.eval(GET_WITH_TTL, 1, k)), (reply) => {
        if (reply === -1) return Effect.as(healed(k, "a value of another type or without a TTL"), Option.none())
        if (!Array.isArray(reply) || typeof reply[0] !== "string" || typeof reply[1] !== "number") return Effect.succeed(Option.none())
        return Effect.succeed(Option.some({ value: reply[0], ttl: Duration.millis(Math.max(0, reply[1])) }))
      })
    yield* Deployment.noteSharedStore
    const store: TokenStore.Service = {
      shared: true,
      get: (k) => Effect.map(getWithTtl(k), Option.map((e) => e.value)),
      getWithTtl,
      set: (k, value, ttl) => Effect.asVoid(run("set", () => client.set(k, value, "PX", millis(ttl)))),
      compareAndDelete: (k, expected) =>
        Effect.map(run("compareAndDelete", () => client.eval(CAS_DELETE, 1, k, expected)), (n) => n === 1),
      acquireLock: (k, ttl) => {
        const token = TokenStore.lockToken()
        return Effect.flatMap(run("acquireLock", () => client.eval(ACQUIRE, 1, k, token, String(millis(ttl)))), (n) =>
          n === 2
            ? Effect.as(healed(k, "a lock without a TTL (or of another type)"), Option.some(token))
            : Effect.succeed(n === 1 ? Option.some(token) : Option.none()))
      },
      releaseLock: (k, token) => Effect.map(run("releaseLock", () => client.eval(CAS_DELETE, 1, k, token)), (n) => n === 1),
      extendLock: (k, token, ttl) =>
        Effect.map(run("extendLock", () => client.eval(CAS_PEXPIRE, 1, k, token, String(millis(ttl)))), (n) => n === 1)
    }
    return store
  })

/**
 * The Redis store as the `TokenStore`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Compat.RefId<TokenStore.TokenStore>, InvalidArgument> =>
  Compat.layerScoped(TokenStore.TokenStore, make(options))
