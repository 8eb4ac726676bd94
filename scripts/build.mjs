// Builds both editions from the one source tree: `dist/` (Effect 3, the v3 kernel) and
// `dist/v4/` (Effect 4, the v4 kernel). The compiled code keeps the specifier `#compat`;
// `dist/v4/package.json` maps it to the v4 kernel, so Node, TypeScript and bundlers (which
// read the nearest package.json) give each edition its own kernel.
import { execFileSync } from "node:child_process"
import { rmSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const tsc = (project) => execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", project], { cwd: root, stdio: "inherit" })

rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true })
tsc("tsconfig.build.json")
tsc("tsconfig.build.v4.json")
writeFileSync(
  new URL("../dist/v4/package.json", import.meta.url),
  JSON.stringify(
    {
      type: "module",
      sideEffects: [],
      imports: { "#compat": { types: "./internal/compat/v4.d.ts", default: "./internal/compat/v4.js" } }
    },
    null,
    2
  ) + "\n"
)
