/**
 * Wire-level schemas shared by the endpoint modules.
 * @internal
 */
import { Schema } from "effect"

/** A secret string from WeChat, `Redacted` as soon as it is decoded. */
export const SecretString = Schema.Redacted(Schema.NonEmptyString)

/** `expires_in` in seconds; a numeric string is tolerated. */
export const Seconds = Schema.Union(Schema.NonNegative, Schema.compose(Schema.NumberFromString, Schema.NonNegative))

/** An optional string field where WeChat's empty string means "absent". */
export const OptionalId = Schema.optionalWith(Schema.String, { as: "Option" })

/** Renames a wire key (`snake_case`) to the camelCase field. */
export const wire = <S extends Schema.Schema.All>(key: string, schema: S) =>
  Schema.propertySignature(schema).pipe(Schema.fromKey(key))
