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

/** `GET /`: the two ways to log in. `baseUrl` keeps the state cookie on the callback's origin. */
export const landing = (options: { readonly baseUrl: string; readonly backend: string }): string =>
  layout("effect-wechat login demo", `<h1>effect-wechat login demo</h1>` +
    `<p>Log in with WeChat, through ${escapeHtml(options.backend)}.</p>` +
    `<a class="button" id="login-h5" href="${escapeHtml(options.baseUrl)}/login/h5">Log in with WeChat (H5)</a>` +
    `<a class="button qr" id="login-qr" href="${escapeHtml(options.baseUrl)}/login/qr">Log in with WeChat QR</a>` +
    `<p><small>H5: the official-account consent page (scope <code>snsapi_userinfo</code>), as opened inside WeChat. ` +
    `QR: the website-app QR login, as on a PC browser.</small></p>`)

/** The profile, after a successful login. */
export const profile = (user: { readonly nickname: string; readonly headImgUrl: string; readonly openid: string }): string => {
  const avatar = safeImageUrl(user.headImgUrl)
  return layout(`${escapeHtml(user.nickname)}: logged in`, `<h1>Logged in</h1>` +
    (avatar === undefined ? "" : `<p><img id="avatar" alt="avatar" src="${escapeHtml(avatar)}"></p>`) +
    `<p>Nickname: <strong id="nickname">${escapeHtml(user.nickname)}</strong></p>` +
    `<p>openid: <code id="openid">${escapeHtml(user.openid)}</code></p>` + home)
}

/** The user declined on the consent page: WeChat came back without a `code`. */
export const cancelled = (): string =>
  layout("Login cancelled", `<h1 id="cancelled">WeChat login cancelled</h1>` +
    `<p>You declined on WeChat's consent page, so nothing was shared.</p>` + home)

/** `state` did not match the cookie: a forged or stale callback. */
export const stateMismatch = (): string =>
  layout("State mismatch", `<h1 id="state-mismatch" class="error">Login failed: state mismatch</h1>` +
    `<p>This callback does not belong to the login this browser started (or the login took too long). Start again.</p>` + home)

/** `InvalidCode` / `CodeAlreadyUsed`. */
export const codeProblem = (tag: string): string =>
  layout("Login expired", `<h1 id="code-problem" class="error">This login link expired or was already used</h1>` +
    `<p>WeChat's code is single-use and lives a few minutes (<code>${escapeHtml(tag)}</code>).</p>` +
    `<p><a id="retry" href="/">Log in again</a></p>`)

/** `ApiUnauthorized` on `sns/userinfo`. */
export const needUserinfo = (): string =>
  layout("Profile not shared", `<h1 id="unauthorized" class="error">WeChat did not share the profile</h1>` +
    `<p>Reading the nickname and avatar needs consent with scope <code>snsapi_userinfo</code>. ` +
    `A silent <code>snsapi_base</code> login, or WeChat's snapshot-page visitor, cannot read it: ` +
    `open the page in WeChat and allow access.</p>` + home)

/** Any other failure: its tag and message (the library keeps secrets out of messages). */
export const failure = (error: { readonly _tag: string; readonly message: string }): string =>
  layout("Login failed", `<h1 id="error" class="error">Login failed: <code id="error-tag">${escapeHtml(error._tag)}</code></h1>` +
    `<p id="error-message">${escapeHtml(error.message)}</p>` + home)

/** A round avatar with an initial, so the seeded users have pictures without the network. */
export const avatarSvg = (initial: string, color: string): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">` +
  `<circle cx="48" cy="48" r="48" fill="${escapeHtml(color)}"/>` +
  `<text x="48" y="62" font-family="sans-serif" font-size="44" text-anchor="middle" fill="#fff">${escapeHtml(initial)}</text></svg>`
