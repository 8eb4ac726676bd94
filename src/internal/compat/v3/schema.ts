/**
 * The Effect 3 kernel, part: schemas (see `../v3.ts`).
 *
 * @since 0.3.0
 */
import { Effect, Option, ParseResult, Schema } from "effect"
import type { Result } from "./effect.js"

// ---------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------

/**
 * A schema from `I` to `A` that needs no service (`Schema.Schema<A, I>` / `Schema.Codec<A, I>`).
 *
 * @since 0.3.0
 * @category schema
 */
export type Codec<A, I = A> = Schema.Schema<A, I, never>

/**
 * Any schema that needs no service.
 *
 * @since 0.3.0
 * @category schema
 */
export type AnyCodec = Schema.Schema.AnyNoContext

/**
 * A decoding failure (`ParseResult.ParseError` / `Schema.SchemaError`).
 *
 * @since 0.3.0
 * @category schema
 */
export type ParseError = ParseResult.ParseError

type LiteralValue = string | number | boolean | null | bigint

/**
 * One of the given literals.
 *
 * @since 0.3.0
 * @category schema
 */
export const literals = <const L extends readonly [LiteralValue, ...Array<LiteralValue>]>(...values: L): Schema.Literal<[...L]> => Schema.Literal(...values)

/**
 * Any of the given schemas.
 *
 * @since 0.3.0
 * @category schema
 */
export const union = <const Members extends readonly [Schema.Schema.All, Schema.Schema.All, ...Array<Schema.Schema.All>]>(...members: Members): Schema.Union<Members> =>
  Schema.Union(...members)

/**
 * A record of `value`s by `key`.
 *
 * @since 0.3.0
 * @category schema
 */
export const record = <K extends Schema.Schema.All, V extends Schema.Schema.All>(key: K, value: V) => Schema.Record({ key: key as K & Schema.Schema<string, string, never>, value })

/**
 * An optional field whose absence (or `undefined`) decodes to `value()`, also the
 * constructor's default.
 *
 * @since 0.3.0
 * @category schema
 */
export const optionalDefault = <S extends Schema.Schema.All>(schema: S, value: () => Schema.Schema.Type<S>) => Schema.optionalWith(schema, { default: value })

/**
 * An optional field decoded to an `Option` (absent or `undefined` is `None`).
 *
 * @since 0.3.0
 * @category schema
 */
export const optionalOption = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { as: "Option" })

/**
 * An optional text field decoded to an `Option`, where absence and the empty string are
 * both `None` (WeChat sends `""` for a value it does not have).
 *
 * @since 0.4.0
 * @category schema
 */
export const optionalText = Schema.optionalToRequired(Schema.String, Schema.OptionFromSelf(Schema.String), {
  decode: (present) => Option.filter(present, (text) => text !== ""),
  encode: (value) => value
})

/**
 * An `Option` field, as is.
 *
 * @since 0.3.0
 * @category schema
 */
export const option = <S extends Schema.Schema.Any>(schema: S): Schema.OptionFromSelf<S> => Schema.OptionFromSelf(schema)

/**
 * A transformation from `from` to `to` by two total functions.
 *
 * @since 0.3.0
 * @category schema
 */
export const transform = <From extends Schema.Schema.Any, To extends Schema.Schema.Any>(
  from: From,
  to: To,
  decode: (fromA: Schema.Schema.Type<From>) => Schema.Schema.Encoded<To>,
  encode: (toI: Schema.Schema.Encoded<To>) => Schema.Schema.Type<From>
): Schema.transform<From, To> => Schema.transform(from, to, { strict: true, decode, encode })

/**
 * A value as JSON text.
 *
 * @since 0.3.0
 * @category schema
 */
export const parseJson = <A, I>(schema: Codec<A, I>): Codec<A, string> => Schema.parseJson(schema)

/**
 * A raw value, `Redacted` once decoded.
 *
 * @since 0.3.0
 * @category schema
 */
export const redactedFromValue = <A, I>(schema: Codec<A, I>): Codec<import("effect").Redacted.Redacted<A>, I> => Schema.Redacted(schema)

/**
 * A number at least 0.
 *
 * @since 0.3.0
 * @category schema
 */
export const NonNegative: Codec<number> = Schema.NonNegative

/**
 * A whole number at least 0.
 *
 * @since 0.3.0
 * @category schema
 */
export const NonNegativeInt: Codec<number> = Schema.NonNegativeInt

/**
 * A numeric string at least 0.
 *
 * @since 0.3.0
 * @category schema
 */
export const NonNegativeFromString: Codec<number, string> = Schema.compose(Schema.NumberFromString, Schema.NonNegative)

/**
 * A whole number between `min` and `max`.
 *
 * @since 0.3.0
 * @category schema
 */
export const intBetween = (min: number, max: number): Codec<number> => Schema.Int.pipe(Schema.between(min, max))

/**
 * A `Date` from epoch millis.
 *
 * @since 0.3.0
 * @category schema
 */
export const DateFromMillis: Codec<Date, number> = Schema.DateFromNumber

type Renamed<F, K extends PropertyKey> = F extends Schema.PropertySignature<infer TT, infer T, PropertyKey, infer ET, infer E, infer HD, infer R>
  ? Schema.PropertySignature<TT, T, K, ET, E, HD, R>
  : F extends Schema.Schema<infer A, infer I, infer R> ? Schema.PropertySignature<":", A, K, ":", I, false, R>
  : never

/**
 * Struct fields whose encoded keys are renamed by `M` (field → wire key).
 *
 * @since 0.3.0
 * @category schema
 */
export type RenamedFields<F extends Schema.Struct.Fields, M> = {
  readonly [K in keyof F]: K extends keyof M ? M[K] extends string ? Renamed<F[K], M[K]> : F[K] : F[K]
}

/**
 * The keys a struct's fields take on the wire, by field.
 *
 * @since 0.3.0
 * @category schema
 */
export type WireKeys<F> = { readonly [K in keyof F]?: string }

const renameFields = <F extends Schema.Struct.Fields, const M extends WireKeys<F>>(fields: F, keys: M): RenamedFields<F, M> => {
  const out: Record<string, unknown> = {}
  for (const name of Object.keys(fields)) {
    const field = fields[name]!
    const key = keys[name]
    out[name] = key === undefined
      ? field
      : Schema.fromKey(key)(
        (Schema.isPropertySignature(field) ? field : Schema.propertySignature(field as Schema.Schema.All)) as Schema.PropertySignature.Any as Schema.PropertySignature<
          Schema.PropertySignature.Token,
          unknown,
          PropertyKey,
          Schema.PropertySignature.Token,
          unknown,
          boolean,
          unknown
        >
      )
  }
  return out as RenamedFields<F, M>
}

/**
 * A struct whose fields have other names on the wire (WeChat's `snake_case`).
 *
 * @since 0.3.0
 * @category schema
 */
export const wireStruct = <F extends Schema.Struct.Fields, const M extends WireKeys<F>>(fields: F, keys: M): Schema.Struct<RenamedFields<F, M>> =>
  Schema.Struct(renameFields(fields, keys))

/**
 * A schema class instance from values already of its type (`new C(props, true)` /
 * `new C(props, { disableChecks: true })`): for a decoder's fast path, whose values were
 * checked field by field.
 *
 * @since 0.4.0
 * @category schema
 */
export const construct = <P, A>(Class: new(props: P, options?: boolean) => A, props: P): A => new Class(props, true)

/**
 * A `Schema.Class` whose fields have other names on the wire:
 * `class X extends WireClass<X>("id")(fields, { field: "wire_key" }) {}`.
 *
 * @since 0.3.0
 * @category schema
 */
export const WireClass = <Self>(identifier: string) =>
<F extends Schema.Struct.Fields, const M extends WireKeys<F>>(
  fields: F,
  keys: M
): Schema.Class<
  Self,
  RenamedFields<F, M>,
  Schema.Struct.Encoded<RenamedFields<F, M>>,
  Schema.Struct.Context<RenamedFields<F, M>>,
  Schema.Struct.Constructor<RenamedFields<F, M>>,
  {},
  {}
> =>
  Schema.Class<Self>(identifier)(renameFields(fields, keys)) as unknown as Schema.Class<
    Self,
    RenamedFields<F, M>,
    Schema.Struct.Encoded<RenamedFields<F, M>>,
    Schema.Struct.Context<RenamedFields<F, M>>,
    Schema.Struct.Constructor<RenamedFields<F, M>>,
    {},
    {}
  >

/**
 * A decoder that answers with a {@link Result}.
 *
 * @since 0.3.0
 * @category schema
 */
export const decodeUnknownResult = <A, I>(schema: Codec<A, I>): (u: unknown) => Result<A, ParseError> => Schema.decodeUnknownEither(schema)

/**
 * An encoder that answers with a {@link Result}.
 *
 * @since 0.3.0
 * @category schema
 */
export const encodeResult = <A, I>(schema: Codec<A, I>): (a: A) => Result<I, ParseError> => Schema.encodeEither(schema)

/**
 * A decoder that answers with an effect.
 *
 * @since 0.3.0
 * @category schema
 */
export const decodeUnknownEffect = <A, I>(schema: Codec<A, I>): (u: unknown) => Effect.Effect<A, ParseError> => Schema.decodeUnknown(schema)

/**
 * Whether a value is a decoding failure.
 *
 * @since 0.3.0
 * @category schema
 */
export const isParseError = (u: unknown): u is ParseError => ParseResult.isParseError(u)

/**
 * A decoding failure's issues, one per leaf: its path and whether a key was missing. No
 * value from the input appears here.
 *
 * @since 0.3.0
 * @category schema
 */
export const issuesOf = (error: ParseError): ReadonlyArray<{ readonly path: ReadonlyArray<PropertyKey>; readonly missing: boolean }> =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({ path: issue.path, missing: issue._tag === "Missing" }))

/**
 * A decoding failure as Effect's own text (for the fake's control API; it may quote the
 * input, so never use it on WeChat's bodies).
 *
 * @since 0.3.0
 * @category schema
 */
export const formatParseError = (error: ParseError): string => ParseResult.TreeFormatter.formatErrorSync(error)
