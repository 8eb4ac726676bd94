/**
 * Quickstart: exchange a code, read the profile, and handle WeChat's two most common
 * login failures. Answered by a hand-written cassette of WeChat's answers, so it runs
 * without a WeChat account:
 * `npx tsx --conditions=effect-wechat-source examples/quickstart.ts`.
 */
import { Console, Effect, Layer, Option } from "effect"
import { fileURLToPath } from "node:url"
import { Sns, TokenStore, WechatConfig } from "effect-wechat"
import { Replay } from "effect-wechat/testing"

const CODE = "0819ffGa1N2GzH0D6vJa1oQ6Qc19ffGf"

// What a callback handler does with `?code=…&state=…`, once `Sns.verifyState` has checked
// the state against the login's session: the exchange is bound to that session.
const login = (code: string, session: string) =>
  Effect.gen(function*() {
    const token = yield* Sns.exchangeCode(code, { binding: session })
    const user = yield* Sns.userInfo({ accessToken: token.accessToken, openid: token.openid })
    return `logged in: ${JSON.stringify(user.nickname)} (openid ${user.openid}, unionid ${Option.getOrElse(user.unionid, () => "none")}, scope ${token.scope.join(",")})`
  }).pipe(
    // the code was redeemed already: a replayed URL, or an instance without the shared store
    Effect.catchTag("CodeAlreadyUsed", (e) => Effect.succeed(`code already used (errcode ${e.errcode}${e.rid === undefined ? "" : `, rid ${e.rid}`}): start the login again`)),
    // an expired or forged code: send the user back to the consent page
    Effect.catchTag("InvalidCode", (e) => Effect.succeed(`invalid code (errcode ${e.errcode}): redirect to the consent page again`))
  )

const program = Effect.gen(function*() {
  const authorize = yield* Sns.authorizeUrl({ redirectUri: "https://example.com/wechat/callback", scope: "snsapi_userinfo", state: "xyz123" })
  yield* Console.log(`1. send the user to: ${authorize}`)
  yield* Console.log(`2. ${yield* login(CODE, "session-of-this-browser")}`)
  // WeChat delivers the callback again to the same browser: the same token, no second request
  yield* Console.log(`3. same code again: ${yield* login(CODE, "session-of-this-browser")}`)
  // the callback URL replayed from another browser: refused without asking WeChat
  yield* Console.log(`4. same code from another browser: ${yield* login(CODE, "session-of-someone-else")}`)
  // another server instance that does not share the TokenStore (use Redis to share it)
  yield* Console.log(`5. same code on another instance: ${yield* login(CODE, "session-of-this-browser").pipe(Effect.provide(TokenStore.layerMemory))}`)
  yield* Console.log(`6. ${yield* login("expired-code-from-yesterday", "session-of-this-browser")}`)
})

const WechatLive = Layer.mergeAll(
  // replace with FetchHttpClient.layer (from @effect/platform) to talk to WeChat
  Replay.layer(fileURLToPath(new URL("./quickstart.cassette.json", import.meta.url))),
  // replace with WechatConfig.layerConfig to read WECHAT_APP_ID / WECHAT_APP_SECRET
  WechatConfig.layer({ appId: "wx520c15f417810387", appSecret: "demo-secret-not-real" })
)

Effect.runPromise(program.pipe(Effect.provide(WechatLive))).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
