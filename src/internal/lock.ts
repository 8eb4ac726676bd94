/**
 * The store-lock pattern shared by the credential caches and the code exchange: try to
 * take the lock and work under it (renewing it while the work runs), else wait for the
 * holder's result; and in-process single flight that survives the first caller's
 * interruption.
 * @internal
 */
import * as Compat from "#compat"
import { Clock, Deferred, Duration, Effect, Option, Schedule, type Scope } from "effect"
import * as TokenStore from "../TokenStore.js"

/**
 * Runs `work` holding `lockKey`, renewing the lock every third of `ttl` until it ends, and
 * releasing it after. None when another holder has the lock.
 */
export const holding = <A, E, R>(
  store: TokenStore.Service,
  lockKey: string,
  ttl: Duration.Duration,
  work: Effect.Effect<A, E, R>
): Effect.Effect<Option.Option<A>, E | TokenStore.TokenStoreError, R> =>
  Effect.flatMap(store.acquireLock(lockKey, ttl), (token) => {
    if (Option.isNone(token)) return Effect.succeed(Option.none())
    const heartbeat = Effect.ignore(store.extendLock(lockKey, token.value, ttl)).pipe(
      Effect.repeat(Schedule.spaced(Duration.millis(Math.max(1, Duration.toMillis(ttl) / 3)))),
      Effect.delay(Duration.millis(Math.max(1, Duration.toMillis(ttl) / 3)))
    )
    return Effect.scoped(
      Effect.gen(function*() {
        yield* Effect.forkScoped(heartbeat)
        return Option.some(yield* work)
      })
    ).pipe(Effect.ensuring(Effect.ignore(store.releaseLock(lockKey, token.value))))
  })

/**
 * Repeats `attempt` (None = another process is working) every `every` until it gives a
 * value; past `patience`, fails with a `TokenStoreError` rather than working unlocked.
 */
export const untilDone = <A, E, R>(
  attempt: Effect.Effect<Option.Option<A>, E, R>,
  options: { readonly every: Compat.DurationInput; readonly patience: Duration.Duration; readonly what: string }
): Effect.Effect<A, E | TokenStore.TokenStoreError, R> =>
  Effect.flatMap(Clock.currentTimeMillis, (start) => {
    const deadline = start + Duration.toMillis(options.patience)
    const loop: Effect.Effect<A, E | TokenStore.TokenStoreError, R> = Effect.flatMap(attempt, (found) =>
      Option.isSome(found)
        ? Effect.succeed(found.value)
        : Effect.flatMap(Clock.currentTimeMillis, (now) =>
          now >= deadline
            ? Effect.fail(
              new TokenStore.TokenStoreError({
                operation: "wait",
                detail: `another process held the lock for ${options.what} longer than ${Duration.format(options.patience)}`
              })
            )
            : Effect.andThen(Effect.sleep(options.every), loop)))
    return loop
  })

/**
 * In-process single flight: the first caller for `key` starts `work` in its own fiber (in
 * `scope` when given, else a daemon), so its interruption does not cancel the work the
 * others wait for; every caller, first included, awaits the shared result.
 */
export const singleFlight = <A, E, R>(
  flights: Map<string, Deferred.Deferred<unknown, unknown>>,
  key: string,
  work: Effect.Effect<A, E, R>,
  scope?: Scope.Scope
): Effect.Effect<A, E, R> =>
  Compat.withFiber<A, E, R>((fiber) => {
    const running = flights.get(key) as Deferred.Deferred<A, E> | undefined
    if (running !== undefined) return Deferred.await(running)
    const deferred = Compat.makeDeferredUnsafe<A, E>(fiber)
    flights.set(key, deferred as Deferred.Deferred<unknown, unknown>)
    // the forked fiber hands its exit to the waiters and itself always succeeds, so a
    // failure is reported once, to the callers, not again as an unhandled fiber failure
    return work.pipe(
      Effect.onExit((exit) =>
        Effect.andThen(
          Effect.sync(() => {
            if (flights.get(key) === (deferred as Deferred.Deferred<unknown, unknown>)) flights.delete(key)
          }),
          Deferred.done(deferred, exit)
        )
      ),
      Effect.exit,
      (started) => (scope === undefined ? Compat.forkDetach(started) : Effect.forkIn(started, scope)),
      Effect.andThen(Deferred.await(deferred))
    )
  })
