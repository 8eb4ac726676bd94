/**
 * A per-request deadline that costs one child fiber and a timer on the live clock, rather
 * than `Effect.timeoutFail`'s two raced fibers. Under another clock (`TestClock`, a clock of
 * the app's own) it is `Effect.timeoutFail`, so tests still drive timeouts with the clock.
 * @internal
 */
import * as Compat from "#compat"
import { type Duration, Effect, type Exit } from "effect"

/** `effect`, or `onTimeout()` once `duration` has passed (the effect is then interrupted). */
export const withTimeout = <A, E, R, E2>(
  effect: Effect.Effect<A, E, R>,
  duration: Duration.Duration,
  millis: number,
  onTimeout: () => E2
): Effect.Effect<A, E | E2, R> =>
  Compat.withFiber((parent) =>
    Compat.isLiveClock(Compat.fiberClock(parent))
      ? Effect.flatMap(Compat.fork(Effect.interruptible(effect)), (fiber) => awaitWithin(fiber, parent, millis, onTimeout))
      : Compat.timeoutFail(effect, { duration, onTimeout })
  )

const awaitWithin = <A, E, E2>(fiber: Compat.RuntimeFiber<A, E>, self: Compat.RuntimeFiber<unknown, unknown>, millis: number, onTimeout: () => E2) =>
  Compat.callback<A, E | E2>((resume) => {
    let done = false
    const timer = setTimeout(() => {
      if (done) return
      done = true
      Compat.interruptUnsafe(fiber, self)
      resume(Effect.fail(onTimeout()))
    }, millis)
    Compat.observe(fiber, (exit: Exit.Exit<A, E>) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resume(exit)
    })
    // the caller was interrupted: stop the timer and the request
    return Effect.sync(() => {
      done = true
      clearTimeout(timer)
      Compat.interruptUnsafe(fiber, self)
    })
  })
