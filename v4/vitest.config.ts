import { fileURLToPath } from "node:url"
import { defineConfig, type Plugin } from "vitest/config"

// The Effect 4 run: vitest 5 from this folder, on Node 22 (scripts/node22.sh), over the
// same src/ and test/ as the Effect 3 run. Files outside this folder would find effect 3,
// vitest 3 and @effect/vitest 0.30 in the root node_modules: the plugin resolves their bare
// imports of those packages as if they were made from this folder.
const here = fileURLToPath(new URL(".", import.meta.url))
const anchor = fileURLToPath(new URL("./vitest.config.ts", import.meta.url))
const twins = /^(effect|@effect\/vitest|vitest|@effect\/platform-node|@effect\/platform-node-shared)(\/.*)?$/

const editionFourToolchain = (): Plugin => ({
  name: "effect-wechat-v4-toolchain",
  enforce: "pre",
  async resolveId(source, importer, options) {
    if (importer === undefined || importer.includes("/node_modules/")) return null
    // an Effect 3 package here would load a second effect (3): only the v3 kernels may import it
    if (/^@effect\/platform(\/|$)/.test(source)) {
      throw new Error(`${importer} imports ${source}: go through #compat (or #test-compat) so the Effect 4 run gets Effect 4's module`)
    }
    if (!twins.test(source) || importer.startsWith(here)) return null
    return this.resolve(source, anchor, { ...options, skipSelf: true })
  }
})

const conditions = ["effect-wechat-v4-source", "effect-wechat-source", "module", "node", "development|production"]

/** How spawned processes (workers, the demo, the bin) run the sources on Effect 4. */
const nodeArgs = ["--conditions=effect-wechat-v4-source", "--conditions=effect-wechat-source", "--import", "./v4/node-hooks.mjs", "--import", "tsx"]

export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  plugins: [editionFourToolchain()],
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/globalSetup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    env: { EFFECT_WECHAT_EDITION: "v4", EFFECT_WECHAT_NODE_ARGS: JSON.stringify(nodeArgs) },
    // CI sums both editions' JSON reports (.ci/run)
    reporters: process.env["CI"] ? ["default", ["json", { outputFile: "test-output/vitest-v4.json" }]] : ["default"]
  }
})
