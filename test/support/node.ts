/**
 * How a test spawns Node on the shared sources: the v3 run with the source condition and
 * tsx, the v4 run (which sets `EFFECT_WECHAT_NODE_ARGS`, see v4/vitest.config.ts) also with
 * the Effect 4 resolve hook.
 */
const fromEnv = process.env["EFFECT_WECHAT_NODE_ARGS"]

export const nodeArgs: ReadonlyArray<string> = fromEnv === undefined
  ? ["--conditions=effect-wechat-source", "--import", "tsx"]
  : (JSON.parse(fromEnv) as ReadonlyArray<string>)
