/**
 * A per-request deadline that costs a timer and a scope, not a fiber. The request runs in
 * the caller's fiber with its lifetime tied to a `Scope` (`HttpClient.withScope`): closing
 * the scope aborts the `AbortSignal` the client gave the request, which ends it (every
 * Effect HTTP client, and the test kit's, honors that signal). The timer closes the scope
 * and the failure that follows is reported as the timeout; an interrupted caller, or a
 * failed attempt, closes it too, so the connection is let go as the client's own
 * interruption would. Under another clock (`TestClock`, a clock of the app's own) it is
 * `Effect.timeoutFail` around the scoped request, so tests still drive timeouts with the clock.
 * @internal
 */
import * as Compat from "#compat"
import { type Duration, Effect, Scope } from "effect"

/**
 * `effect` (which needs the request's `Scope`), or `onTimeout()` once `millis` have passed
 * without it ending.
 */
export const withDeadline = <A, E, R, E2>(
  effect: Effect.Effect<A, E, R | Scope.Scope>,
  duration: Duration.Duration,
  millis: number,
  onTimeout: () => E2
): Effect.Effect<A, E | E2, Exclude<R, Scope.Scope>> =>
  Compat.withFiber((fiber) =>
    Compat.isLiveClock(Compat.fiberClock(fiber))
      ? Effect.flatMap(Scope.make(), (scope) => live(Effect.provideService(effect, Scope.Scope, scope), scope, millis, onTimeout))
      : Effect.scoped(Compat.timeoutFail(effect, { duration, onTimeout }))
  ) as Effect.Effect<A, E | E2, Exclude<R, Scope.Scope>>

const live = <A, E, R, E2>(
  effect: Effect.Effect<A, E, R>,
  scope: Compat.CloseableScope,
  millis: number,
  onTimeout: () => E2
): Effect.Effect<A, E | E2, R> => {
  let timedOut = false
  // closing the scope runs its one finalizer, the client's `controller.abort()`: synchronous
  const abort = () => Compat.closeScopeNow(scope)
  const timer = setTimeout(() => {
    timedOut = true
    abort()
  }, millis)
  return Effect.uninterruptibleMask((restore) =>
    Effect.matchCauseEffect(restore(effect), {
      onSuccess: (value) => {
        clearTimeout(timer)
        return Effect.succeed(value)
      },
      onFailure: (cause): Effect.Effect<never, E | E2> => {
        clearTimeout(timer)
        abort()
        // the abort's own failure (a transport error) is what a timeout looks like from inside
        return timedOut && !Compat.hasInterrupts(cause) ? Effect.fail(onTimeout()) : Effect.failCause(cause)
      }
    })
  )
}
