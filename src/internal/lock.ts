/**
 * The store-lock pattern shared by the credential caches and the code exchange: try to
 * take the lock and work under it (renewing it while the work runs), else wait for the
 * holder's result; and in-process single flight that survives the first caller's
 * interruption.
 * @internal
 */
import * as Compat from "#compat"
import { Clock, Duration, Effect, type Exit, Option, Schedule, type Scope } from "effect"
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

/** One shared piece of work under way: its exit once it ends, and the callers waiting for it. */
interface Flight {
  exit: Exit.Exit<unknown, unknown> | undefined
  readonly waiters: Set<(exit: Exit.Exit<unknown, unknown>) => void>
}

/** The single flights under way, by key. */
export type Flights = Map<string, Flight>

/**
 * In-process single flight: the first caller for `key` starts `work` in its own fiber (in
 * `scope` when given, else a daemon), so its interruption does not cancel the work the
 * others wait for; every caller, first included, awaits the shared result. The waiting
 * is a plain callback list, not a `Deferred`: this is every code exchange's path.
 *
 * Registering the flight and forking its work are one uninterruptible step: a caller
 * interrupted at a scheduler yield between the two would otherwise leave a flight whose
 * work never starts, and every later caller for `key` would wait for ever. Only the
 * waiting is interruptible. (The work runs as the caller would: on Effect 3 a fork inherits
 * the caller's interruptibility, restored here; on Effect 4 a fork starts interruptible.)
 */
export const singleFlight = <A, E, R>(
  flights: Flights,
  key: string,
  work: Effect.Effect<A, E, R>,
  scope?: Scope.Scope
): Effect.Effect<A, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Compat.withFiber<A, E, R>(() => {
      const running = flights.get(key)
      if (running !== undefined) return restore(awaitFlight<A, E>(running))
      const flight: Flight = { exit: undefined, waiters: new Set() }
      flights.set(key, flight)
      // the forked fiber hands its exit to the waiters and itself always succeeds, so a
      // failure is reported once, to the callers, not again as an unhandled fiber failure
      const started = restore(work).pipe(
        Effect.onExit((exit) =>
          Effect.sync(() => {
            if (flights.get(key) === flight) flights.delete(key)
            flight.exit = exit
            for (const waiter of flight.waiters) waiter(exit)
            flight.waiters.clear()
          })
        ),
        Effect.exit
      )
      return Effect.andThen(
        scope === undefined ? Compat.forkDetach(started) : Effect.forkIn(started, scope),
        restore(awaitFlight<A, E>(flight))
      )
    })
  )

const awaitFlight = <A, E>(flight: Flight): Effect.Effect<A, E> =>
  Compat.callback<A, E>((resume) => {
    if (flight.exit !== undefined) return resume(flight.exit as Exit.Exit<A, E>)
    const waiter = (exit: Exit.Exit<unknown, unknown>) => resume(exit as Exit.Exit<A, E>)
    flight.waiters.add(waiter)
    return Effect.sync(() => {
      flight.waiters.delete(waiter)
    })
  })
