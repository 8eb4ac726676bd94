/**
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category modules
 */
export * as Cassette from "./Cassette.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as Recorder from "./Recorder.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as Replay from "./Replay.js"

/**
 * The fake's tag is the entry point itself (`yield* FakeWechat`, `FakeWechat.layer(...)`),
 * so it is exported as the class rather than as a namespace.
 *
 * @since 0.1.0
 * @category modules
 */
export { FakeWechat, FakeWechatError } from "./FakeWechat.js"
