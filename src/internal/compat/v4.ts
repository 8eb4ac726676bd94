/**
 * The Effect 4 kernel: the same names as `./v3.ts`, in Effect 4's spelling (`effect` 4,
 * with HTTP in `effect/http` and the key-value store in `effect/persistence`). The shared
 * sources reach it through `#compat` when built or run as the Effect 4 edition.
 *
 * @since 0.3.0
 */
/**
 * Which edition this is.
 *
 * @since 0.3.0
 * @category edition
 */
export const edition = "v4" as const

export * from "./v4/platform.js"
export * from "./v4/effect.js"
export * from "./v4/schema.js"
