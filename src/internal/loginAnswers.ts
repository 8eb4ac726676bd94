/**
 * What `WechatLogin` answers when a login does not end in the app's `onLogin`: a small page
 * or JSON (as the request's `Accept` asks), with the right status, saying what to do next.
 * No secret, code or token appears in an answer.
 * @internal
 */
import type { InvalidState, WechatError } from "../WechatError.js"

export type Failure = WechatError | InvalidState | { readonly _tag: "Cancelled" }

export interface Answer {
  readonly status: number
  /** A stable, machine-readable name: the error tag, or `Cancelled`. */
  readonly error: string
  readonly title: string
  readonly detail: string
  /** `start-again`, `try-later` or `contact-site` */
  readonly next: "start-again" | "try-later" | "contact-site"
  /** Seconds, for 503 answers. */
  readonly retryAfter?: number | undefined
}

/** The answer for a failure; `rid` (WeChat's request id) is shown for support. */
export const answerFor = (failure: Failure): Answer => {
  switch (failure._tag) {
    case "Cancelled":
      return { status: 200, error: "Cancelled", title: "WeChat login cancelled", detail: "You declined on WeChat's page, so nothing was shared.", next: "start-again" }
    case "InvalidState":
      return {
        status: 400,
        error: "InvalidState",
        title: failure.reason === "expired" ? "This login took too long" : "This login link is not for this browser",
        detail: failure.reason === "expired"
          ? "The login expired before WeChat sent you back. Start again."
          : "The link you followed was not started in this browser (or it was changed). For your safety it was not used. Start again.",
        next: "start-again"
      }
    case "InvalidCode":
    case "CodeAlreadyUsed":
    case "RefreshTokenInvalid":
      return { status: 400, error: failure._tag, title: "This login link expired or was already used", detail: "WeChat's login code is single-use and lives a few minutes. Start again.", next: "start-again" }
    case "ApiUnauthorized":
      return failure.action === "reauthorize"
        ? { status: 403, error: failure._tag, title: "WeChat did not share the profile", detail: "Reading the nickname and avatar needs your consent. Start again and allow access.", next: "start-again" }
        : { status: 502, error: failure._tag, title: "Login is not available right now", detail: "This site's WeChat settings need attention.", next: "contact-site" }
    case "SystemBusy":
    case "RateLimited":
    case "WechatTransportError":
      return {
        status: 503,
        error: failure._tag,
        title: "WeChat is busy",
        detail: failure.action === "reauthorize" || failure.action === "retry" ? "WeChat did not answer in time. Start the login again in a moment." : "Try again later.",
        next: failure._tag === "RateLimited" && failure.window === "day" ? "contact-site" : "try-later",
        retryAfter: failure._tag === "RateLimited" && failure.window === "minute" ? 60 : 5
      }
    case "CodeBlocked":
    case "AccountRestricted":
      return { status: 403, error: failure._tag, title: "WeChat refused this login", detail: "WeChat's risk control or an account restriction stopped it.", next: "contact-site" }
    case "InvalidArgument":
      return { status: 400, error: failure._tag, title: "This login request is not valid", detail: `${failure.argument}: ${failure.reason}`, next: "start-again" }
    default:
      // fix-config and stop: the site's problem, not the user's
      return { status: 502, error: failure._tag, title: "Login is not available right now", detail: "This site could not complete the login with WeChat.", next: "contact-site" }
  }
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

const NEXT_TEXT = { "start-again": "Log in again", "try-later": "Try again", "contact-site": "Back to the start" } as const

/** A small page for the answer, linking to where the login starts. */
export const page = (answer: Answer, options: { readonly startUrl: string; readonly homeUrl: string; readonly rid?: string | undefined }): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
  `<title>${escapeHtml(answer.title)}</title><style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}` +
  `.error{color:#b00020}</style></head><body>` +
  `<h1 id="wechat-login-${answer.error === "Cancelled" ? "cancelled" : "error"}"${answer.error === "Cancelled" ? "" : " class=\"error\""}>${escapeHtml(answer.title)}</h1>` +
  `<p id="wechat-login-detail">${escapeHtml(answer.detail)}</p>` +
  `<p><small>Code: <code id="wechat-login-code">${escapeHtml(answer.error)}</code>${options.rid === undefined ? "" : ` · rid <code>${escapeHtml(options.rid)}</code>`}</small></p>` +
  `<p><a id="wechat-login-next" href="${escapeHtml(answer.next === "contact-site" ? options.homeUrl : options.startUrl)}">${NEXT_TEXT[answer.next]}</a></p>` +
  `</body></html>`

/** Whether the client asked for JSON rather than a page. */
export const wantsJson = (accept: string | undefined): boolean => {
  if (accept === undefined) return false
  const json = accept.indexOf("application/json")
  const html = accept.indexOf("text/html")
  return json !== -1 && (html === -1 || json < html)
}
