import { Effect, Layer } from "effect"
import { TokenStore, WechatConfig } from "../../src/index.js"
import { FakeWechat } from "../../src/testing/index.js"

export const BOUND = { appId: "wx0000000000000004", appSecret: "bound-secret-0001", authorizedDomains: ["example.com"], openPlatform: true }
export const PLAIN = { appId: "wx0000000000000003", appSecret: "plain-secret-0002", authorizedDomains: ["example.com"] }

/** The fake with two apps, and the client configured for one of them, with a fresh TokenStore. */
export const fakeFor = (app: { appId: string; appSecret: string } = BOUND, options: FakeWechat.Options = {}) =>
  Layer.mergeAll(
    FakeWechat.layer({ apps: [BOUND, PLAIN], ...options }),
    WechatConfig.layer({ appId: app.appId, appSecret: app.appSecret }),
    TokenStore.layerMemory
  )

/** Runs an effect as another process would: with its own (empty) TokenStore. */
export const elsewhere = Effect.provide(TokenStore.layerMemory)
