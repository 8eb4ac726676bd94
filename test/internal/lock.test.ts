import * as Compat from "#compat"
import { interruptUnsafe, isInterrupted } from "#test-compat"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import * as Lock from "../../src/internal/lock.js"

/** Flights whose `set` calls `hook` once it has registered the flight. */
const trapped = (hook: () => void): Lock.Flights => {
  const flights: Lock.Flights = new Map()
  const set = flights.set.bind(flights)
  flights.set = (key, flight) => {
    set(key, flight)
    hook()
    return flights
  }
  return flights
}

describe("Lock.singleFlight", () => {
  // The interruption arrives while the first caller runs, just as it registers its flight,
  // and lands at the caller's next step: before registering and forking became one
  // uninterruptible step, that left a flight whose work never started, and every later
  // caller for the key waited for ever.
  it.live("a caller interrupted as it registers its flight still starts the work; the next caller gets its result", () =>
    Effect.gen(function*() {
      let caller: Compat.RuntimeFiber<number, never> | undefined
      const flights = trapped(() => {
        if (caller !== undefined) interruptUnsafe(caller)
      })
      const gate = yield* Deferred.make<void>()
      let started = 0
      const work = Effect.suspend(() => {
        const n = ++started
        return Effect.as(Deferred.await(gate), n)
      })
      caller = yield* Compat.fork(Lock.singleFlight(flights, "k", work))
      expect(isInterrupted(yield* Fiber.await(caller))).toBe(true)
      caller = undefined
      const next = yield* Compat.fork(
        Compat.timeoutFail(Lock.singleFlight(flights, "k", work), { duration: "1 second", onTimeout: () => "stuck" })
      )
      yield* Effect.sleep("10 millis")
      expect(started).toBe(1) // the interrupted caller's work runs, and the next caller joins it
      yield* Deferred.succeed(gate, undefined)
      expect(yield* Effect.exit(Fiber.join(next))).toStrictEqual(Exit.succeed(1))
      expect(started).toBe(1)
      expect(flights.size).toBe(0)
    }))

  it.live("an interrupted first caller does not cancel the work the others wait for", () =>
    Effect.gen(function*() {
      const flights: Lock.Flights = new Map()
      let runs = 0
      const work = Effect.andThen(Effect.sleep("20 millis"), Effect.sync(() => ++runs))
      const first = yield* Compat.fork(Lock.singleFlight(flights, "k", work))
      yield* Effect.sleep("10 millis")
      const second = yield* Compat.fork(Lock.singleFlight(flights, "k", work))
      yield* Effect.sleep("10 millis")
      yield* Fiber.interrupt(first)
      expect(yield* Fiber.join(second)).toBe(1)
      expect(runs).toBe(1)
      expect(flights.size).toBe(0)
    }))
})
