/**
 * Local argument checks shared by the endpoints: bad input fails with `InvalidArgument`
 * before anything is sent.
 * @internal
 */
import { Effect, Redacted } from "effect"
import type { Secret } from "../WechatConfig.js"
import { InvalidArgument } from "../WechatError.js"

export const invalid = (argument: string, reason: string) => new InvalidArgument({ argument, reason, action: "stop" })

/** Fails when a code, token or id (plain or `Redacted`) is empty or blank. */
export const nonEmpty = (argument: string, value: Secret): Effect.Effect<void, InvalidArgument> =>
  (Redacted.isRedacted(value) ? Redacted.value(value) : value).trim() === ""
    ? Effect.fail(invalid(argument, "must not be empty"))
    : Effect.void
