/**
 * The basic-token endpoints (`cgi-bin/token`, `cgi-bin/stable_token`) and JS-SDK tickets,
 * with WeChat's rotation, overlap and quota rules (wechat-api.md §2.8–§2.10).
 * @internal
 */
import { Effect } from "effect"
import { randomBytes } from "node:crypto"
import { ipAllowed } from "./apps.js"
import type { Emulator, Endpoint } from "./emulator.js"
import type { FakeApp, FakeRequest, FakeResponse } from "./model.js"
import { json, token } from "./wire.js"

const isResponse = (value: object): value is FakeResponse => "_tag" in value

const newBasicToken = (em: Emulator, appId: string, now: number): string => {
  const t = token("97")
  em.basicTokens.set(t, { appId, expiresAt: now + em.lifetimes.basicToken * 1000, retired: false })
  return t
}

/** Ends a replaced token after the overlap (or at its own expiry, if sooner). */
const retire = (em: Emulator, old: string | undefined, now: number): void => {
  const entry = old === undefined ? undefined : em.basicTokens.get(old)
  if (entry !== undefined) {
    entry.expiresAt = Math.min(entry.expiresAt, now + em.lifetimes.overlap * 1000)
    entry.retired = true
  }
}

const classicToken: Endpoint = (em, request) =>
  Effect.gen(function*() {
    const q = request.query
    if (request.method !== "GET") return em.error(43001, "require GET method")
    if (q.grant_type !== "client_credential") return em.error(40002, "invalid grant_type")
    const app = yield* em.gate("cgi-bin/token", request, { appid: q.appid, secret: q.secret, needsSecret: true })
    if (isResponse(app)) return app
    const now = yield* em.now
    retire(em, em.classic.get(app.appId), now)
    const t = newBasicToken(em, app.appId, now)
    em.classic.set(app.appId, t)
    return json({ access_token: t, expires_in: em.lifetimes.basicToken }, "text/plain")
  })

/** A JSON object body, or `undefined` when the body is not one (47001 at WeChat). */
export const parseBody = (body: string): Record<string, unknown> | undefined => {
  try {
    const parsed: unknown = JSON.parse(body)
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? parsed as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

const stableToken: Endpoint = (em, request) =>
  Effect.gen(function*() {
    if (request.method !== "POST") return em.error(43002, "require POST method")
    const body = parseBody(request.body)
    if (body === undefined) return em.error(47001, "data format error")
    const str = (k: string) => (typeof body[k] === "string" ? body[k] : undefined)
    if (str("grant_type") !== "client_credential") return em.error(40002, "invalid grant_type")
    const force = body.force_refresh
    if (force !== undefined && typeof force !== "boolean") return em.error(47001, "data format error")
    const app = yield* em.gate("cgi-bin/stable_token", request, { appid: str("appid"), secret: str("secret"), needsSecret: true })
    if (isResponse(app)) return app
    const now = yield* em.now
    const current = em.stable.get(app.appId)
    const entry = current === undefined ? undefined : em.basicTokens.get(current.token)
    const remaining = entry === undefined ? 0 : entry.expiresAt - now
    if (force === true) {
      if (current !== undefined && now - current.lastForceAt < 30_000 && remaining > 0) {
        return json({ access_token: current.token, expires_in: Math.floor(remaining / 1000) }, "text/plain")
      }
      const limited = yield* em.countQuota(app.appId, "cgi-bin/stable_token#force")
      if (limited !== undefined) return limited
      // a second force ends the overlap of the token the first one replaced: two forces
      // 30 s apart kill a leaked token
      const older = current?.previous === undefined ? undefined : em.basicTokens.get(current.previous)
      if (older !== undefined) older.expiresAt = Math.min(older.expiresAt, now)
      retire(em, current?.token, now)
      const t = newBasicToken(em, app.appId, now)
      em.stable.set(app.appId, { token: t, lastForceAt: now, previous: current?.token })
      return json({ access_token: t, expires_in: em.lifetimes.basicToken }, "text/plain")
    }
    if (current !== undefined && remaining > em.lifetimes.overlap * 1000) {
      return json({ access_token: current.token, expires_in: Math.floor(remaining / 1000) }, "text/plain")
    }
    // no token yet, or in its last 5 minutes: rotate (the old one lives out its time)
    retire(em, current?.token, now)
    const t = newBasicToken(em, app.appId, now)
    em.stable.set(app.appId, { token: t, lastForceAt: current?.lastForceAt ?? -Infinity, previous: current?.token })
    return json({ access_token: t, expires_in: em.lifetimes.basicToken }, "text/plain")
  })

/**
 * Whether a call made with an access token only (no AppSecret) meets the app's IP
 * whitelist (wechat-api.md §4.2): an official account's covers every call made with its
 * `access_token`; a mini-program's covers only AppSecret-bearing calls, so its own
 * endpoints (`family: "mini-program"`) are not checked.
 */
const tokenCallIpChecked = (app: FakeApp, family: "official-account" | "mini-program"): boolean =>
  app.kinds.includes("official-account") && !(family === "mini-program" && app.kinds.includes("mini-program"))

/**
 * The app a basic access token belongs to, checked as WeChat checks it: missing 41001,
 * unknown or retired 40001, expired 42001, caller IP not whitelisted 40164 (for an
 * official account; a mini-program's whitelist does not cover token-only calls).
 * `family` is the kind of account the endpoint belongs to.
 */
export const basicTokenApp = (
  em: Emulator,
  request: FakeRequest,
  family: "official-account" | "mini-program"
): Effect.Effect<FakeApp | FakeResponse> =>
  Effect.map(em.now, (now) => {
    const accessToken = request.query.access_token
    if (accessToken === undefined || accessToken === "") return em.error(41001, "access_token missing")
    const basic = em.basicTokens.get(accessToken)
    const app = basic === undefined ? undefined : em.apps.get(basic.appId)
    if (basic === undefined || app === undefined) return em.error(40001, "invalid credential, access_token is invalid or not latest")
    if (basic.expiresAt <= now) {
      return basic.retired
        ? em.error(40001, "invalid credential, access_token is invalid or not latest")
        : em.error(42001, "access_token expired")
    }
    if (app.ipWhitelist !== undefined && tokenCallIpChecked(app, family) && !ipAllowed(request.ip, app.ipWhitelist)) {
      return em.ipError(request.ip)
    }
    return app
  })

const getticket: Endpoint = (em, request) =>
  Effect.gen(function*() {
    const q = request.query
    const app = yield* basicTokenApp(em, request, "official-account")
    if (isResponse(app)) return app
    const now = yield* em.now
    if (q.type !== "jsapi" && q.type !== "wx_card") return em.error(40002, "invalid ticket type")
    const limited = yield* em.countQuota(app.appId, "cgi-bin/ticket/getticket")
    if (limited !== undefined) return limited
    const key = `${app.appId}:${q.type}`
    let ticket = em.tickets.get(key)
    if (ticket === undefined || ticket.expiresAt <= now) {
      ticket = { appId: app.appId, type: q.type, ticket: randomBytes(64).toString("base64url"), expiresAt: now + em.lifetimes.ticket * 1000 }
      em.tickets.set(key, ticket)
    }
    return json({ errcode: 0, errmsg: "ok", ticket: ticket.ticket, expires_in: em.lifetimes.ticket }, "text/plain")
  })

export const basicEndpoints: Readonly<Record<string, Endpoint>> = {
  "cgi-bin/token": classicToken,
  "cgi-bin/stable_token": stableToken,
  "cgi-bin/ticket/getticket": getticket
}
