#!/usr/bin/env node
/**
 * The `effect-wechat-fake` command: starts the fake of the edition that matches the
 * installed `effect` (major 3: the default build; 4: the `v4` build), so the one bin works
 * in either kind of project.
 * @since 0.3.0
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"

const require = createRequire(import.meta.url)

const effectMajor = (): number => {
  try {
    const manifest: unknown = JSON.parse(readFileSync(require.resolve("effect/package.json"), "utf8"))
    const version = typeof manifest === "object" && manifest !== null && "version" in manifest ? String(manifest.version) : ""
    return Number(version.split(".")[0])
  } catch {
    return Number.NaN
  }
}

const major = effectMajor()
if (major !== 3 && major !== 4) {
  console.error("effect-wechat-fake: install effect (3 with @effect/platform 0.97, or 4) next to effect-wechat")
  process.exit(1)
}
// the built layout: dist/testing/bin.js, dist/testing/cli.js, dist/v4/testing/cli.js
const cli = major === 4 ? "../v4/testing/cli.js" : "./cli.js"
await import(cli)
