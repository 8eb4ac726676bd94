/**
 * The WeChat login in an Express app, through WechatLogin's framework-free functions and a
 * `ManagedRuntime` (the same steps WechatLogin's routes take on an @effect/platform server).
 *
 *   npx tsx --conditions=effect-wechat-source examples/express/main.ts
 */
import { Effect, type Layer, ManagedRuntime } from "effect"
import { WechatLogin } from "effect-wechat"
import type { WechatClient } from "effect-wechat"
import express from "express"
import { randomBytes } from "node:crypto"

const cookie = (header: string | undefined, name: string): string | undefined => {
  for (const part of (header ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=")
    if (key === name) return value.join("=")
  }
  return undefined
}

/** The outcome of a WeChat step: its value, or the failure to answer with (either edition). */
const attempt = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.match(effect, {
    onFailure: (error) => ({ ok: false as const, error }),
    onSuccess: (value) => ({ ok: true as const, value })
  })

/** An Express app with `/login/wechat`, `/login/wechat/callback`, `/me` and `/logout`. */
export const makeApp = (options: {
  readonly publicUrl: string
  readonly wechat: Layer.Layer<WechatClient.Services, unknown>
}) => {
  const runtime = ManagedRuntime.make(options.wechat)
  const login = { publicUrl: options.publicUrl }
  // `__Host-wechat_login` on https, `wechat_login` on plain http
  const loginCookie = WechatLogin.cookieNameOf(login)
  const sessions = new Map<string, { readonly openid: string; readonly nickname: string | null }>()
  const app = express()

  app.get("/login/wechat", async (req, res) => {
    const result = await runtime.runPromise(attempt(WechatLogin.start(login)({
      cookie: cookie(req.headers.cookie, loginCookie),
      userAgent: req.headers["user-agent"],
      returnTo: typeof req.query.returnTo === "string" ? req.query.returnTo : undefined
    })))
    if (!result.ok) {
      const answer = WechatLogin.respond(result.error, { accept: req.headers.accept })
      res.status(answer.status).set(answer.headers).send(answer.body)
      return
    }
    if (result.value.cookie !== undefined) res.setHeader("Set-Cookie", result.value.cookie.header)
    res.setHeader("Cache-Control", "no-store").redirect(302, result.value.location)
  })

  app.get("/login/wechat/callback", async (req, res) => {
    const query = new URL(req.originalUrl, "http://request.invalid").searchParams
    const result = await runtime.runPromise(attempt(WechatLogin.complete(login)({ query, cookie: cookie(req.headers.cookie, loginCookie) })))
    res.setHeader("Cache-Control", "no-store").setHeader("Referrer-Policy", "no-referrer")
    if (!result.ok || result.value._tag === "Cancelled") {
      const answer = WechatLogin.respond(!result.ok ? result.error : { _tag: "Cancelled" }, { accept: req.headers.accept, startUrl: "/login/wechat" })
      res.status(answer.status).set(answer.headers).send(answer.body)
      return
    }
    const { login: found } = result.value
    if (found.isSnapshotUser) {
      res.status(403).send("Open this page in WeChat to sign in.")
      return
    }
    const id = randomBytes(24).toString("base64url")
    sessions.set(id, { openid: found.openid, nickname: found.profile._tag === "Some" ? found.profile.value.nickname : null })
    res.setHeader("Set-Cookie", `sid=${id}; Path=/; HttpOnly; SameSite=Lax${options.publicUrl.startsWith("https:") ? "; Secure" : ""}`)
    res.redirect(303, found.returnTo === "/" ? "/me" : found.returnTo)
  })

  app.get("/me", (req, res) => {
    const user = sessions.get(cookie(req.headers.cookie, "sid") ?? "")
    if (user === undefined) res.status(401).json({ error: "not signed in" })
    else res.json(user)
  })

  app.post("/logout", (req, res) => {
    sessions.delete(cookie(req.headers.cookie, "sid") ?? "")
    res.setHeader("Set-Cookie", "sid=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax").redirect(303, "/")
  })

  return { app, dispose: () => runtime.dispose() }
}
