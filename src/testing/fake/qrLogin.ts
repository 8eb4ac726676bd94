/**
 * Website QR login on two devices (wechat-api.md §2.2): `connect/qrconnect` shows the PC
 * page, a real QR code of a phone URL on the fake, polled until the phone answers. The
 * phone page is the consent form; allowing sends the PC page to the callback, denying
 * shows "cancelled" there (no redirect, as the current doc says).
 * @internal
 */
import { Effect } from "effect"
import qrcode from "qrcode-generator"
import type { Emulator, QrLogin } from "./emulator.js"
import { consentForm, deliverTwiceScript, errorPage, escapeHtml, page, scriptValue } from "./html.js"
import type { Checked } from "./links.js"
import { withQuery } from "./links.js"
import { type FakeResponse, FakeWechatError } from "./model.js"
import { hex, reply } from "./wire.js"

/** `text` as a QR code: an SVG of dark modules with a 4-module quiet zone. */
export const qrSvg = (text: string): string => {
  const qr = qrcode(0, "M")
  qr.addData(text, "Byte")
  qr.make()
  const n = qr.getModuleCount()
  let path = ""
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) if (qr.isDark(row, col)) path += `M${col + 4} ${row + 4}h1v1h-1z`
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${n + 8} ${n + 8}" shape-rendering="crispEdges" role="img" aria-label="QR code">` +
    `<rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="${path}"/></svg>`
}

export type QrStatus = QrLogin["status"] | "expired"

const statusOf = (login: QrLogin, now: number): QrStatus =>
  (login.status === "waiting" || login.status === "scanned") && login.expiresAt <= now ? "expired" : login.status

/** Polls `/connect/qrconnect/poll` and follows the phone's answer. */
const pollScript = (uuid: string): string =>
  `const uuid=${scriptValue(uuid)};const status=document.getElementById("qr-status");` +
  `const say=(id,text)=>{status.id=id;status.textContent=text};` +
  `const poll=async()=>{let r;try{r=await (await fetch("/connect/qrconnect/poll?uuid="+uuid,{cache:"no-store"})).json()}` +
  `catch{setTimeout(poll,1000);return}` +
  `if(r.status==="confirmed"){if(r.deliveries===2){${deliverTwiceScript("r.location")}}` +
  `else{location.replace(r.location)}return}` +
  `if(r.status==="cancelled"){say("cancelled","你已取消此次登录 (login cancelled on the phone)");return}` +
  `if(r.status==="expired"){say("expired","二维码已失效 (the QR code expired; reload the page)");return}` +
  `if(r.status==="scanned")say("scanned","扫描成功，请在微信中点击确认即可登录 (scanned: confirm on the phone)");` +
  `setTimeout(poll,400)};poll();`

/** Opens a QR login for a checked `qrconnect` link: the PC page with the QR code. */
export const startQrLogin = (em: Emulator, checked: Checked, origin: string): Effect.Effect<FakeResponse> =>
  Effect.map(em.now, (now) => {
    const uuid = hex(12)
    em.qrLogins.set(uuid, {
      uuid,
      appId: checked.app.appId,
      redirectUri: checked.redirectUri,
      state: checked.state,
      expiresAt: now + em.lifetimes.qrLogin * 1000,
      status: "waiting",
      userId: undefined,
      location: undefined,
      deliveries: checked.app.duplicateCallbacks ? 2 : 1
    })
    const phoneUrl = `${origin}/connect/qrconnect/phone?uuid=${uuid}`
    return page(
      "微信登录",
      `<h1>微信登录 ${escapeHtml(checked.app.name)}</h1>` +
        `<div id="qr" data-uuid="${uuid}">${qrSvg(phoneUrl)}</div>` +
        `<p id="qr-status">请使用微信扫描二维码登录 (scan with the phone)</p>` +
        `<script>${pollScript(uuid)}</script>`
    )
  })

const expired = () => errorPage({ text: "二维码已失效" }, "this QR login is unknown, expired or already answered")

/** The phone page after a scan: the consent form, at phone size. */
export const phonePage = (em: Emulator, uuid: string): Effect.Effect<FakeResponse> =>
  Effect.map(em.now, (now) => {
    const login = em.qrLogins.get(uuid)
    const status = login === undefined ? "expired" : statusOf(login, now)
    if (login === undefined || (status !== "waiting" && status !== "scanned")) return expired()
    login.status = "scanned"
    const app = em.apps.get(login.appId)
    return page("微信登录确认", consentForm({
      heading: `${app?.name ?? login.appId} 申请使用你的微信登录`,
      hidden: { uuid },
      users: [...em.users.values()],
      snapshotPage: false,
      duplicateCallbacks: login.deliveries === 2
    }))
  })

/** The phone's answer to a QR login: allow (a code for the PC page) or deny. */
export const answerQrLogin = (
  em: Emulator,
  params: {
    readonly uuid: string
    readonly userId?: string | undefined
    readonly decision: "allow" | "deny"
    readonly duplicateCallback?: boolean | undefined
  }
): Effect.Effect<QrLogin, FakeWechatError> =>
  Effect.flatMap(em.now, (now) => {
    const login = em.qrLogins.get(params.uuid)
    const status = login === undefined ? "expired" : statusOf(login, now)
    if (login === undefined || (status !== "waiting" && status !== "scanned")) {
      return Effect.fail(new FakeWechatError({ reason: `QR login ${params.uuid} is unknown, ${status} or already answered` }))
    }
    if (params.decision === "deny") {
      login.status = "cancelled"
      return Effect.succeed(login)
    }
    if (params.userId === undefined) return Effect.fail(new FakeWechatError({ reason: "allow needs the userId of the user who allows" }))
    return em.issue({ appId: login.appId, userId: params.userId, scope: "snsapi_login", kind: "qrconnect" }).pipe(
      Effect.map((code) => {
        login.status = "confirmed"
        login.userId = params.userId
        login.location = withQuery(login.redirectUri, { code, state: login.state })
        if (params.duplicateCallback !== undefined) login.deliveries = params.duplicateCallback ? 2 : 1
        return login
      })
    )
  })

/** What the phone shows once it answered. */
export const answeredPage = (login: QrLogin): FakeResponse =>
  login.status === "confirmed"
    ? page("微信登录", `<h1 id="confirmed">已确认登录</h1><p>Continue on the computer.</p>`)
    : page("微信登录", `<h1 id="cancelled">已取消登录</h1>`)

/** `GET /connect/qrconnect/poll?uuid=`: the PC page's view of the login. */
export const pollAnswer = (em: Emulator, uuid: string): Effect.Effect<FakeResponse> =>
  Effect.map(em.now, (now) => {
    const login = em.qrLogins.get(uuid)
    if (login === undefined) return reply(404, { status: "unknown" })
    const status = statusOf(login, now)
    return reply(200, status === "confirmed" ? { status, location: login.location, deliveries: login.deliveries } : { status })
  })

/** The QR logins, for the control API's state. */
export const qrLoginState = (em: Emulator, now: number) =>
  [...em.qrLogins.values()].map((login) => ({
    uuid: login.uuid,
    appId: login.appId,
    status: statusOf(login, now),
    userId: login.userId,
    expiresAt: login.expiresAt
  }))
