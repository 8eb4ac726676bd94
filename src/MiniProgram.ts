/**
 * Mini-program login: `wx.login`'s code → session (`sns/jscode2session`).
 *
 * @since 0.1.0
 */
import { Effect, Redacted, Schema } from "effect"
import { makeExchangeOnce } from "./internal/exchangeOnce.js"
import * as Validate from "./internal/validate.js"
import { OptionalId, SecretString, wire } from "./internal/schemas.js"
import { decoder } from "./WechatDecode.js"
import { type Secret, WechatConfig } from "./WechatConfig.js"
import { execute } from "./WechatHttp.js"

/**
 * A mini-program session. `sessionKey` is a secret: never send it to the client.
 * `unionid` is present when the mini program is bound to an open-platform account.
 *
 * @since 0.1.0
 * @category models
 */
export class MiniProgramSession extends Schema.Class<MiniProgramSession>("effect-wechat/MiniProgramSession")({
  openid: Schema.NonEmptyString,
  sessionKey: wire("session_key", SecretString),
  unionid: OptionalId
}) {}

const decodeSession = decoder(MiniProgramSession)
const redeemOnce = makeExchangeOnce("jscode", "sns/jscode2session", MiniProgramSession)

/**
 * Exchanges a `wx.login` code (single-use, 5 minutes) for a session. Like
 * `Sns.exchangeCode`: concurrent duplicates share one request, and a duplicate within
 * `WechatConfig.duplicateWindow` gets the same session only with the same `binding` (e.g.
 * a request id the mini program sends with its retries); without one, a duplicate gets
 * `CodeAlreadyUsed`. Fails with `InvalidCode`, `CodeAlreadyUsed`, `CodeBlocked` (risk
 * control), `RateLimited`, …
 *
 * @since 0.1.0
 * @category endpoints
 */
export const code2Session = Effect.fn("MiniProgram.code2Session")(function*(
  jsCode: string,
  options?: { readonly binding?: Secret | undefined }
) {
  yield* Validate.code("jsCode", jsCode)
  if (options?.binding !== undefined) yield* Validate.binding("binding", options.binding)
  const config = yield* WechatConfig
  const exchange = execute({
    endpoint: "sns/jscode2session",
    method: "GET",
    query: { appid: config.appId, secret: config.appSecret, js_code: Redacted.make(jsCode), grant_type: "authorization_code" }
  }, decodeSession)
  return yield* redeemOnce(jsCode, options?.binding, exchange)
})
