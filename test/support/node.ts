/**
 * How a test spawns Node on the shared sources: the v3 run with the source condition and
 * tsx, the v4 run (which sets `EFFECT_WECHAT_NODE_ARGS`, see v4/vitest.config.ts) also with
 * the Effect 4 resolve hook.
 */
const fromEnv = process.env["EFFECT_WECHAT_NODE_ARGS"]

/** Node's arguments for the Effect 3 edition. */
export const v3NodeArgs: ReadonlyArray<string> = ["--conditions=effect-wechat-source", "--import", "tsx"]

/** Node's arguments for this run's edition. */
export const nodeArgs: ReadonlyArray<string> = fromEnv === undefined ? v3NodeArgs : (JSON.parse(fromEnv) as ReadonlyArray<string>)

/**
 * Whether this run can spawn processes of both editions: the v4 run can (it runs on Node
 * 22); the v3 run's Node 20 cannot load the Effect 4 resolve hook.
 */
export const bothEditions: boolean = fromEnv !== undefined

/** The arguments of the `i`th of several processes: alternating editions when both can run. */
export const nodeArgsFor = (i: number): ReadonlyArray<string> => (bothEditions && i % 2 === 1 ? v3NodeArgs : nodeArgs)
