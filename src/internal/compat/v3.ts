/**
 * The Effect 3 kernel: every API the two editions spell differently, in Effect 3's
 * spelling (`effect` 3 + `@effect/platform`). The shared sources reach it, or the Effect 4
 * kernel (`./v4.ts`, same names), through the one specifier `#compat` (package.json
 * `imports`), so that no file outside the two kernels depends on an edition.
 *
 * Rules (docs/effect4.md, "The kernel"): a name here exists in both kernels with the same
 * meaning and, where it is a type in a public signature, each edition's own idiom (`Either`
 * here, `Result` there); nothing here holds behaviour beyond the spelling.
 *
 * @since 0.3.0
 */
/**
 * Which edition this is.
 *
 * @since 0.3.0
 * @category edition
 */
export const edition = "v3" as const

export * from "./v3/platform.js"
export * from "./v3/effect.js"
export * from "./v3/schema.js"
