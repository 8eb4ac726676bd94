/**
 * The HTTP control API under `/__fake/`: one route per operation of the in-process control
 * service, for tests in any language. `GET /__fake/` lists the routes as JSON. Bodies and
 * answers are JSON; a refused call answers 400 `{"error": "…"}`.
 * @internal
 */
import * as Compat from "#compat"
import { Duration, Effect, Schema } from "effect"
import type { Service } from "../FakeWechat.js"
import { KINDS, SCOPES } from "./apps.js"
import { type FakeRequest, type FakeResponse, FakeWechatError, type Fault, type FaultSchedule } from "./model.js"
import { reply } from "./wire.js"

const Kind = Compat.literals(...KINDS)
const ScopeLiteral = Compat.literals(...SCOPES)
const Decision = Compat.literals("allow", "deny")
const Counts = Compat.record(Schema.String, Schema.Number)
const opt = Schema.optional

const AppBody = Schema.Struct({
  appId: Schema.String,
  appSecret: Schema.String,
  kind: opt(Compat.union(Kind, Schema.Array(Kind))),
  verified: opt(Schema.Boolean),
  permissions: opt(Schema.Array(ScopeLiteral)),
  authorizedDomains: opt(Schema.Array(Schema.String)),
  ipWhitelist: opt(Schema.Array(Schema.String)),
  openPlatform: opt(Schema.Boolean),
  name: opt(Schema.String),
  duplicateCallbacks: opt(Schema.Boolean)
})
const UserBody = Schema.Struct({
  id: opt(Schema.String),
  nickname: Schema.String,
  headImgUrl: opt(Schema.String),
  snapshot: opt(Schema.Boolean),
  openids: opt(Compat.record(Schema.String, Schema.String)),
  unionid: opt(Schema.String),
  phoneNumber: opt(Schema.String),
  countryCode: opt(Schema.String)
})
const AppUser = Schema.Struct({ appId: Schema.String, userId: Schema.String })
const EncryptedDataBody = Schema.Struct({
  appId: Schema.String,
  userId: Schema.String,
  data: Compat.union(Compat.literals("userInfo", "phoneNumber", "runData", "shareInfo"), Compat.record(Schema.String, Schema.Unknown)),
  watermark: opt(Schema.Boolean)
})
const AuthorizeBody = Schema.Struct({ appId: Schema.String, userId: Schema.String, scope: ScopeLiteral })
const ConsentBody = Schema.Struct({ url: Schema.String, userId: opt(Schema.String), decision: Decision, duplicateCallback: opt(Schema.Boolean) })
const QrAnswerBody = Schema.Struct({ uuid: Schema.String, userId: opt(Schema.String), decision: Decision, duplicateCallback: opt(Schema.Boolean) })
const CallsQuery = Schema.Struct({ endpoint: opt(Schema.String) })
const FaultBody = Schema.Struct({
  endpoint: Schema.String,
  fault: Schema.String,
  times: opt(Schema.Number),
  probability: opt(Schema.Number),
  millis: opt(Schema.Number),
  status: opt(Schema.Number),
  errcode: opt(Schema.Number),
  errmsg: opt(Schema.String)
})
const CallerIpBody = Schema.Struct({ ip: Schema.String })
const LifetimesBody = Schema.Struct({
  oauthCode: opt(Schema.Number),
  qrCode: opt(Schema.Number),
  jsCode: opt(Schema.Number),
  webToken: opt(Schema.Number),
  refreshToken: opt(Schema.Number),
  basicToken: opt(Schema.Number),
  ticket: opt(Schema.Number),
  overlap: opt(Schema.Number),
  qrLogin: opt(Schema.Number),
  phoneCode: opt(Schema.Number),
  sessionKey: opt(Schema.Number)
})
const QuotasBody = Schema.Struct({ daily: opt(Counts), minute: opt(Counts), userMinute: opt(Counts) })
const ClockBody = Schema.Struct({ seconds: Compat.NonNegative })
const Empty = Schema.Struct({})

interface Route {
  readonly method: "GET" | "POST" | "DELETE"
  readonly path: string
  /** What it does, and its input (a JSON body for POST, the query for GET). */
  readonly summary: string
  readonly input: string
  readonly run: (fake: Service, input: unknown) => Effect.Effect<unknown, FakeWechatError | Compat.ParseError>
}

const route = <A, I>(
  method: Route["method"],
  path: string,
  summary: string,
  input: string,
  schema: Compat.Codec<A, I>,
  run: (fake: Service, input: A) => Effect.Effect<unknown, FakeWechatError>
): Route => ({ method, path, summary, input, run: (fake, raw) => Effect.flatMap(Compat.decodeUnknownEffect(schema)(raw), (a) => run(fake, a)) })

const ok = { ok: true }

/** Every route, in the order `GET /__fake/` lists them. */
export const routes: ReadonlyArray<Route> = [
  route("GET", "/__fake/", "this list", "", Empty, () => Effect.succeed(undefined)),
  route("GET", "/__fake/state", "apps (without secrets), users, codes, QR logins, JS-SDK tickets, call counts, faults, clock, lifetimes, quotas", "", Empty, (f) => f.state),
  route("POST", "/__fake/apps", "add or replace an app → the app", "{appId, appSecret, kind?, verified?, permissions?, authorizedDomains?, ipWhitelist?, openPlatform?, name?, duplicateCallbacks?}", AppBody, (f, app) => Effect.map(f.addApp(app), ({ appSecret: _secret, ...rest }) => rest)),
  route("POST", "/__fake/users", "add a user → the user with its id", "{nickname, id?, headImgUrl?, snapshot?, openids?, unionid?, phoneNumber?, countryCode?}", UserBody, (f, user) => f.addUser(user)),
  route("POST", "/__fake/authorize", "the code a consent page would send → {code}", "{appId, userId, scope}", AuthorizeBody, (f, p) => Effect.map(f.authorize(p), (code) => ({ code }))),
  route("POST", "/__fake/jscode", "a wx.login code of a mini-program → {code}", "{appId, userId}", AppUser, (f, p) => Effect.map(f.miniProgramLogin(p), (code) => ({ code }))),
  route("POST", "/__fake/phone-code", "the code the getPhoneNumber button hands a mini program → {code}", "{appId, userId}", AppUser, (f, p) => Effect.map(f.phoneCode(p), (code) => ({ code }))),
  route("POST", "/__fake/encrypted-data", "open data as a mini program receives it, under the user's current session_key → {encryptedData, iv}", "{appId, userId, data: userInfo|phoneNumber|runData|shareInfo|{…}, watermark?}", EncryptedDataBody, (f, p) => f.encryptedData(p)),
  route("GET", "/__fake/openid", "the user's openid in an app → {openid}", "?appId=&userId=", AppUser, (f, p) => Effect.map(f.openid(p), (openid) => ({ openid }))),
  route("POST", "/__fake/consent", "allow or deny a consent link as the page would → {location, code, deliveries}", "{url, decision: allow|deny, userId?, duplicateCallback?}", ConsentBody, (f, p) => f.consent(p)),
  route("POST", "/__fake/qr-logins/answer", "the phone's answer to a QR login shown on a PC page → {status, location, deliveries}", "{uuid, decision: allow|deny, userId?, duplicateCallback?}", QrAnswerBody, (f, p) => f.answerQrLogin(p)),
  route("POST", "/__fake/revoke", "the user withdraws an app's authorization (sns/userinfo → 50001 until the next consent)", "{appId, userId}", AppUser, (f, p) => Effect.as(f.revokeConsent(p), ok)),
  route("GET", "/__fake/calls", "requests so far → {endpoint, count}, or every count without endpoint", "?endpoint=sns/userinfo", CallsQuery, (f, q) =>
    q.endpoint === undefined
      ? Effect.map(f.state, (s) => s.calls)
      : Effect.map(f.callCount(q.endpoint), (count) => ({ endpoint: q.endpoint, count }))),
  route("POST", "/__fake/faults", "inject a fault on an endpoint", "{endpoint, fault, times?, probability?, millis?, status?, errcode?, errmsg?}", FaultBody, (f, { endpoint, ...fault }) =>
    Effect.as(f.inject(endpoint, fault as Fault & FaultSchedule), ok)),
  route("DELETE", "/__fake/faults", "clear every fault", "", Empty, (f) => Effect.as(f.clearFaults, ok)),
  route("POST", "/__fake/caller-ip", "the IP the IP whitelist checks, for the in-memory client (the server sees the socket's)", "{ip}", CallerIpBody, (f, p) => Effect.as(f.setCallerIp(p.ip), ok)),
  route("POST", "/__fake/lifetimes", "lifetimes (seconds) of what is issued from now on", "{oauthCode?, qrCode?, jsCode?, webToken?, refreshToken?, basicToken?, ticket?, overlap?, qrLogin?, phoneCode?, sessionKey?}", LifetimesBody, (f, p) => Effect.as(f.setLifetimes(p), ok)),
  route("POST", "/__fake/quotas", "call limits per endpoint: per day, per minute, per minute and user", "{daily?, minute?, userMinute?}", QuotasBody, (f, p) => Effect.as(f.setQuotas(p), ok)),
  route("GET", "/__fake/clock", "the fake's time → {now, offsetMillis}", "", Empty, (f) => Effect.map(f.state, (s) => ({ now: s.now, offsetMillis: s.clockOffsetMillis }))),
  route("POST", "/__fake/clock/advance", "move the fake's clock forward → {now, offsetMillis}", "{seconds}", ClockBody, (f, p) =>
    Effect.andThen(f.advanceClock(Duration.seconds(p.seconds)), Effect.map(f.state, (s) => ({ now: s.now, offsetMillis: s.clockOffsetMillis }))))
]

const listing = routes.map(({ input, method, path, summary }) => ({ method, path, summary, ...(input === "" ? {} : { input }) }))

const parseBody = (body: string): unknown => {
  if (body.trim() === "") return {}
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

/** Answers a control-API request; `undefined` when the path is not under `/__fake/`. */
export const handleControl = (fake: Service, request: FakeRequest): Effect.Effect<FakeResponse> | undefined => {
  if (!request.path.startsWith("/__fake/") && request.path !== "/__fake") return undefined
  const path = request.path === "/__fake" ? "/__fake/" : request.path
  const found = routes.find((r) => r.path === path && r.method === request.method)
  if (found === undefined) {
    const allowed = routes.filter((r) => r.path === path).map((r) => r.method)
    return Effect.succeed(allowed.length === 0
      ? reply(404, { error: `no control route ${request.method} ${path}; GET /__fake/ lists them` })
      : reply(405, { error: `${path} takes ${allowed.join(", ")}` }))
  }
  if (found.path === "/__fake/") return Effect.succeed(reply(200, { routes: listing }))
  const input = found.method === "GET" ? request.query : parseBody(request.body)
  if (input === undefined) return Effect.succeed(reply(400, { error: "the body is not JSON" }))
  return found.run(fake, input).pipe(
    Effect.map((value) => reply(200, value)),
    Compat.catchAll((e) =>
      Effect.succeed(reply(400, { error: Compat.isParseError(e) ? Compat.formatParseError(e) : e.reason }))
    )
  )
}
