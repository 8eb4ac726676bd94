/**
 * A per-request deadline that costs one child fiber and a timer on the live clock, rather
 * than `Effect.timeoutFail`'s two raced fibers. Under another clock (`TestClock`, a clock of
 * the app's own) it is `Effect.timeoutFail`, so tests still drive timeouts with the clock.
 * @internal
 */
import { Clock, Context, type Duration, Effect, type Exit, type Fiber, type FiberId } from "effect"

const liveClockPrototype = Object.getPrototypeOf(Clock.make())

const isLive = (clock: Clock.Clock) => Object.getPrototypeOf(clock) === liveClockPrototype

/** `effect`, or `onTimeout()` once `duration` has passed (the effect is then interrupted). */
export const withTimeout = <A, E, R, E2>(
  effect: Effect.Effect<A, E, R>,
  duration: Duration.Duration,
  millis: number,
  onTimeout: () => E2
): Effect.Effect<A, E | E2, R> =>
  Effect.withFiberRuntime((parent) =>
    isLive(Context.get(parent.currentDefaultServices, Clock.Clock))
      ? Effect.flatMap(Effect.fork(Effect.interruptible(effect)), (fiber) => awaitWithin(fiber, parent.id(), millis, onTimeout))
      : Effect.timeoutFail(effect, { duration, onTimeout })
  )

const awaitWithin = <A, E, E2>(fiber: Fiber.RuntimeFiber<A, E>, self: FiberId.FiberId, millis: number, onTimeout: () => E2) =>
  Effect.async<A, E | E2>((resume) => {
    let done = false
    const timer = setTimeout(() => {
      if (done) return
      done = true
      fiber.unsafeInterruptAsFork(self)
      resume(Effect.fail(onTimeout()))
    }, millis)
    fiber.addObserver((exit: Exit.Exit<A, E>) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resume(exit)
    })
    // the caller was interrupted: stop the timer and the request
    return Effect.sync(() => {
      done = true
      clearTimeout(timer)
      fiber.unsafeInterruptAsFork(self)
    })
  })
