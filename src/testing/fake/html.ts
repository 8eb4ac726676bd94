/**
 * The HTML of the fake's pages: escaping (control characters shown as control pictures),
 * the page shell, WeChat-style error pages and callback delivery (once, or twice).
 * @internal
 */
import type { PageError } from "./apps.js"
import type { FakeResponse, FakeUser } from "./model.js"

/**
 * Escapes text for an element or a double-quoted attribute. C0 controls (but tab and
 * newline) become their Unicode control pictures (U+0007 → ␇) and DEL becomes ␡, so a
 * nickname with a control character stays readable instead of showing a missing glyph.
 */
export const escapeHtml = (s: string): string =>
  s
    .replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, (c) => String.fromCharCode(c === "\u007F" ? 0x2421 : 0x2400 + c.charCodeAt(0)))
    .replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

/** A value for an inline `<script>`: JSON that cannot close the script element. */
export const scriptValue = (value: unknown): string => JSON.stringify(value).replace(/</g, "\\u003c")

const STYLE = "body{font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}" +
  "button{display:block;width:100%;margin:.5rem 0;padding:.7rem;font-size:1rem}.allow{background:#07c160;color:#fff;border:0}" +
  ".user{display:flex;gap:.5rem;align-items:center}.user img{width:32px;height:32px}.why{color:#666;font-size:.85rem}" +
  "#qr svg{width:240px;height:240px;display:block;margin:1rem auto}"

/** A page; `body` must already be escaped. */
export const page = (title: string, body: string, status = 200): FakeResponse => ({
  _tag: "Response",
  status,
  headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  body: `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>` +
    `<body><p><small>FakeWechat (test double)</small></p>${body}</body></html>`
})

/**
 * WeChat's error page: its text and code as users report them ("…，错误码：10003"), and
 * under it, the fake's own explanation of what it checked.
 */
export const errorPage = (error: PageError, why?: string): FakeResponse =>
  page(
    "微信授权错误",
    `<h1 id="error">${escapeHtml(error.text)}${error.errcode === undefined ? "" : `，错误码：${error.errcode}`}</h1>` +
      (why === undefined ? "" : `<p class="why" id="why">FakeWechat: ${escapeHtml(why)}</p>`)
  )

export const redirect = (location: string): FakeResponse => ({
  _tag: "Response",
  status: 302,
  headers: { location, "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  body: ""
})

/**
 * The script that delivers a callback twice, as WeChat's in-app browser sometimes does:
 * a background request to the target URL first (credentials included), then,
 * once it is answered (or failed), the navigation to the same URL. The app sees two
 * requests with the same code and state; the browser shows the answer to the second.
 */
export const deliverTwiceScript = (targetExpression: string): string =>
  `const target=${targetExpression};` +
  `fetch(target,{mode:"no-cors",credentials:"include",cache:"no-store"})` +
  `.catch(()=>undefined).then(()=>location.replace(target));`

/** The answer to a consent: a 302 to the callback, or a page that delivers it twice. */
export const deliver = (location: string, deliveries: 1 | 2): FakeResponse =>
  deliveries === 1
    ? redirect(location)
    : page(
      "微信授权",
      `<p id="duplicate-callback">Delivering the callback twice (duplicateCallbacks)…</p>` +
        `<noscript><a href="${escapeHtml(location)}">continue</a></noscript>` +
        `<script>${deliverTwiceScript(scriptValue(location))}</script>`
    )

/**
 * The consent form, the same on the official-account page and on the phone after a QR
 * scan: one "allow" button per seeded user (`#allow-<userId>`), "deny" (`#deny`), and a
 * `#duplicate-callback` box (ticked when the app delivers callbacks twice).
 */
export const consentForm = (params: {
  readonly heading: string
  readonly hidden: Readonly<Record<string, string>>
  readonly users: ReadonlyArray<FakeUser>
  /** Users marked snapshot land on the snapshot page: only for snsapi_userinfo consent. */
  readonly snapshotPage: boolean
  readonly duplicateCallbacks: boolean
}): string => {
  const hidden = Object.entries(params.hidden)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join("")
  const buttons = params.users.length === 0
    ? `<p id="no-users">No users are seeded.</p>`
    : params.users.map((u) =>
      `<div class="user">${u.headImgUrl ? `<img alt="" src="${escapeHtml(u.headImgUrl)}">` : ""}` +
      `<button class="allow" id="allow-${escapeHtml(u.id)}" name="user" value="${escapeHtml(u.id)}">` +
      `允许 Allow: <span class="nickname">${escapeHtml(u.nickname)}</span>${u.snapshot && params.snapshotPage ? " (snapshot page)" : ""}</button></div>`
    ).join("")
  return `<h1>${escapeHtml(params.heading)}</h1><form method="POST" action="/connect/confirm">${hidden}${buttons}` +
    `<button id="deny" name="deny" value="1">拒绝 Deny</button>` +
    // unticked sends the hidden 0 only; ticked sends 0 then 1 (the last wins)
    `<label><input type="hidden" name="duplicate_callback" value="0">` +
    `<input type="checkbox" id="duplicate-callback" name="duplicate_callback" value="1"${params.duplicateCallbacks ? " checked" : ""}>` +
    ` deliver the callback twice</label></form>`
}
