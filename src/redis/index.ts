/**
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category modules
 */
export * as RedisTokenStore from "./RedisTokenStore.js"
