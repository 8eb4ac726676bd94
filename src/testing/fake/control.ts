/**
 * The standalone server's HTTP control API under `/__fake/`, so tests in any language can
 * seed users and issue codes:
 *
 * - `GET  /__fake/state`                           → apps and users
 * - `POST /__fake/apps`      `{appId, appSecret, authorizedDomains, …}`
 * - `POST /__fake/users`     `{nickname, headImgUrl?, snapshot?}` → the user
 * - `POST /__fake/authorize` `{appId, userId, scope}` → `{code}`
 * - `POST /__fake/jscode`    `{appId, userId}` → `{code}`
 * - `GET  /__fake/calls?endpoint=sns/userinfo`     → `{count}`
 * - `POST /__fake/faults`    `{endpoint, fault, times?, probability?, …}`
 * @internal
 */
import { Effect } from "effect"
import { Emulator } from "./emulator.js"
import type { AppInput, FakeRequest, FakeResponse, Fault, FaultSchedule, UserInput } from "./model.js"

const reply = (status: number, value: unknown): FakeResponse => ({
  _tag: "Response",
  status,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(value)
})

const publicApp = (app: { appId: string; name: string; authorizedDomains: ReadonlyArray<string> }) => ({
  appId: app.appId,
  name: app.name,
  authorizedDomains: app.authorizedDomains
})

export const handleControl = (emulator: Emulator, request: FakeRequest): Effect.Effect<FakeResponse> | undefined => {
  if (!request.path.startsWith("/__fake/")) return undefined
  const route = `${request.method} ${request.path.slice("/__fake/".length)}`
  let body: Record<string, unknown> = {}
  if (request.body !== "") {
    let parsed: unknown
    try {
      parsed = JSON.parse(request.body)
    } catch {
      return Effect.succeed(reply(400, { error: "body is not JSON" }))
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return Effect.succeed(reply(400, { error: "body must be a JSON object" }))
    }
    body = parsed as Record<string, unknown>
  }
  const str = (k: string) => (typeof body[k] === "string" ? (body[k] as string) : "")
  switch (route) {
    case "GET state":
      return Effect.succeed(reply(200, { apps: [...emulator.apps.values()].map(publicApp), users: [...emulator.users.values()] }))
    case "POST apps":
      if (!str("appId") || !str("appSecret")) return Effect.succeed(reply(400, { error: "appId and appSecret are required" }))
      return Effect.succeed(reply(200, publicApp(emulator.addApp(body as unknown as AppInput))))
    case "POST users":
      if (!str("nickname")) return Effect.succeed(reply(400, { error: "nickname is required" }))
      return Effect.succeed(reply(200, emulator.addUser(body as unknown as UserInput)))
    case "POST authorize": {
      const scope = str("scope") || "snsapi_userinfo"
      if (scope !== "snsapi_base" && scope !== "snsapi_userinfo" && scope !== "snsapi_login") {
        return Effect.succeed(reply(400, { error: "scope must be snsapi_base, snsapi_userinfo or snsapi_login" }))
      }
      return emulator.issueCode(str("appId"), str("userId"), scope).pipe(
        Effect.map((code) => reply(200, { code })),
        Effect.catchAll((e) => Effect.succeed(reply(400, { error: e.reason })))
      )
    }
    case "POST jscode":
      return emulator.issueJsCode(str("appId"), str("userId")).pipe(
        Effect.map((code) => reply(200, { code })),
        Effect.catchAll((e) => Effect.succeed(reply(400, { error: e.reason })))
      )
    case "GET calls": {
      const endpoint = new URLSearchParams(request.query).get("endpoint") ?? ""
      return Effect.succeed(reply(200, { endpoint, count: emulator.callCount(endpoint) }))
    }
    case "POST faults":
    {
      if (!str("endpoint")) return Effect.succeed(reply(400, { error: "endpoint is required" }))
      const fault = body as unknown as Fault & FaultSchedule
      const problem = Emulator.checkFault(fault)
      if (problem !== undefined) return Effect.succeed(reply(400, { error: problem }))
      emulator.inject(str("endpoint"), fault)
      return Effect.succeed(reply(200, { ok: true }))
    }
    default:
      return Effect.succeed(reply(404, { error: `no control route ${route}` }))
  }
}
