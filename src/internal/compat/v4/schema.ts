/**
 * The Effect 4 kernel, part: schemas (see `../v4.ts`).
 *
 * @since 0.3.0
 */
import {
  Effect,
  Option,
  Schema,
  type SchemaAST,
  SchemaGetter,
  SchemaIssue,
  SchemaTransformation
} from "effect"
import type { Result } from "./effect.js"

/**
 * A schema from `I` to `A` that needs no service.
 *
 * @since 0.3.0
 * @category schema
 */
export type Codec<A, I = A> = Schema.Codec<A, I, never, never>

/**
 * Any schema that needs no service.
 *
 * @since 0.3.0
 * @category schema
 */
export type AnyCodec = Schema.Codec<unknown, unknown, never, never>

/**
 * A decoding failure.
 *
 * @since 0.3.0
 * @category schema
 */
export type ParseError = Schema.SchemaError

type LiteralValue = SchemaAST.LiteralValue

/**
 * One of the given literals.
 *
 * @since 0.3.0
 * @category schema
 */
export const literals = <const L extends readonly [LiteralValue, ...Array<LiteralValue>]>(...values: L): Schema.Literals<L> => Schema.Literals(values)

/**
 * Any of the given schemas.
 *
 * @since 0.3.0
 * @category schema
 */
export const union = <const Members extends readonly [Schema.Top, Schema.Top, ...Array<Schema.Top>]>(...members: Members): Schema.Union<Members> =>
  Schema.Union(members)

/**
 * A record of `value`s by `key`.
 *
 * @since 0.3.0
 * @category schema
 */
export const record = <K extends Schema.Record.Key, V extends Schema.Top>(key: K, value: V): Schema.$Record<K, V> => Schema.Record(key, value)

/**
 * An optional field whose absence (or `undefined`) decodes to `value()`, also the
 * constructor's default.
 *
 * @since 0.3.0
 * @category schema
 */
export const optionalDefault = <S extends Schema.Top & Schema.WithoutConstructorDefault>(schema: S, value: () => S["Type"]) =>
  Schema.withConstructorDefault<Schema.withDecodingDefaultType<S>>(Effect.sync(value))(Schema.withDecodingDefaultType<S>(Effect.sync(value))(schema))

/**
 * An optional field decoded to an `Option` (absent or `undefined` is `None`).
 *
 * @since 0.3.0
 * @category schema
 */
export const optionalOption = <S extends Schema.Top>(schema: S): Schema.OptionFromOptional<S> => Schema.OptionFromOptional(schema)

/**
 * An optional text field decoded to an `Option`, where absence and the empty string are
 * both `None` (WeChat sends `""` for a value it does not have).
 *
 * @since 0.4.0
 * @category schema
 */
export const optionalText = Schema.optional(Schema.String).pipe(
  Schema.decodeTo(
    Schema.Option(Schema.String),
    SchemaTransformation.transformOptional({
      decode: (present) => Option.some(Option.filter(present, (text): text is string => text !== undefined && text !== "")),
      encode: Option.flatten
    })
  )
)

/**
 * An `Option` field, as is.
 *
 * @since 0.3.0
 * @category schema
 */
export const option = <S extends Schema.Top>(schema: S): Schema.Option<S> => Schema.Option(schema)

/**
 * A transformation from `from` to `to` by two total functions.
 *
 * @since 0.3.0
 * @category schema
 */
export const transform = <From extends Schema.Top, To extends Schema.Top>(
  from: From,
  to: To,
  decode: (fromA: From["Type"]) => To["Encoded"],
  encode: (toI: To["Encoded"]) => From["Type"]
): Schema.decodeTo<To, From> =>
  from.pipe(Schema.decodeTo(to, { decode: SchemaGetter.transform(decode), encode: SchemaGetter.transform(encode) }))

/**
 * A value as JSON text.
 *
 * @since 0.3.0
 * @category schema
 */
export const parseJson = <A, I>(schema: Codec<A, I>): Codec<A, string> => Schema.fromJsonString(schema)

/**
 * A raw value, `Redacted` once decoded.
 *
 * @since 0.3.0
 * @category schema
 */
export const redactedFromValue = <A, I>(schema: Codec<A, I>): Codec<import("effect").Redacted.Redacted<A>, I> => Schema.RedactedFromValue(schema)

/**
 * A number at least 0.
 *
 * @since 0.3.0
 * @category schema
 */
export const NonNegative = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * A whole number at least 0.
 *
 * @since 0.3.0
 * @category schema
 */
export const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * A numeric string at least 0. A blank string is refused, as on Effect 3 (Effect 4's
 * `NumberFromString` would read `""` as 0: a token that expires at once).
 *
 * @since 0.3.0
 * @category schema
 */
export const NonNegativeFromString = Schema.String.check(Schema.isPattern(/\S/)).pipe(
  Schema.decodeTo(Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)), SchemaTransformation.numberFromString)
)

/**
 * A whole number between `min` and `max`.
 *
 * @since 0.3.0
 * @category schema
 */
export const intBetween = (min: number, max: number) => Schema.Int.check(Schema.isBetween({ minimum: min, maximum: max }))

/**
 * A `Date` from epoch millis.
 *
 * @since 0.3.0
 * @category schema
 */
export const DateFromMillis: Codec<Date, number> = Schema.Number.pipe(
  Schema.decodeTo(Schema.Date, {
    decode: SchemaGetter.transform((n: number) => new Date(n)),
    encode: SchemaGetter.transform((d: Date) => d.getTime())
  })
)

/**
 * The keys a struct's fields take on the wire, by field.
 *
 * @since 0.3.0
 * @category schema
 */
export type WireKeys<F> = { readonly [K in keyof F]?: string }

/**
 * A struct whose fields have other names on the wire (WeChat's `snake_case`).
 *
 * @since 0.3.0
 * @category schema
 */
export const wireStruct = <F extends Schema.Struct.Fields, const M extends WireKeys<F>>(fields: F, keys: M): Schema.encodeKeys<Schema.Struct<F>, M> =>
  Schema.Struct(fields).pipe(Schema.encodeKeys(keys))

/**
 * A schema class instance from values already of its type (`new C(props, true)` /
 * `new C(props, { disableChecks: true })`): for a decoder's fast path, whose values were
 * checked field by field.
 *
 * @since 0.4.0
 * @category schema
 */
export const construct = <P, A>(Class: new(props: P, options?: { readonly disableChecks?: boolean | undefined }) => A, props: P): A =>
  new Class(props, { disableChecks: true })

/**
 * A `Schema.Class` whose fields have other names on the wire:
 * `class X extends WireClass<X>("id")(fields, { field: "wire_key" }) {}`.
 *
 * @since 0.3.0
 * @category schema
 */
export const WireClass = <Self>(identifier: string) =>
<F extends Schema.Struct.Fields, const M extends WireKeys<F>>(fields: F, keys: M): Schema.Class<Self, Schema.Struct<F>, {}> => {
  // a class over the renamed struct: decoding and encoding use the wire keys; the
  // `Encoded` type keeps the field names
  const Class = Schema.Class<Self>(identifier)(Schema.Struct(fields).pipe(Schema.encodeKeys(keys)) as unknown as Schema.Struct<F>)
  // the renamed struct has no `fields`: the class gets them back, as on Effect 3
  Object.defineProperty(Class, "fields", { value: fields, enumerable: true, configurable: true })
  return Class as unknown as Schema.Class<Self, Schema.Struct<F>, {}>
}

/**
 * A decoder that answers with a {@link Result}.
 *
 * @since 0.3.0
 * @category schema
 */
export const decodeUnknownResult = <A, I>(schema: Codec<A, I>): (u: unknown) => Result<A, ParseError> => {
  const decode = Schema.decodeUnknownResult(schema)
  return (u) => decode(u)
}

/**
 * An encoder that answers with a {@link Result}.
 *
 * @since 0.3.0
 * @category schema
 */
export const encodeResult = <A, I>(schema: Codec<A, I>): (a: A) => Result<I, ParseError> => {
  const encode = Schema.encodeResult(schema)
  return (a) => encode(a)
}

/**
 * A decoder that answers with an effect.
 *
 * @since 0.3.0
 * @category schema
 */
export const decodeUnknownEffect = <A, I>(schema: Codec<A, I>): (u: unknown) => Effect.Effect<A, ParseError> => {
  const decode = Schema.decodeUnknownEffect(schema)
  return (u) => decode(u)
}

/**
 * Whether a value is a decoding failure.
 *
 * @since 0.3.0
 * @category schema
 */
export const isParseError = (u: unknown): u is ParseError => Schema.isSchemaError(u)

type IssueLeaf = { readonly path: ReadonlyArray<PropertyKey>; readonly missing: boolean }

const leaves = (issue: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey>, out: Array<IssueLeaf>): void => {
  switch (issue._tag) {
    case "Pointer":
      return leaves(issue.issue, [...path, ...issue.path], out)
    case "Filter":
    case "Encoding":
      return leaves(issue.issue, path, out)
    case "Composite":
      for (const inner of issue.issues) leaves(inner, path, out)
      return
    case "AnyOf":
      if (issue.issues.length === 0) out.push({ path, missing: false })
      for (const inner of issue.issues) leaves(inner, path, out)
      return
    default:
      out.push({ path, missing: issue._tag === "MissingKey" })
  }
}

/**
 * A decoding failure's issues, one per leaf: its path and whether a key was missing. No
 * value from the input appears here.
 *
 * @since 0.3.0
 * @category schema
 */
export const issuesOf = (error: ParseError): ReadonlyArray<IssueLeaf> => {
  const out: Array<IssueLeaf> = []
  leaves(error.issue, [], out)
  return out
}

/**
 * A decoding failure as Effect's own text (for the fake's control API; it may quote the
 * input, so never use it on WeChat's bodies).
 *
 * @since 0.3.0
 * @category schema
 */
export const formatParseError = (error: ParseError): string => error.message
