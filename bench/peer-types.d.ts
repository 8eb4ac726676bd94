/**
 * The little of the npm peers' APIs the bench calls (they ship no types). Callback style
 * for `wechat-oauth` and `wechat-api`, promises for `co-wechat-oauth`.
 */
declare module "wechat-oauth" {
  import type { Agent } from "node:http"
  type Callback<A> = (err: Error | null, result: A) => void
  export interface Profile {
    readonly openid: string
    readonly nickname: string
  }
  class OAuth {
    constructor(appid: string, appsecret: string)
    setOpts(opts: { readonly agent?: Agent; readonly timeout?: number }): void
    /** Sends every request (urllib): the bench redirects its URL to the fake. */
    request(url: string, opts: object, callback: Callback<unknown>): void
    getUserByCode(options: { readonly code: string; readonly lang?: string }, callback: Callback<Profile>): void
  }
  export default OAuth
}

declare module "co-wechat-oauth" {
  import type { Agent } from "node:http"
  export interface Profile {
    readonly openid: string
    readonly nickname: string
  }
  class OAuth {
    constructor(appid: string, appsecret: string)
    setOpts(opts: { readonly agent?: Agent; readonly timeout?: number }): void
    /** Sends every request (httpx): the bench redirects its URL to the fake. */
    request(url: string, opts?: object): Promise<unknown>
    getAccessToken(code: string): Promise<{ readonly data: { readonly openid: string } }>
    getUser(options: { readonly openid: string; readonly lang?: string }): Promise<Profile>
  }
  export default OAuth
}

declare module "wechat-api" {
  import type { Agent } from "node:http"
  type Callback<A> = (err: Error | null, result: A) => void
  export interface JsConfig {
    readonly appId: string
    readonly timestamp: string
    readonly nonceStr: string
    readonly signature: string
  }
  class API {
    constructor(appid: string, appsecret: string)
    /** `https://api.weixin.qq.com` by default; `setEndpoint` only takes a https host. */
    endpoint: string
    setOpts(opts: { readonly agent?: Agent; readonly timeout?: number }): void
    getLatestToken(callback: Callback<{ readonly accessToken: string }>): void
    getJsConfig(param: { readonly url: string; readonly jsApiList: ReadonlyArray<string>; readonly debug?: boolean }, callback: Callback<JsConfig>): void
  }
  export default API
}
