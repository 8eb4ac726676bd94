/**
 * Runs the Express example against an embedded FakeWechat (no WeChat account needed), or
 * against WeChat with WECHAT_APP_ID / WECHAT_APP_SECRET and PUBLIC_URL set.
 *
 *   PORT=3001 npx tsx --conditions=effect-wechat-source examples/express/main.ts
 */
import { unwrapScoped } from "#demo-compat"
import { Effect, Layer } from "effect"
import { WechatClient } from "effect-wechat"
import { FakeWechat } from "effect-wechat/testing"
import { makeApp } from "./app.js"

const port = Number(process.env.PORT ?? "3001")
const publicUrl = process.env.PUBLIC_URL ?? `http://127.0.0.1:${port}`

const wechat = process.env.WECHAT_APP_ID !== undefined
  ? WechatClient.layerConfig()
  : unwrapScoped(Effect.gen(function*() {
    // the fake on its own loopback port, with one app whose callback domain is this server
    const app = { appId: "wx00000000000e0001", appSecret: "express-demo-secret", authorizedDomains: [new URL(publicUrl).host] }
    const fake = yield* Layer.build(FakeWechat.layerControl({ apps: [app], users: [{ id: "ann", nickname: "Ann" }] }))
    const address = yield* FakeWechat.serve().pipe(Effect.provide(fake))
    console.log(`FakeWechat at ${address.url}`)
    return WechatClient.layer({ ...app, apiBaseUrl: address.url, openBaseUrl: address.url })
  }))

const { app } = makeApp({ publicUrl, wechat })
app.listen(port, "127.0.0.1", () => console.log(`Express example: open ${publicUrl}/login/wechat`))
