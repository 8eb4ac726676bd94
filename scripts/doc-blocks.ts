/**
 * Docs are tests: every `ts` code block of README.md and docs/*.md, and every `@example`
 * in src/, is written out as a module and type-checked with the project's compiler options
 * against the real API (the package's own name resolves to src/).
 *
 * A block may declare the names it uses without defining them in a leading comment:
 *
 *     // free: ticket: Redacted.Redacted<string>; url: string
 *
 * Run alone: `npx tsx scripts/doc-blocks.ts` (prints the errors, exits 1 on any).
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const out = join(root, "test-output", "doc-blocks")

export interface Block {
  /** Where the block is, for error messages: `docs/guide.md:12`. */
  readonly source: string
  readonly line: number
  readonly code: string
}

const markdownBlocks = (file: string): Array<Block> => {
  const lines = readFileSync(join(root, file), "utf8").split("\n")
  const blocks: Array<Block> = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== "```ts") continue
    const start = i + 1
    let end = start
    while (end < lines.length && lines[end]!.trim() !== "```") end++
    blocks.push({ source: file, line: start + 1, code: lines.slice(start, end).join("\n") })
    i = end
  }
  return blocks
}

const exampleBlocks = (file: string): Array<Block> => {
  const lines = readFileSync(join(root, file), "utf8").split("\n")
  const blocks: Array<Block> = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== "* ```ts") continue
    const start = i + 1
    let end = start
    while (end < lines.length && lines[end]!.trim() !== "* ```") end++
    const code = lines.slice(start, end).map((l) => l.replace(/^\s*\* ?/, "")).join("\n")
    blocks.push({ source: file, line: start + 1, code })
    i = end
  }
  return blocks
}

const walk = (dir: string): Array<string> =>
  readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name)
    return statSync(join(root, path)).isDirectory() ? walk(path) : [path]
  })

export const collect = (): Array<Block> => [
  ...["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)].flatMap(markdownBlocks),
  ...walk("src").filter((f) => f.endsWith(".ts")).flatMap(exampleBlocks)
]

const FREE = /^\/\/ free: (.*)$/

/** Writes the blocks as modules and type-checks them; the errors, mapped back to the docs. */
export const check = (): { readonly blocks: number; readonly errors: ReadonlyArray<string> } => {
  const blocks = collect()
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out, { recursive: true })
  const files = new Map<string, Block>()
  blocks.forEach((block, n) => {
    const lines = block.code.split("\n")
    const free = FREE.exec(lines[0]?.trim() ?? "")
    const declarations = free === null ? [] : free[1]!.split(";").map((d) => `declare const ${d.trim()}`)
    const name = `${block.source.replace(/[^A-Za-z0-9]+/g, "_")}_${n}.ts`
    // the declarations go last (declarations are not order-bound), so line numbers match the doc
    writeFileSync(join(out, name), `${block.code}\n${declarations.join("\n")}\nexport {}\n`)
    files.set(name, block)
  })
  const base = JSON.parse(readFileSync(join(root, "tsconfig.json"), "utf8")) as { compilerOptions: Record<string, unknown> }
  writeFileSync(join(out, "tsconfig.json"), JSON.stringify({
    compilerOptions: { ...base.compilerOptions, noUnusedLocals: false, noUnusedParameters: false, noEmit: true },
    include: ["*.ts"]
  }, null, 2))
  let output = ""
  try {
    execFileSync(join(root, "node_modules", ".bin", "tsc"), ["-p", join(out, "tsconfig.json")], { cwd: root, encoding: "utf8" })
  } catch (e) {
    output = String((e as { stdout?: string }).stdout ?? e)
  }
  const errors = output.split("\n").filter((l) => /error TS\d+/.test(l)).map((l) => {
    const m = /^(?:.*[\\/])?([^\\/(]+\.ts)\((\d+),(\d+)\): (.*)$/.exec(l)
    const block = m === null ? undefined : files.get(m[1]!)
    return block === undefined ? l : `${block.source}:${block.line + Number(m![2]) - 1}: ${m![4]}`
  })
  return { blocks: blocks.length, errors }
}

if (process.argv[1] !== undefined && relative(process.argv[1], fileURLToPath(import.meta.url)) === "") {
  const { blocks, errors } = check()
  for (const e of errors) console.log(e)
  console.log(`${blocks} blocks, ${errors.length} errors`)
  process.exitCode = errors.length === 0 ? 0 : 1
}
