// A resolve hook for processes that run the shared src/ and test/ on Effect 4 (workers, the
// demo, the fake's bin): bare imports of the packages that have an Effect 4 twin resolve as
// if made from this folder. Needs Node >= 22.15 (module.registerHooks). Use:
//   node --conditions=effect-wechat-v4-source --conditions=effect-wechat-source \
//     --import ./v4/node-hooks.mjs --import tsx file.ts
import { registerHooks } from "node:module"

const here = new URL("./", import.meta.url).href
const anchor = new URL("./package.json", import.meta.url).href
const twins = /^(effect|@effect\/vitest|vitest|@effect\/platform-node|@effect\/platform-node-shared)(\/.*)?$/

registerHooks({
  resolve(specifier, context, nextResolve) {
    const parent = context.parentURL
    if (twins.test(specifier) && parent !== undefined && !parent.startsWith(here) && !parent.includes("/node_modules/")) {
      return nextResolve(specifier, { ...context, parentURL: anchor })
    }
    return nextResolve(specifier, context)
  }
})
