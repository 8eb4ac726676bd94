/**
 * How the consent pages read a link, in WeChat's order: the parameter order (matched
 * strictly), appid, the app's kind and scopes, `redirect_uri` against the authorized
 * `host[:port]`, `response_type` and `state` (wechat-api.md §2.1, §2.2, §8).
 * @internal
 */
import { domainMatches, oauth2Refusal, type PageError, qrconnectRefusal } from "./apps.js"
import type { FakeApp, Scope } from "./model.js"

export type Flow = "oauth2" | "qrconnect"

/** A link the page accepts. */
export interface Checked {
  readonly flow: Flow
  readonly app: FakeApp
  readonly redirectUri: string
  readonly scope: Scope
  readonly state: string
}

/** A link the page refuses: WeChat's error, and the fake's explanation. */
export interface Refused {
  readonly error: PageError
  readonly why: string
}

const ORDER = ["appid", "redirect_uri", "response_type", "scope", "state"]

/**
 * The parameters WeChat knows must come first, in this order (any of them may be
 * missing); extras such as `forcePopup`, `connect_redirect` or `lang` follow.
 */
const orderProblem = (keys: ReadonlyArray<string>): string | undefined => {
  const known = keys.filter((k) => ORDER.includes(k))
  const expected = ORDER.filter((k) => known.includes(k))
  const inOrder = known.every((k, i) => k === expected[i] && keys[i] === k)
  return inOrder
    ? undefined
    : `WeChat matches the link strictly: appid, redirect_uri, response_type, scope, state, then the rest; this link has ${keys.join(", ")}`
}

const UNREACHABLE: PageError = { text: "该链接无法访问" }

const refuse = (error: PageError, why: string): Refused => ({ error, why })

/** Reads a consent link's query (in its order, when `ordered`) as the page for `flow` does. */
export const checkLink = (
  apps: ReadonlyMap<string, FakeApp>,
  flow: Flow,
  q: Readonly<Record<string, string>>,
  ordered: boolean
): Checked | Refused => {
  const oa = flow === "oauth2"
  if (ordered) {
    const problem = orderProblem(Object.keys(q))
    if (problem !== undefined) return refuse(UNREACHABLE, problem)
  }
  if (!q.appid) return refuse(oa ? { errcode: 10012, text: "appid不能为空" } : UNREACHABLE, "appid is missing")
  const app = apps.get(q.appid)
  if (app === undefined) return refuse(oa ? { text: "appid参数错误" } : UNREACHABLE, `no app ${q.appid} is seeded`)
  if (!q.redirect_uri) return refuse(oa ? { errcode: 10011, text: "redirect_uri不能为空" } : UNREACHABLE, "redirect_uri is missing")
  if (!q.scope) return refuse(oa ? { errcode: 10010, text: "scope不能为空" } : UNREACHABLE, "scope is missing")
  const kindWhy = `${app.appId} is ${app.kinds.join(" + ")}${app.verified ? "" : ", unverified"}`
  const wrongKind = oa ? (app.kinds.includes("official-account") ? undefined : oauth2Refusal(app, q.scope)) : qrconnectRefusal(app)
  if (wrongKind !== undefined) return refuse(wrongKind, kindWhy)
  let url: URL
  try {
    url = new URL(q.redirect_uri)
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(url.protocol)
  } catch {
    return refuse(oa ? { errcode: 10003, text: "redirect_uri 参数错误" } : UNREACHABLE, "redirect_uri is not an http(s) URL")
  }
  if (!app.authorizedDomains.some((d) => domainMatches(url, d))) {
    const sameHost = app.authorizedDomains.some((d) => d.split(/[:/]/)[0] === url.hostname)
    const why = `redirect_uri ${url.host} is not under the authorized domains ${JSON.stringify(app.authorizedDomains)} ` +
      "(host[:port]; a domain without a port is the default port only)"
    if (!oa) return refuse(UNREACHABLE, why)
    return refuse(sameHost ? { errcode: 10003, text: "redirect_uri 参数错误" } : { errcode: 10003, text: "redirect_uri域名与后台配置不一致" }, why)
  }
  if (q.response_type !== "code") return refuse({ text: "response_type 参数错误" }, "response_type must be code")
  if (oa) {
    const refusal = oauth2Refusal(app, q.scope)
    if (refusal !== undefined) return refuse(refusal, `${app.appId} does not hold ${q.scope} (permissions: ${app.permissions.join(", ") || "none"})`)
  } else if (!q.scope.split(",").includes("snsapi_login")) {
    return refuse(UNREACHABLE, "scope must be snsapi_login")
  }
  const state = q.state ?? ""
  if (Buffer.byteLength(state) > 128) return refuse({ text: "state参数过长" }, "state is over 128 bytes")
  if (!/^[A-Za-z0-9]*$/.test(state)) return refuse({ text: "state参数错误" }, "state takes only [A-Za-z0-9]")
  return { flow, app, redirectUri: q.redirect_uri, scope: oa ? q.scope as Scope : "snsapi_login", state }
}

/** The refusal as one line, for the control API's errors. */
export const describeRefusal = (refused: Refused): string =>
  `${refused.error.text}${refused.error.errcode === undefined ? "" : `，错误码：${refused.error.errcode}`} (${refused.why})`

/** `uri` with `params` added to its query. */
export const withQuery = (uri: string, params: Readonly<Record<string, string>>): string => {
  const url = new URL(uri)
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
  return url.toString()
}
