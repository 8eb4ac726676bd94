/**
 * Apps as WeChat sees them: their kind, verification and scopes, their authorized
 * domains (`host[:port]`) and API IP whitelist, and which consent each may ask for
 * (wechat-api.md §0, §2.1, §2.2, §4.2, §8).
 * @internal
 */
import type { AppInput, AppKind, FakeApp, Scope } from "./model.js"

export const KINDS: readonly [AppKind, ...Array<AppKind>] = ["official-account", "website", "mini-program"]
export const SCOPES: readonly [Scope, ...Array<Scope>] = ["snsapi_base", "snsapi_userinfo", "snsapi_login"]

const defaultPermissions = (kinds: ReadonlyArray<AppKind>): ReadonlyArray<Scope> => [
  ...(kinds.includes("official-account") ? ["snsapi_base", "snsapi_userinfo"] as const : []),
  ...(kinds.includes("website") ? ["snsapi_login"] as const : [])
]

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

const ipv4ToInt = (ip: string): number | undefined => {
  const match = IPV4.exec(ip)
  if (match === null) return undefined
  let n = 0
  for (const part of match.slice(1)) {
    const v = Number(part)
    if (v > 255) return undefined
    n = n * 256 + v
  }
  return n
}

/** Why a whitelist entry is not one WeChat's console takes for these kinds, or `undefined`. */
const whitelistProblem = (entry: string, kinds: ReadonlyArray<AppKind>): string | undefined => {
  if (entry.includes("*")) {
    // mini-programs take 172.0.0.*; official accounts take CIDR instead (wechat-api.md §4.2)
    if (!/^(\d{1,3}\.){3}\*$/.test(entry)) return `whitelist entry ${entry}: only the last part may be *`
    return kinds.includes("mini-program") ? undefined : `whitelist entry ${entry}: x.x.x.* is for mini-programs; use a CIDR block`
  }
  if (entry.includes("/")) {
    const [base, bits] = entry.split("/")
    return ipv4ToInt(base ?? "") !== undefined && /^\d{1,2}$/.test(bits ?? "") && Number(bits) <= 32
      ? undefined
      : `whitelist entry ${entry} is not an IPv4 CIDR block`
  }
  return entry.includes(":") && ipv4ToInt(entry) === undefined && !/^[0-9a-f:]+$/i.test(entry)
    ? `whitelist entry ${entry}: no IP:port`
    : undefined
}

/** The app as the fake keeps it, or why the input is not an app WeChat could have. */
export const toApp = (input: AppInput): FakeApp | string => {
  if (typeof input.appId !== "string" || input.appId === "") return "appId is required"
  if (typeof input.appSecret !== "string" || input.appSecret === "") return "appSecret is required"
  const kinds = input.kind === undefined ? KINDS : typeof input.kind === "string" ? [input.kind] : input.kind
  const unknownKind = kinds.find((k) => !KINDS.includes(k))
  if (unknownKind !== undefined || kinds.length === 0) {
    return `kind must be one or more of ${KINDS.join(", ")}, not ${JSON.stringify(input.kind)}`
  }
  const unknownScope = (input.permissions ?? []).find((s) => !SCOPES.includes(s))
  if (unknownScope !== undefined) return `unknown permission ${unknownScope}; scopes are ${SCOPES.join(", ")}`
  for (const entry of input.ipWhitelist ?? []) {
    const problem = whitelistProblem(entry, kinds)
    if (problem !== undefined) return problem
  }
  const verified = input.verified ?? true
  return {
    appId: input.appId,
    appSecret: input.appSecret,
    kinds,
    verified,
    permissions: verified ? input.permissions ?? defaultPermissions(kinds) : [],
    authorizedDomains: (input.authorizedDomains ?? []).map((d) => d.toLowerCase()),
    ipWhitelist: input.ipWhitelist,
    openPlatform: input.openPlatform ?? false,
    name: input.name ?? input.appId,
    duplicateCallbacks: input.duplicateCallbacks ?? false
  }
}

/** Whether `ip` is in a whitelist of single IPs, IPv4 CIDR blocks and `x.x.x.*` entries. */
export const ipAllowed = (ip: string, whitelist: ReadonlyArray<string>): boolean => {
  const plain = ip.replace(/^::ffff:/, "")
  const a = ipv4ToInt(plain)
  return whitelist.some((entry) => {
    if (entry.includes("*")) {
      return a !== undefined && entry.split(".").every((part, i) => part === "*" || part === plain.split(".")[i])
    }
    if (!entry.includes("/")) return entry === plain || entry === ip
    const [base, bitsText] = entry.split("/")
    const bits = Number(bitsText)
    const b = ipv4ToInt(base ?? "")
    if (a === undefined || b === undefined || !(bits >= 0 && bits <= 32)) return false
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0
    return ((a & mask) >>> 0) === ((b & mask) >>> 0)
  })
}

/**
 * Whether `redirect` is under an authorized domain: the same host, and the same port
 * (a domain without a port stands for the scheme's default port). A domain configured
 * with a path never matches, as at WeChat.
 */
export const domainMatches = (redirect: URL, domain: string): boolean => {
  const match = /^([^:/]+)(?::(\d+))?$/.exec(domain)
  if (match === null) return false
  const [, host, port] = match
  if (redirect.hostname !== host) return false
  if (port === undefined) return redirect.port === ""
  return (redirect.port || (redirect.protocol === "https:" ? "443" : "80")) === port
}

/** An error the consent page shows: WeChat's text and, on the official-account page, its code. */
export interface PageError {
  readonly errcode?: number | undefined
  readonly text: string
}

/** Why an app may not ask for `scope` on `connect/oauth2/authorize`, or `undefined`. */
export const oauth2Refusal = (app: FakeApp, scope: string): PageError | undefined => {
  if (!app.kinds.includes("official-account")) {
    return app.kinds.includes("website")
      ? { errcode: 10016, text: "不支持微信开放平台的Appid，请使用公众号Appid" }
      : { errcode: 10005, text: "此公众号并没有这些scope的权限" }
  }
  if (scope !== "snsapi_base" && scope !== "snsapi_userinfo") return { errcode: 10005, text: "此公众号并没有这些scope的权限" }
  if (!app.permissions.includes(scope)) return { errcode: 10005, text: "此公众号并没有这些scope的权限" }
  return undefined
}

/** Why an app may not open `connect/qrconnect`, or `undefined`. */
export const qrconnectRefusal = (app: FakeApp): PageError | undefined =>
  app.kinds.includes("website") && app.permissions.includes("snsapi_login")
    ? undefined
    : { text: "Scope 参数错误或没有 Scope 权限" }
