/**
 * The fake's consent pages: `/connect/oauth2/authorize` and `/connect/qrconnect` check
 * their parameters as WeChat does and let a seeded user allow or deny.
 * @internal
 */
import { Effect } from "effect"
import type { Emulator } from "./emulator.js"
import type { FakeRequest, FakeResponse } from "./model.js"

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

const page = (title: string, body: string, status = 200): FakeResponse => ({
  _tag: "Response",
  status,
  headers: { "content-type": "text/html; charset=utf-8" },
  body: `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>${escape(title)}</title><style>body{font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}` +
    `button{display:block;width:100%;margin:.5rem 0;padding:.7rem;font-size:1rem}.allow{background:#07c160;color:#fff;border:0}` +
    `.user{display:flex;gap:.5rem;align-items:center}.user img{width:32px;height:32px}</style></head>` +
    `<body><p><small>FakeWechat (test double)</small></p>${body}</body></html>`
})

const errorPage = (code: number | undefined, text: string) =>
  page("微信授权错误", `<h1 id="error">${code === undefined ? "" : `${code} `}${escape(text)}</h1>`, 200)

type Flow = "oauth2" | "qrconnect"

interface Checked {
  readonly flow: Flow
  readonly appId: string
  readonly appName: string
  readonly redirectUri: string
  readonly scope: "snsapi_base" | "snsapi_userinfo" | "snsapi_login"
  readonly state: string
}

const check = (emulator: Emulator, flow: Flow, q: Readonly<Record<string, string>>): Checked | FakeResponse => {
  const unreachable = (why: string) => errorPage(undefined, `该链接无法访问 (${why})`)
  if (!q.appid) return flow === "oauth2" ? errorPage(10012, "appid不能为空") : unreachable("appid")
  const app = emulator.apps.get(q.appid)
  if (app === undefined) return flow === "oauth2" ? errorPage(10016, "appid 无效") : unreachable("appid")
  if (!q.redirect_uri) return flow === "oauth2" ? errorPage(10011, "redirect_uri不能为空") : unreachable("redirect_uri")
  let host: string
  try {
    const url = new URL(q.redirect_uri)
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("scheme")
    host = url.hostname
  } catch {
    return flow === "oauth2" ? errorPage(10003, "redirect_uri参数错误") : unreachable("redirect_uri")
  }
  if (!app.authorizedDomains.includes(host)) {
    return flow === "oauth2" ? errorPage(10003, "redirect_uri域名与后台配置不一致") : unreachable("redirect_uri 域名与审核时填写的授权域名不一致")
  }
  if (q.response_type !== "code") return errorPage(undefined, "response_type 错误")
  if (!q.scope) return flow === "oauth2" ? errorPage(10010, "scope不能为空") : unreachable("scope")
  const scopes = q.scope.split(",")
  let scope: Checked["scope"]
  if (flow === "qrconnect") {
    if (!scopes.includes("snsapi_login")) return unreachable("scope 不为snsapi_login")
    scope = "snsapi_login"
  } else {
    if (q.scope !== "snsapi_base" && q.scope !== "snsapi_userinfo") return errorPage(10005, "此公众号并没有这些scope的权限")
    scope = q.scope
  }
  const state = q.state ?? ""
  if (Buffer.byteLength(state) > 128) return errorPage(undefined, "state参数过长")
  if (!/^[A-Za-z0-9]*$/.test(state)) return errorPage(undefined, "state参数错误")
  return { flow, appId: app.appId, appName: app.name, redirectUri: q.redirect_uri, scope, state }
}

const withQuery = (uri: string, params: Record<string, string>) => {
  const url = new URL(uri)
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
  return url.toString()
}

const redirect = (location: string): FakeResponse => ({
  _tag: "Response",
  status: 302,
  headers: { location, "content-type": "text/html; charset=utf-8" },
  body: ""
})

const consentPage = (emulator: Emulator, c: Checked): FakeResponse => {
  const hidden = Object.entries({ flow: c.flow, appid: c.appId, redirect_uri: c.redirectUri, scope: c.scope, state: c.state })
    .map(([k, v]) => `<input type="hidden" name="${k}" value="${escape(v)}">`)
    .join("")
  const users = [...emulator.users.values()]
  const heading = c.scope === "snsapi_base"
    ? `${escape(c.appName)} 静默授权 (snsapi_base): choose the WeChat user`
    : c.flow === "qrconnect"
    ? `微信扫码登录 ${escape(c.appName)}: scan as`
    : `${escape(c.appName)} 申请获得你的昵称、头像`
  const buttons = users.length === 0
    ? `<p id="no-users">No users are seeded.</p>`
    : users.map((u) =>
      `<div class="user">${u.headImgUrl ? `<img alt="" src="${escape(u.headImgUrl)}">` : ""}` +
      `<button class="allow" id="allow-${escape(u.id)}" name="user" value="${escape(u.id)}">允许 Allow: ${escape(u.nickname)}${u.snapshot ? " (snapshot)" : ""}</button></div>`
    ).join("")
  return page("微信授权", `<h1>${heading}</h1><form method="POST" action="/connect/confirm">${hidden}${buttons}` +
    `<button id="deny" name="deny" value="1">拒绝 Deny</button></form>`)
}

/** Serves the consent pages; `undefined` when the path is not one of them. */
export const handleConsent = (emulator: Emulator, request: FakeRequest): Effect.Effect<FakeResponse, never> | undefined => {
  const path = request.path.replace(/^\/+/, "")
  if (request.method === "GET" && (path === "connect/oauth2/authorize" || path === "connect/qrconnect")) {
    const checked = check(emulator, path === "connect/qrconnect" ? "qrconnect" : "oauth2", request.query)
    return Effect.succeed("_tag" in checked ? checked : consentPage(emulator, checked))
  }
  if (request.method === "POST" && path === "connect/confirm") {
    const form = Object.fromEntries(new URLSearchParams(request.body))
    const flow: Flow = form.flow === "qrconnect" ? "qrconnect" : "oauth2"
    const checked = check(emulator, flow, { ...form, response_type: "code" })
    if ("_tag" in checked) return Effect.succeed(checked)
    if (form.deny !== undefined) {
      // qrconnect: "重定向后不会带上code参数，仅会带上state参数"; the OA page does the same here
      return Effect.succeed(redirect(withQuery(checked.redirectUri, { state: checked.state })))
    }
    if (!form.user || !emulator.users.has(form.user)) return Effect.succeed(errorPage(undefined, "unknown user"))
    return emulator.issueCode(checked.appId, form.user, checked.scope).pipe(
      Effect.map((code) => redirect(withQuery(checked.redirectUri, { code, state: checked.state }))),
      Effect.catchAll((e) => Effect.succeed(errorPage(undefined, e.reason)))
    )
  }
  return undefined
}
