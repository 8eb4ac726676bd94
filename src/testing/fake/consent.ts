/**
 * The fake's pages: the official-account consent page (`/connect/oauth2/authorize`), the
 * QR login pages (`/connect/qrconnect`, its phone page and poll), the consent form's
 * `POST /connect/confirm`, and the same decisions for the control API.
 * @internal
 */
import * as Compat from "#compat"
import { Effect } from "effect"
import { oauth2Refusal, qrconnectRefusal } from "./apps.js"
import type { Emulator } from "./emulator.js"
import { consentForm, deliver, errorPage, page } from "./html.js"
import { type Checked, checkLink, describeRefusal, type Flow, withQuery } from "./links.js"
import { type FakeRequest, type FakeResponse, FakeWechatError, type Scope } from "./model.js"
import { answeredPage, answerQrLogin, phonePage, pollAnswer, startQrLogin } from "./qrLogin.js"

/** Where a consent sends the browser: the callback URL (none for a denied QR login), and how many times. */
export interface ConsentResult {
  readonly location: string | undefined
  readonly code: string | undefined
  readonly deliveries: 1 | 2
}

/** What the control API's `authorize` does: the consent page's checks of the app, then a code. */
export const authorizeDirect = (
  em: Emulator,
  params: { readonly appId: string; readonly userId: string; readonly scope: Scope }
): Effect.Effect<string, FakeWechatError> =>
  Effect.flatMap(em.app(params.appId), (app) => {
    const refusal = params.scope === "snsapi_login" ? qrconnectRefusal(app) : oauth2Refusal(app, params.scope)
    if (refusal !== undefined) {
      return Effect.fail(new FakeWechatError({ reason: describeRefusal({ error: refusal, why: `${app.appId} cannot consent to ${params.scope}` }) }))
    }
    return em.issue({ ...params, kind: params.scope === "snsapi_login" ? "qrconnect" : "oauth2" })
  })

const answer = (
  em: Emulator,
  checked: Checked,
  params: { readonly userId?: string | undefined; readonly decision: "allow" | "deny"; readonly duplicateCallback?: boolean | undefined }
): Effect.Effect<ConsentResult, FakeWechatError> => {
  if (params.decision === "deny") {
    // the old OA doc: redirect with state only; the website doc: no redirect at all
    return Effect.succeed({
      location: checked.flow === "oauth2" ? withQuery(checked.redirectUri, { state: checked.state }) : undefined,
      code: undefined,
      deliveries: 1
    })
  }
  if (params.userId === undefined) return Effect.fail(new FakeWechatError({ reason: "allow needs the userId of the user who allows" }))
  return em.issue({ appId: checked.app.appId, userId: params.userId, scope: checked.scope, kind: checked.flow }).pipe(
    Effect.map((code) => ({
      location: withQuery(checked.redirectUri, { code, state: checked.state }),
      code,
      deliveries: (params.duplicateCallback ?? checked.app.duplicateCallbacks) ? 2 : 1
    }))
  )
}

const queryOf = (url: URL): Record<string, string> => {
  const query: Record<string, string> = {}
  url.searchParams.forEach((v, k) => {
    query[k] = v
  })
  return query
}

/**
 * What a user's decision on a consent link ends with, without a browser: the link is
 * checked as the page checks it (order included), then allowed as `userId` or denied. A
 * `qrconnect` link stands for the whole two-device login.
 */
export const consent = (
  em: Emulator,
  params: {
    readonly url: string
    readonly userId?: string | undefined
    readonly decision: "allow" | "deny"
    readonly duplicateCallback?: boolean | undefined
  }
): Effect.Effect<ConsentResult, FakeWechatError> =>
  Effect.suspend(() => {
    let url: URL
    try {
      url = new URL(params.url)
    } catch {
      return Effect.fail(new FakeWechatError({ reason: `not a URL: ${params.url}` }))
    }
    const path = url.pathname.replace(/^\/+/, "")
    const flow: Flow | undefined = path === "connect/oauth2/authorize" ? "oauth2" : path === "connect/qrconnect" ? "qrconnect" : undefined
    if (flow === undefined) return Effect.fail(new FakeWechatError({ reason: `not a consent link: ${url.pathname}` }))
    const checked = checkLink(em.apps, flow, queryOf(url), true)
    if ("error" in checked) return Effect.fail(new FakeWechatError({ reason: describeRefusal(checked) }))
    return answer(em, checked, params)
  })

const oauth2Page = (em: Emulator, checked: Checked): FakeResponse =>
  page("微信授权", consentForm({
    heading: checked.scope === "snsapi_base"
      ? `${checked.app.name} 静默授权 (snsapi_base): choose the WeChat user`
      : `${checked.app.name} 申请获得你的昵称、头像`,
    hidden: { appid: checked.app.appId, redirect_uri: checked.redirectUri, scope: checked.scope, state: checked.state },
    users: [...em.users.values()],
    snapshotPage: checked.scope === "snsapi_userinfo",
    duplicateCallbacks: checked.app.duplicateCallbacks
  }))

const flag = (value: string | undefined): boolean | undefined => (value === undefined ? undefined : value === "1")

/** `POST /connect/confirm`: the consent form's answer, from the official-account page or the phone. */
const confirm = (em: Emulator, request: FakeRequest): Effect.Effect<FakeResponse> => {
  const form = Object.fromEntries(new URLSearchParams(request.body))
  const decision = form.deny === undefined ? "allow" as const : "deny" as const
  const duplicateCallback = flag(form.duplicate_callback)
  if (decision === "allow" && !form.user) return Effect.succeed(errorPage({ text: "请选择用户" }, "the form names no user"))
  if (form.uuid !== undefined) {
    return answerQrLogin(em, { uuid: form.uuid, userId: form.user, decision, duplicateCallback }).pipe(
      Effect.map(answeredPage),
      Compat.catchAll((e) => Effect.succeed(errorPage({ text: "二维码已失效" }, e.reason)))
    )
  }
  const checked = checkLink(em.apps, "oauth2", { ...form, response_type: "code" }, false)
  if ("error" in checked) return Effect.succeed(errorPage(checked.error, checked.why))
  return answer(em, checked, { userId: form.user, decision, duplicateCallback }).pipe(
    Effect.map((result) => (result.location === undefined ? page("微信授权", "") : deliver(result.location, result.deliveries))),
    Compat.catchAll((e) => Effect.succeed(errorPage({ text: "授权失败" }, e.reason)))
  )
}

/** Serves the pages; `undefined` when the path is not one of them. */
export const handlePages = (em: Emulator, request: FakeRequest): Effect.Effect<FakeResponse> | undefined => {
  const path = request.path.replace(/^\/+/, "")
  if (request.method === "POST" && path === "connect/confirm") return confirm(em, request)
  if (request.method !== "GET") return undefined
  switch (path) {
    case "connect/oauth2/authorize": {
      const checked = checkLink(em.apps, "oauth2", request.query, true)
      return Effect.succeed("error" in checked ? errorPage(checked.error, checked.why) : oauth2Page(em, checked))
    }
    case "connect/qrconnect": {
      const checked = checkLink(em.apps, "qrconnect", request.query, true)
      return "error" in checked ? Effect.succeed(errorPage(checked.error, checked.why)) : startQrLogin(em, checked, request.origin)
    }
    case "connect/qrconnect/phone":
      return phonePage(em, request.query.uuid ?? "")
    case "connect/qrconnect/poll":
      return pollAnswer(em, request.query.uuid ?? "")
    default:
      return undefined
  }
}
