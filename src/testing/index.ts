/**
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Cassette from "./Cassette.js"

/**
 * @since 0.1.0
 */
export * as Recorder from "./Recorder.js"

/**
 * @since 0.1.0
 */
export * as Replay from "./Replay.js"
