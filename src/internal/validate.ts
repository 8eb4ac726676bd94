/**
 * Checks at the boundary: every option and every input is checked against what WeChat
 * accepts before a request is sent or a store is written, and a bad one fails with
 * `InvalidArgument` naming it (never showing a secret's value). Nothing here throws.
 * @internal
 */
import * as Compat from "#compat"
import { Duration, Effect, Redacted } from "effect"
import type { Secret } from "../WechatConfig.js"
import { type Action, InvalidArgument } from "../WechatError.js"

export const invalid = (argument: string, reason: string, action: Action = "stop") => new InvalidArgument({ argument, reason, action })

/** A code, token or ticket as WeChat issues them: printable ASCII, no spaces. */
const OPAQUE = /^[\x21-\x7e]+$/

export const MAX_CODE = 256
export const MAX_TOKEN = 2048

/** The text of a value that may come plain or `Redacted`. */
export const reveal = <A>(value: A | Redacted.Redacted<string>): A | string => (Redacted.isRedacted(value) ? Redacted.value(value) : value)

/** A parameters or options object; anything else (`null` from plain JavaScript, say) fails naming it. */
export const object = (argument: string, value: unknown, reason = "must be an object", action: Action = "stop"): Effect.Effect<void, InvalidArgument> =>
  typeof value === "object" && value !== null ? Effect.void : Effect.fail(invalid(argument, reason, action))

/** The checked value when there is no problem, else the problem as a failure. */
const checked = <A>(problem: InvalidArgument | undefined, value: () => A): Effect.Effect<A, InvalidArgument> =>
  problem === undefined ? Effect.succeed(value()) : Effect.fail(problem)

const describeLength = (value: string, max: number) => (value.length > max ? `is ${value.length} characters, at most ${max} are accepted` : undefined)

/** What is wrong with a code (`code`, `js_code`: 1 to 256 printable ASCII characters), if anything. */
export const codeProblem = (argument: string, value: unknown): InvalidArgument | undefined => {
  if (typeof value !== "string") return invalid(argument, "must be a string")
  if (value.trim() === "") return invalid(argument, "must not be empty")
  const long = describeLength(value, MAX_CODE)
  if (long !== undefined) return invalid(argument, long)
  if (!OPAQUE.test(value)) return invalid(argument, "must be printable ASCII without spaces or control characters")
  return undefined
}

/** A code (`code`, `js_code`): 1 to 256 printable ASCII characters. */
export const code = (argument: string, value: unknown): Effect.Effect<string, InvalidArgument> =>
  checked(codeProblem(argument, value), () => value as string)

/** What is wrong with a secret token or ticket (plain or `Redacted`: 1 to 2048 printable ASCII characters), if anything. */
export const tokenProblem = (argument: string, value: unknown): InvalidArgument | undefined => {
  const text = reveal(value)
  if (typeof text !== "string") return invalid(argument, "must be a string or a Redacted string")
  if (text.trim() === "") return invalid(argument, "must not be empty")
  const long = describeLength(text, MAX_TOKEN)
  if (long !== undefined) return invalid(argument, long)
  if (!OPAQUE.test(text)) return invalid(argument, "must be printable ASCII without spaces or control characters")
  return undefined
}

/** A secret token or ticket (plain or `Redacted`): 1 to 2048 printable ASCII characters. */
export const token = (argument: string, value: unknown): Effect.Effect<Redacted.Redacted<string>, InvalidArgument> =>
  checked(tokenProblem(argument, value), () => redactSecret(value as Secret))

const OPENID = /^[A-Za-z0-9_-]{1,128}$/

/** What is wrong with an openid (28 characters of `[A-Za-z0-9_-]` as WeChat issues them; up to 128 accepted), if anything. */
export const openidProblem = (value: unknown, argument = "openid"): InvalidArgument | undefined =>
  typeof value === "string" && OPENID.test(value)
    ? undefined
    : invalid(argument, typeof value !== "string" || value === "" ? "must be a non-empty string" : "must be 1 to 128 characters of [A-Za-z0-9_-]")

/** An openid (28 characters of `[A-Za-z0-9_-]` as WeChat issues them; up to 128 accepted). */
export const openid = (value: unknown, argument = "openid"): Effect.Effect<string, InvalidArgument> =>
  checked(openidProblem(value, argument), () => value as string)

/** What is wrong with a binding or session id (1 to 1024 characters, no control characters), if anything. */
export const bindingProblem = (argument: string, value: unknown): InvalidArgument | undefined => {
  const text = reveal(value)
  if (typeof text !== "string") return invalid(argument, "must be a string")
  if (text.trim() === "") return invalid(argument, "must not be empty")
  if (text.length > 1024) return invalid(argument, "must be at most 1024 characters")
  if (/[\u0000-\u001f\u007f]/.test(text)) return invalid(argument, "must not hold control characters")
  return undefined
}

/** A binding or session id: 1 to 1024 characters, no control characters (it is only hashed). */
export const binding = (argument: string, value: unknown): Effect.Effect<string, InvalidArgument> =>
  checked(bindingProblem(argument, value), () => reveal(value) as string)

/** What is wrong with a value that must be one of the listed values, if anything. */
export const oneOfProblem = (argument: string, value: unknown, values: ReadonlyArray<string>, action: Action = "stop"): InvalidArgument | undefined =>
  typeof value === "string" && values.includes(value) ? undefined : invalid(argument, `must be one of ${values.join(", ")}`, action)

/** One of the listed values. */
export const oneOf = <const A extends string>(argument: string, value: unknown, values: ReadonlyArray<A>, action: Action = "stop"): Effect.Effect<A, InvalidArgument> =>
  checked(oneOfProblem(argument, value, values, action), () => value as A)

/** A real boolean (plain JS can pass anything). */
export const boolean = (argument: string, value: unknown, action: Action = "stop"): Effect.Effect<boolean, InvalidArgument> =>
  typeof value === "boolean" ? Effect.succeed(value) : Effect.fail(invalid(argument, "must be true or false", action))

/** An optional boolean, `undefined` kept. */
export const optionalBoolean = (argument: string, value: unknown, action: Action = "stop"): Effect.Effect<boolean | undefined, InvalidArgument> =>
  value === undefined ? Effect.succeed(undefined) : boolean(argument, value, action)

/**
 * A duration from any `DurationInput` (`"5 seconds"`, millis, a `Duration`), between `min`
 * and `max` inclusive. `Duration.decode` throws on bad input: here that is a typed failure.
 */
export const duration = (
  argument: string,
  value: unknown,
  bounds: { readonly min: Compat.DurationInput; readonly max: Compat.DurationInput; readonly action?: Action | undefined }
): Effect.Effect<Duration.Duration, InvalidArgument> => {
  const action = bounds.action ?? "fix-config"
  if (typeof value === "number" && !(value >= 0)) return Effect.fail(invalid(argument, "must not be negative", action))
  let decoded: Duration.Duration
  try {
    decoded = Compat.decodeDuration(value as Compat.DurationInput)
  } catch {
    return Effect.fail(invalid(argument, "is not a duration (e.g. \"5 seconds\" or a number of milliseconds)", action))
  }
  const min = Compat.decodeDuration(bounds.min)
  const max = Compat.decodeDuration(bounds.max)
  if (!Duration.isFinite(decoded) || Duration.toMillis(decoded) < Duration.toMillis(min) || Duration.toMillis(decoded) > Duration.toMillis(max)) {
    return Effect.fail(invalid(argument, `must be between ${Duration.format(min)} and ${Duration.format(max)}`, action))
  }
  return Effect.succeed(decoded)
}

/** An integer between `min` and `max` inclusive. */
export const integer = (argument: string, value: unknown, min: number, max: number, action: Action = "fix-config"): Effect.Effect<number, InvalidArgument> =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max
    ? Effect.succeed(value)
    : Effect.fail(invalid(argument, `must be a whole number from ${min} to ${max}`, action))

/** A secret option: a non-blank string or `Redacted` string of at most `max` characters, no control characters. */
export const secret = (argument: string, value: unknown, options: { readonly min?: number; readonly max: number }): Effect.Effect<Redacted.Redacted<string>, InvalidArgument> => {
  const text = reveal(value)
  if (typeof text !== "string") return Effect.fail(invalid(argument, "must be a string or a Redacted string", "fix-config"))
  if (text.trim() === "") return Effect.fail(invalid(argument, "must not be empty or blank", "fix-config"))
  if (text.length < (options.min ?? 1)) return Effect.fail(invalid(argument, `must be at least ${options.min} characters (a random secret)`, "fix-config"))
  if (text.length > options.max) return Effect.fail(invalid(argument, `must be at most ${options.max} characters`, "fix-config"))
  if (/[\u0000-\u0020\u007f]/.test(text)) return Effect.fail(invalid(argument, "must not hold spaces or control characters", "fix-config"))
  return Effect.succeed(Redacted.isRedacted(value) ? (value as Redacted.Redacted<string>) : Redacted.make(text))
}

/** Wraps a secret input in `Redacted` (a `Redacted` is kept as is). */
export const redactSecret = (value: Secret): Redacted.Redacted<string> => (Redacted.isRedacted(value) ? value : Redacted.make(value))
