/**
 * What this process knows about its deployment, to warn when a feature that promises
 * cross-process behaviour (deduplicated code exchanges, one token fetch between processes)
 * runs on a process-local store: because a shared store was built elsewhere in the
 * program but not given to this feature, or because the process said it is one of many.
 * Each feature warns once per process for each reason.
 * @internal
 */
import { Effect } from "effect"

let sharedStoreBuilt = false
let manyProcesses = false
const warned = new Set<string>()

/** A shared store (Redis) was built in this process. */
export const noteSharedStore = Effect.sync(() => {
  sharedStoreBuilt = true
})

/** The process said it is one of many. */
export const noteManyProcesses = Effect.sync(() => {
  manyProcesses = true
})

/**
 * The warning to log, once per feature, when `feature` runs on a process-local store
 * (`isDefault`: the process-wide default) while a shared store exists elsewhere or the
 * process is one of many; undefined when there is nothing (more) to say. A plain check:
 * it runs on every code exchange.
 */
export const localWarning = (feature: string, store: { readonly shared: boolean }, isDefault: boolean): Effect.Effect<void> | undefined => {
  if (store.shared) return undefined
  const reason = isDefault && sharedStoreBuilt
    ? "a shared TokenStore (Redis) was built elsewhere in this program but not provided to it"
    : manyProcesses
    ? "this process is one of many"
    : undefined
  if (reason === undefined || warned.has(`${feature}:${reason}`)) return undefined
  warned.add(`${feature}:${reason}`)
  return Effect.logWarning(
    `effect-wechat: ${feature} uses a process-local TokenStore while ${reason}: its results are not shared with other ` +
      `processes. Provide the shared store to it too (Layer.provideMerge(RedisTokenStore.layer(…)), or build everything ` +
      `with WechatClient.layer).`
  )
}

/** {@link localWarning} as an effect (nothing when there is nothing to say). */
export const warnIfLocal = (feature: string, store: { readonly shared: boolean }, isDefault: boolean): Effect.Effect<void> =>
  Effect.suspend(() => localWarning(feature, store, isDefault) ?? Effect.void)
