/**
 * The test kit's clients end a request when its `AbortSignal` aborts, as fetch, undici and
 * `node:http` do: the library's per-request deadline and an interrupted caller reach a
 * request through that signal, so a delayed answer from the fake or a cassette is cut
 * short the same way a stalled WeChat would be.
 * @internal
 */
import * as Compat from "#compat"
import type { HttpClientRequest } from "#compat"
import { Effect } from "effect"

/** `effect`, or a transport failure ("aborted") as soon as `signal` aborts. */
export const untilAborted = <A, R>(
  effect: Effect.Effect<A, Compat.ClientError, R>,
  signal: AbortSignal,
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<A, Compat.ClientError, R> => {
  const aborted = Compat.callback<never, Compat.ClientError>((resume) => {
    const fail = () => resume(Effect.fail(Compat.transportError(request, new Error("This operation was aborted", { cause: signal.reason }))))
    if (signal.aborted) return fail()
    signal.addEventListener("abort", fail, { once: true })
    return Effect.sync(() => signal.removeEventListener("abort", fail))
  })
  return Effect.raceFirst(effect, aborted)
}
