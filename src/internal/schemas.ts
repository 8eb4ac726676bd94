/**
 * Wire-level schemas shared by the endpoint modules.
 * @internal
 */
import { Schema } from "effect"
import * as Compat from "#compat"

/** A secret string from WeChat, `Redacted` as soon as it is decoded. */
export const SecretString = Compat.redactedFromValue(Schema.NonEmptyString)

/** `expires_in` in seconds; a numeric string is tolerated. */
export const Seconds = Compat.union(Compat.NonNegative, Compat.NonNegativeFromString)

/** An optional string field where WeChat's empty string means "absent". */
export const OptionalId = Compat.optionalText
