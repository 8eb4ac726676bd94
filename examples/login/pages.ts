/**
 * The login demo's HTML. Every value that came from WeChat or the request goes through
 * {@link escapeHtml} (text) or {@link safeImageUrl} (an `<img src>`).
 */

/** Escapes text for an HTML element or a double-quoted attribute. */
export const escapeHtml = (s: string): string =>
  s
    // C0 controls (except tab and newline), DEL and C1 controls are not text: show them
    // as Unicode control pictures (U+0007 → ␇) or U+FFFD, so a nickname stays readable.
    .replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, (c) => {
      const code = c.charCodeAt(0)
      return code < 0x20 ? String.fromCharCode(0x2400 + code) : code === 0x7f ? "\u2421" : "\uFFFD"
    })
    .replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

/** An avatar URL fit for `<img src>`: http(s) or a path on this server; anything else is dropped. */
export const safeImageUrl = (url: string): string | undefined => {
  if (url.startsWith("/") && !url.startsWith("//")) return url
  try {
    const parsed = new URL(url)
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.toString() : undefined
  } catch {
    return undefined
  }
}

const STYLE = "body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}" +
  "a.button{display:block;margin:.6rem 0;padding:.8rem;border-radius:.4rem;background:#07c160;color:#fff;text-align:center;text-decoration:none}" +
  "a.button.qr{background:#2b6cb0}#avatar{width:96px;height:96px;border-radius:50%}" +
  "code{background:#f3f3f3;padding:0 .2rem;word-break:break-all}.error{color:#b00020}"

/** A whole page. `title` and `body` must already be escaped. */
export const layout = (title: string, body: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
  `<title>${title}</title><style>${STYLE}</style></head><body>${body}</body></html>`

const home = `<p><a id="home" href="/">Back to the start</a></p>`

/**
 * `GET /`: log in with WeChat. `/login/wechat` picks the consent page by user agent (H5
 * inside WeChat, QR login elsewhere); the two other links force one, to try both.
 */
export const landing = (options: { readonly backend: string; readonly user: { readonly nickname: string } | undefined }): string =>
  layout("effect-wechat login demo", `<h1>effect-wechat login demo</h1>` +
    `<p>Log in with WeChat, through ${escapeHtml(options.backend)}.</p>` +
    (options.user === undefined ? "" : `<p id="signed-in">Signed in as <strong>${escapeHtml(options.user.nickname)}</strong>: <a href="/me">your profile</a></p>`) +
    `<a class="button" id="login" href="/login/wechat">Log in with WeChat</a>` +
    `<p><small>Or choose: <a id="login-h5" href="/login/wechat?mode=h5">H5 consent page</a> (as inside WeChat) · ` +
    `<a id="login-qr" href="/login/wechat?mode=qr">QR login</a> (as on a PC browser)</small></p>`)

/** `GET /me`: the signed-in user. */
export const profile = (user: { readonly nickname: string; readonly headImgUrl: string; readonly openid: string }): string => {
  const avatar = safeImageUrl(user.headImgUrl)
  return layout(`${escapeHtml(user.nickname)}: signed in`, `<h1>Signed in</h1>` +
    (avatar === undefined ? "" : `<p><img id="avatar" alt="avatar" src="${escapeHtml(avatar)}"></p>`) +
    `<p>Nickname: <strong id="nickname">${escapeHtml(user.nickname)}</strong></p>` +
    `<p>openid: <code id="openid">${escapeHtml(user.openid)}</code></p>` +
    `<form method="POST" action="/logout"><button id="logout">Log out</button></form>` + home)
}

/** A snapshot-page visitor: WeChat's virtual user, never linked to an account. */
export const snapshotUser = (): string =>
  layout("Open this page in WeChat", `<h1 id="snapshot" class="error">Please open this page in WeChat</h1>` +
    `<p>WeChat showed you a preview (its snapshot page), so it shared a stand-in account, not yours. ` +
    `Open the page in WeChat and allow access (scope <code>snsapi_userinfo</code>) to sign in.</p>` + home)

/** Any path the demo does not serve. */
export const notFound = (): string =>
  layout("Not found", `<h1 id="not-found">Not found</h1><p>There is no page here.</p>` + home)

/** A round avatar with an initial, so the seeded users have pictures without the network. */
export const avatarSvg = (initial: string, color: string): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">` +
  `<circle cx="48" cy="48" r="48" fill="${escapeHtml(color)}"/>` +
  `<text x="48" y="62" font-family="sans-serif" font-size="44" text-anchor="middle" fill="#fff">${escapeHtml(initial)}</text></svg>`
