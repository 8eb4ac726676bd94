/**
 * The login demo (`npm start`): a small web app that logs users in with WeChat through
 * effect-wechat. Without WeChat credentials it embeds FakeWechat, so it runs offline;
 * with `WECHAT_APP_ID` and `WECHAT_APP_SECRET` set it talks to WeChat (and with
 * `WECHAT_QR_APP_ID` / `WECHAT_QR_APP_SECRET`, QR login uses that website app); set `PUBLIC_URL` to
 * the origin browsers use (its host must be an authorized domain of the app).
 *
 *   PORT=3000 npx tsx --conditions=effect-wechat-source examples/login/main.ts
 */
import { catchAll, NodeRuntime } from "#demo-compat"
import { Console, Effect } from "effect"
import { startDemo } from "./app.js"

const env = (name: string) => {
  const value = process.env[name]
  return value === undefined || value.trim() === "" ? undefined : value
}

const fail = (message: string) =>
  Console.error(message).pipe(
    Effect.andThen(Effect.sync(() => {
      process.exitCode = 1
    })),
    Effect.andThen(Effect.interrupt)
  )

const main = Effect.gen(function*() {
  const portText = env("PORT") ?? "3000"
  const port = Number(portText)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return yield* fail(`PORT must be a port number (0-65535), not ${JSON.stringify(portText)}`)
  }
  const realWechat = env("WECHAT_APP_ID") !== undefined && env("WECHAT_APP_SECRET") !== undefined
  const demo = yield* startDemo({ port, realWechat, publicUrl: env("PUBLIC_URL") }).pipe(
    catchAll((error) => {
      // ServeError's message is generic; its cause says e.g. EADDRINUSE
      const detail = error._tag === "ServeError" && error.cause instanceof Error ? error.cause.message : error.message
      return fail(`the demo could not start: ${detail}`)
    })
  )
  const backend = demo.fake === undefined ? "WeChat, from WECHAT_APP_ID / WECHAT_APP_SECRET" : `FakeWechat at ${demo.fake.url}`
  yield* Console.log(`Demo: open ${demo.url}/ (${backend})`)
  return yield* Effect.never
})

NodeRuntime.runMain(Effect.scoped(main))
