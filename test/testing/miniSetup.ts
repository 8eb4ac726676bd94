/** The fake with mini programs and an official account, and a client with a basic-token provider. */
import { Effect, Layer } from "effect"
import { AccessTokenProvider, MiniProgram, TokenStore, WechatConfig } from "../../src/index.js"
import { FakeWechat } from "../../src/testing/index.js"

export const MINI: FakeWechat.AppInput = { appId: "wx00000000000000a1", appSecret: "mini-secret-0001", kind: "mini-program", openPlatform: true }
export const OTHER_MINI: FakeWechat.AppInput = { appId: "wx00000000000000c3", appSecret: "other-mini-secret-0003", kind: "mini-program" }
export const OA: FakeWechat.AppInput = { appId: "wx00000000000000b2", appSecret: "oa-secret-0002", kind: "official-account", authorizedDomains: ["example.com"] }

/** The fake (three apps), the client configured as `app`, a fresh TokenStore and an AccessTokenProvider. */
export const miniFake = (app: FakeWechat.AppInput = MINI, options: FakeWechat.Options = {}) =>
  AccessTokenProvider.layer().pipe(Layer.provideMerge(Layer.mergeAll(
    FakeWechat.layer({ apps: [MINI, OTHER_MINI, OA], ...options }),
    WechatConfig.layer({ appId: app.appId, appSecret: app.appSecret }),
    TokenStore.layerMemory
  )))

/** A new user of MINI, logged in through `MiniProgram.login` (wx.login, then the server's exchange). */
export const loggedIn = (input: Partial<FakeWechat.UserInput> = {}) =>
  Effect.gen(function*() {
    const fake = yield* FakeWechat
    const user = yield* fake.addUser({ nickname: "小程序用户", ...input })
    const login = yield* MiniProgram.login(yield* fake.miniProgramLogin({ appId: MINI.appId, userId: user.id }))
    return { fake, user, login }
  })
