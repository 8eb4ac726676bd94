/**
 * An `HttpClient` that answers from a cassette of recorded interactions, so tests run
 * without WeChat. A request no interaction matches ends the test with a defect naming
 * the request (secrets masked): it is a bug in the test, not a WeChat failure to handle.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Sns, WechatConfig } from "effect-wechat"
 * import { Replay } from "effect-wechat/testing"
 *
 * const TestLive = Layer.mergeAll(
 *   Replay.layer("test/cassettes/login.json"),
 *   WechatConfig.layer({ appId: "wx0000000000000123", appSecret: "secret" })
 * )
 * Effect.runPromise(Sns.exchangeCode("CODE").pipe(Effect.provide(TestLive)))
 * ```
 *
 * @since 0.1.0
 */
import * as Compat from "#compat"
import { HttpClient, HttpClientResponse } from "#compat"
import { Data, Effect, Layer } from "effect"
import { readFileSync } from "node:fs"
import { Cassette, type CassetteInput, describe, emptyBindings, type Interaction, matchWith, shapeOf, webResponse } from "./Cassette.js"
import { untilAborted } from "./internal/signal.js"

/**
 * A request that no interaction of the cassette answers.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnmatchedRequest extends Data.TaggedError("UnmatchedRequest")<{
  readonly request: string
  readonly remaining: ReadonlyArray<string>
}> {
  override get message(): string {
    return `Replay: no recorded interaction matches ${this.request}` +
      (this.remaining.length === 0 ? " (the cassette has no unused interactions left)" : `; unused: ${this.remaining.join(" | ")}`)
  }
}

/**
 * A cassette file that could not be read or decoded.
 *
 * @since 0.1.0
 * @category errors
 */
export class CassetteError extends Data.TaggedError("CassetteError")<{ readonly path: string; readonly reason: string }> {
  override get message(): string {
    return `Cannot load cassette ${this.path}: ${this.reason}`
  }
}

/**
 * Reads and validates a cassette file.
 *
 * @since 0.1.0
 * @category constructors
 */
export const load = (path: string): Effect.Effect<Cassette, CassetteError> =>
  Effect.try({
    try: () => JSON.parse(readFileSync(path, "utf8")) as unknown,
    catch: (e) => new CassetteError({ path, reason: e instanceof Error ? e.message : String(e) })
  }).pipe(
    Effect.flatMap(Compat.decodeUnknownEffect(Cassette)),
    Effect.mapError((e) => (e._tag === "CassetteError" ? e : new CassetteError({ path, reason: e.message })))
  )

/**
 * An `HttpClient` answering from a cassette (a value, or a file path). Each
 * interaction answers once, in order, unless it says `repeat: true`; a request none
 * matches dies with {@link UnmatchedRequest}. A numbered placeholder (`"<redacted:N>"`)
 * binds to the value of the first request it matches and, in this client, matches only
 * that value from then on (see `Cassette.matchWith`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (cassette: Cassette): Effect.Effect<HttpClient.HttpClient> =>
  Effect.sync(() => {
    const used = new Set<Interaction>()
    // what each numbered placeholder stands for in this client, one to one
    let bindings = emptyBindings
    return HttpClient.make((request, url, signal) => {
      const shape = shapeOf(request, url)
      let found: Interaction | undefined
      for (const i of cassette.interactions) {
        if (i.repeat !== true && used.has(i)) continue
        const bound = matchWith(i.request, shape, bindings)
        if (bound === undefined) continue
        found = i
        bindings = bound
        break
      }
      if (found === undefined) {
        const remaining = cassette.interactions
          .filter((i) => i.repeat === true || !used.has(i))
          .map((i) => `${i.request.method} ${i.request.host === undefined ? "" : `//${i.request.host}/`}${i.request.path.replace(/^\/+/, "")}${i.request.exact === true ? " (exact)" : ""}`)
        return Effect.die(new UnmatchedRequest({ request: describe(shape), remaining }))
      }
      used.add(found)
      const { body, delayMillis, headers, status } = found.response
      const response = HttpClientResponse.fromWeb(
        request,
        webResponse(status, body, headers)
      )
      return delayMillis === undefined ? Effect.succeed(response) : untilAborted(Effect.as(Effect.sleep(delayMillis), response), signal, request)
    })
  })

/**
 * The replaying client as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (cassette: CassetteInput | Cassette | string): Layer.Layer<HttpClient.HttpClient, CassetteError> =>
  Layer.effect(
    HttpClient.HttpClient,
    (typeof cassette === "string"
      ? load(cassette)
      : Compat.decodeUnknownEffect(Cassette)(cassette).pipe(
        Effect.mapError((e) => new CassetteError({ path: "(inline)", reason: e.message }))
      )).pipe(Effect.flatMap(make))
  )
