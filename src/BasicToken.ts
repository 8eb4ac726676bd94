/**
 * The app's basic access token: `cgi-bin/token` (each call rotates the token; 2000 a day)
 * and `cgi-bin/stable_token` (the same token for every caller; preferred). For a cached,
 * shared token use `AccessTokenProvider` rather than calling these per request.
 *
 * @since 0.1.0
 */
import * as Compat from "#compat"
import * as Span from "./internal/span.js"
import { SecretString, Seconds } from "./internal/schemas.js"
import * as Validate from "./internal/validate.js"
import { decoder } from "./WechatDecode.js"
import { WechatConfig } from "./WechatConfig.js"
import { execute } from "./WechatHttp.js"

/**
 * A basic access token. `expiresIn` is the remaining life in seconds as WeChat sent it:
 * `stable_token` sends anything from 300 to 7200, never assume 7200.
 *
 * @since 0.1.0
 * @category models
 */
export class BasicAccessToken extends Compat.WireClass<BasicAccessToken>("effect-wechat/BasicAccessToken")({
  accessToken: SecretString,
  expiresIn: Seconds
}, { accessToken: "access_token", expiresIn: "expires_in" }) {
  /**
   * A plain-JSON form: the remaining life only, never the token.
   *
   * @since 0.2.0
   */
  toJSON(): { readonly expiresIn: number } {
    return { expiresIn: this.expiresIn }
  }
}

const decodeToken = decoder(BasicAccessToken)

/**
 * `GET cgi-bin/token`. Every call issues a new token and the previous one dies 5 minutes
 * later, so several processes calling it rotate each other out. A 40001 here means the
 * secret is wrong (`AppMisconfigured`).
 *
 * @since 0.1.0
 * @category endpoints
 */
export const fetch = Span.fn("BasicToken.fetch")(function*() {
  const config = yield* WechatConfig
  return yield* execute({
    endpoint: "cgi-bin/token",
    method: "GET",
    query: { grant_type: "client_credential", appid: config.appId, secret: config.appSecret }
  }, decodeToken)
})

/**
 * `POST cgi-bin/stable_token` with a JSON body. Normal mode returns the current token
 * (with its remaining life); `forceRefresh: true` rotates it (20 a day, 30 s apart:
 * use it only when a token leaked). A second forced refresh within 30 s of the last one
 * is no error: WeChat answers the token that one made, so check that it changed.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const fetchStable = Span.fn("BasicToken.fetchStable")(function*(options?: {
  readonly forceRefresh?: boolean | undefined
}) {
  const forceRefresh = yield* Validate.optionalBoolean("forceRefresh", options?.forceRefresh)
  const config = yield* WechatConfig
  return yield* execute({
    endpoint: "cgi-bin/stable_token",
    method: "POST",
    json: {
      grant_type: "client_credential",
      appid: config.appId,
      secret: config.appSecret,
      ...(forceRefresh === true ? { force_refresh: true } : {})
    }
  }, decodeToken)
})
