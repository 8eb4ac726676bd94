/**
 * The web-login endpoints (`sns/…`) with WeChat's semantics (wechat-api.md §2.3–§2.7):
 * single-use codes of one kind each, refresh rules, scopes, snapshot users, unverified
 * accounts, the per-user `jscode2session` minute limit.
 * @internal
 */
import { Effect } from "effect"
import type { Emulator, Endpoint, Grant } from "./emulator.js"
import { currentSessionKey, login } from "./miniprogram.js"
import type { FakeRequest, FakeResponse, FakeUser } from "./model.js"
import { json, token, wechatJson } from "./wire.js"

const isResponse = (value: object): value is FakeResponse => "_tag" in value

const exchange: Endpoint = (em, request) =>
  Effect.gen(function*() {
    const q = request.query
    const app = yield* em.gate("sns/oauth2/access_token", request, { appid: q.appid, secret: q.secret, needsSecret: true })
    if (isResponse(app)) return app
    if (q.grant_type !== "authorization_code") return em.error(40002, "invalid grant_type")
    if (q.code === undefined || q.code === "") return em.error(41008, "missing code")
    // web authorization is for verified accounts only ("服务号 仅认证")
    if (!app.verified) return em.error(48001, "api unauthorized")
    const now = yield* em.now
    const code = em.codes.get(q.code)
    // a wx.login or phone code, another app's code or an expired one
    if (code === undefined || code.kind === "jscode" || code.kind === "phone" || code.appId !== app.appId || code.expiresAt <= now) {
      return em.error(40029, "invalid code")
    }
    if (code.used) return em.error(40163, "code been used")
    code.used = true
    const user = em.users.get(code.userId)!
    const grant: Grant = {
      appId: app.appId,
      userId: user.id,
      scope: code.scope,
      snapshot: code.snapshot,
      refreshToken: token("86"),
      expiresAt: now + em.lifetimes.refreshToken * 1000,
      accessToken: token("86")
    }
    em.grants.set(grant.refreshToken, grant)
    em.webTokens.set(grant.accessToken, { grant, expiresAt: now + em.lifetimes.webToken * 1000 })
    return json({
      access_token: grant.accessToken,
      expires_in: em.lifetimes.webToken,
      refresh_token: grant.refreshToken,
      openid: em.openidOf(app.appId, user, grant.snapshot),
      scope: grant.scope,
      ...(grant.snapshot ? { is_snapshotuser: 1 } : {}),
      ...(app.openPlatform && grant.scope !== "snsapi_base" ? { unionid: em.unionidOf(user, grant.snapshot) } : {})
    })
  })

const refresh: Endpoint = (em, request) =>
  Effect.gen(function*() {
    const q = request.query
    const app = yield* em.gate("sns/oauth2/refresh_token", request, { appid: q.appid, needsSecret: false })
    if (isResponse(app)) return app
    if (q.grant_type !== "refresh_token") return em.error(40002, "invalid grant_type")
    if (q.refresh_token === undefined || q.refresh_token === "") return em.error(41003, "refresh_token missing")
    const now = yield* em.now
    const grant = em.grants.get(q.refresh_token)
    if (grant === undefined || grant.appId !== app.appId) return em.error(40030, "invalid refresh_token")
    if (grant.expiresAt <= now) return em.error(42002, "refresh_token expired")
    if (!app.verified) return em.error(48001, "api unauthorized")
    const current = em.webTokens.get(grant.accessToken)
    if (current !== undefined && current.expiresAt > now) {
      current.expiresAt = now + em.lifetimes.webToken * 1000
    } else {
      em.webTokens.delete(grant.accessToken)
      grant.accessToken = token("86")
      em.webTokens.set(grant.accessToken, { grant, expiresAt: now + em.lifetimes.webToken * 1000 })
    }
    const user = em.users.get(grant.userId)!
    return json({
      access_token: grant.accessToken,
      expires_in: em.lifetimes.webToken,
      refresh_token: grant.refreshToken,
      openid: em.openidOf(app.appId, user, grant.snapshot),
      scope: grant.scope
    })
  })

/**
 * What sns/auth and sns/userinfo check first, in order: the web token (`invalidCode` when
 * unknown, 42001 when expired), the minute quota, and that the openid is the token's.
 */
const tokenUser = (
  em: Emulator,
  request: FakeRequest,
  endpoint: string,
  invalidCode: 40014 | 40001
): Effect.Effect<{ readonly grant: Grant; readonly user: FakeUser } | FakeResponse> =>
  Effect.gen(function*() {
    const accessToken = request.query.access_token
    if (accessToken === undefined || accessToken === "") return em.error(41001, "access_token missing")
    const found = em.webTokens.get(accessToken)
    if (found === undefined) {
      return invalidCode === 40014
        ? em.error(40014, "invalid access_token")
        : em.error(40001, "invalid credential, access_token is invalid or not latest")
    }
    if (found.expiresAt <= (yield* em.now)) return em.error(42001, "access_token expired")
    const limited = yield* em.countQuota(found.grant.appId, endpoint)
    if (limited !== undefined) return limited
    if (request.query.openid === undefined || request.query.openid === "") return em.error(41009, "missing openid")
    const user = em.users.get(found.grant.userId)!
    if (em.openidOf(found.grant.appId, user, found.grant.snapshot) !== request.query.openid) return em.error(40003, "invalid openid")
    return { grant: found.grant, user }
  })

const auth: Endpoint = (em, request) =>
  Effect.map(tokenUser(em, request, "sns/auth", 40014), (found) =>
    isResponse(found) ? found : json({ errcode: 0, errmsg: "ok" }, "text/plain"))

const userinfo: Endpoint = (em, request) =>
  Effect.map(tokenUser(em, request, "sns/userinfo", 40001), (found) => {
    if (isResponse(found)) return found
    const { grant, user } = found
    const app = em.apps.get(grant.appId)!
    // a base-scope token, a snapshot-page token, or an account that lost its verification
    if (grant.scope === "snsapi_base" || grant.snapshot || !app.verified) return em.error(48001, "api unauthorized")
    if (em.revoked.has(`${grant.appId} ${grant.userId}`)) return em.error(50001, "user unauthorized")
    return json(wechatJson({
      openid: request.query.openid,
      nickname: user.nickname,
      sex: 0,
      province: "",
      city: "",
      country: "",
      headimgurl: user.headImgUrl,
      privilege: [],
      ...(app.openPlatform ? { unionid: user.unionid } : {})
    }))
  })

const jscode2session: Endpoint = (em, request) =>
  Effect.gen(function*() {
    const q = request.query
    const app = yield* em.gate("sns/jscode2session", request, { appid: q.appid, secret: q.secret, needsSecret: true })
    if (isResponse(app)) return app
    if (q.grant_type !== "authorization_code") return em.error(40002, "invalid grant_type")
    if (q.js_code === undefined || q.js_code === "") return em.error(41008, "missing code")
    const code = em.codes.get(q.js_code)
    // a consent-page code, another app's wx.login code (e.g. a mini-program's code sent with
    // an official account's appid) or an expired one
    if (code === undefined || code.kind !== "jscode" || code.appId !== app.appId || code.expiresAt <= (yield* em.now)) {
      return em.error(40029, "invalid code")
    }
    const limited = yield* em.countUserQuota(app.appId, code.userId, "sns/jscode2session")
    if (limited !== undefined) return limited
    if (code.used) return em.error(40163, "code been used")
    code.used = true
    const user = em.users.get(code.userId)!
    const now = yield* em.now
    return json({
      // the key wx.login made current (a new one if it has expired since)
      session_key: currentSessionKey(em, app.appId, user.id, now) ?? login(em, app.appId, user.id, now),
      openid: em.openidOf(app.appId, user),
      ...(app.openPlatform ? { unionid: user.unionid } : {})
    }, "text/plain")
  })

export const snsEndpoints: Readonly<Record<string, Endpoint>> = {
  "sns/oauth2/access_token": exchange,
  "sns/oauth2/refresh_token": refresh,
  "sns/auth": auth,
  "sns/userinfo": userinfo,
  "sns/jscode2session": jscode2session
}
