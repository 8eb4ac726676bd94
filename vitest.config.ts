import { defineConfig } from "vitest/config"

export default defineConfig({
  // Resolve the package's own "effect-wechat" imports (examples/) to src/, as tsc and
  // `tsx --conditions=effect-wechat-source` do, not to a stale or missing dist/. Vite's
  // default server conditions follow.
  ssr: { resolve: { conditions: ["effect-wechat-source", "module", "node", "development|production"] } },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/globalSetup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // CI sums both editions' JSON reports (.ci/run)
    reporters: process.env["CI"] ? ["default", ["json", { outputFile: "test-output/vitest-v3.json" }]] : ["default"]
  }
})
