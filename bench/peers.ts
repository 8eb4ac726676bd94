/**
 * The npm peers, called as libraries, pointed at the fake. Each builds its URLs on
 * `https://api.weixin.qq.com` and sends every request through one method of its own
 * (`OAuth.prototype.request`, `API.prototype.request`), so the bench swaps that origin for
 * the fake's in that method and changes nothing else. Each gets a keep-alive
 * `http.Agent` through its documented `setOpts` (urllib's default agent has keep-alive
 * off on Node 20; httpx's has it on already) and a 5 s timeout like the library's.
 */
import CoOAuth from "co-wechat-oauth"
import { Agent } from "node:http"
import WechatApi from "wechat-api"
import OAuth from "wechat-oauth"
import { APP, WECHAT_API } from "./config.js"
import type { Factory } from "./login.js"

const keepAlive = () => new Agent({ keepAlive: true })

/** `wechat-oauth` 1.x (urllib, callbacks): `getUserByCode`, its own one-call login. */
export const wechatOauthContender: Factory = async (base) => {
  const client = new OAuth(APP.appId, APP.appSecret)
  const agent = keepAlive()
  client.setOpts({ agent, timeout: 5000 })
  const send = client.request
  client.request = function(url, opts, callback) {
    send.call(this, url.replace(WECHAT_API, base), opts, callback)
  }
  return {
    id: "wechat-oauth",
    label: "wechat-oauth 1.5 (urllib)",
    login: (code) =>
      new Promise((resolve, reject) =>
        client.getUserByCode({ code, lang: "zh_CN" }, (err, profile) => (err === null ? resolve(profile.nickname) : reject(err)))),
    close: async () => agent.destroy()
  }
}

/** `co-wechat-oauth` 2.x (httpx, promises): `getAccessToken` then `getUser`, as its `getUserByCode` does. */
export const coWechatOauthContender: Factory = async (base) => {
  const client = new CoOAuth(APP.appId, APP.appSecret)
  const agent = keepAlive()
  client.setOpts({ agent, timeout: 5000 })
  const send = client.request
  client.request = function(url, opts) {
    return send.call(this, url.replace(WECHAT_API, base), opts)
  }
  return {
    id: "co-wechat-oauth",
    label: "co-wechat-oauth 2.0 (httpx)",
    login: async (code) => {
      // getUserByCode(code) with the same lang as every other contender
      const token = await client.getAccessToken(code)
      const profile = await client.getUser({ openid: token.data.openid, lang: "zh_CN" })
      return profile.nickname
    },
    close: async () => agent.destroy()
  }
}

/** `wechat-api` 1.x with its `endpoint` (the API origin every URL starts with) set to the fake. */
export const makeWechatApi = (base: string) => {
  const api = new WechatApi(APP.appId, APP.appSecret)
  const agent = keepAlive()
  api.setOpts({ agent, timeout: 5000 })
  api.endpoint = base
  return { api, close: () => agent.destroy() }
}
