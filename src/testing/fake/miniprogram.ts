/**
 * The mini program beyond `jscode2session` (docs/miniprogram.md): each user's session_key
 * (replaced by `wx.login`), the `getPhoneNumber` button's single-use codes,
 * `wxa/business/getuserphonenumber`, `wxa/checksession`, and open data encrypted with the
 * user's current session_key as the client receives it.
 * @internal
 */
import { Effect } from "effect"
import { createCipheriv, createHash, createHmac, randomBytes } from "node:crypto"
import { basicTokenApp, parseBody } from "./basic.js"
import type { Emulator, Endpoint } from "./emulator.js"
import { type FakeApp, type FakeResponse, type FakeUser, FakeWechatError, type UserInput } from "./model.js"
import { derive, hex, json } from "./wire.js"

const isResponse = (value: object): value is FakeResponse => "_tag" in value

/** The open data the fake can produce by name. */
export type OpenDataKind = "userInfo" | "phoneNumber" | "runData" | "shareInfo"

const KINDS: ReadonlyArray<OpenDataKind> = ["userInfo", "phoneNumber", "runData", "shareInfo"]

const digits = (...parts: ReadonlyArray<string>) => BigInt("0x" + createHash("sha1").update(parts.join("\u0000")).digest("hex")).toString()

/** A user's phone number: given, or derived from the id; `+countryCode` in front outside mainland China. */
export const phoneOf = (id: string, input: UserInput) => {
  const countryCode = input.countryCode ?? "86"
  const pure = input.phoneNumber ?? `139${digits("phone", id).slice(-8)}`
  return { phoneNumber: countryCode === "86" ? pure : `+${countryCode}${pure}`, purePhoneNumber: pure, countryCode }
}

const sessionOf = (appId: string, userId: string) => `${appId} ${userId}`

/** The user's session_key in an app now, if any. */
export const currentSessionKey = (em: Emulator, appId: string, userId: string, now: number): string | undefined => {
  const session = em.sessionKeys.get(sessionOf(appId, userId))
  return session !== undefined && session.expiresAt > now ? session.key : undefined
}

/** `wx.login`: a new session_key, unless the rotation is `when-expired` and the current one still lives. */
export const login = (em: Emulator, appId: string, userId: string, now: number): string => {
  const current = currentSessionKey(em, appId, userId, now)
  if (current !== undefined && em.sessionKeyRotation === "when-expired") return current
  const key = randomBytes(16).toString("base64")
  em.sessionKeys.set(sessionOf(appId, userId), { key, expiresAt: now + em.lifetimes.sessionKey * 1000 })
  return key
}

const miniProgram = (em: Emulator, appId: string, userId: string): Effect.Effect<{ readonly app: FakeApp; readonly user: FakeUser }, FakeWechatError> =>
  Effect.flatMap(Effect.zip(em.app(appId), em.user(userId)), ([app, user]) =>
    app.kinds.includes("mini-program")
      ? Effect.succeed({ app, user })
      : Effect.fail(new FakeWechatError({ reason: `${appId} is not a mini-program (${app.kinds.join(" + ")})` })))

/** The code `<button open-type="getPhoneNumber">` hands the mini program: 64 hex digits, single-use. */
export const issuePhoneCode = (em: Emulator, params: { readonly appId: string; readonly userId: string }): Effect.Effect<string, FakeWechatError> =>
  Effect.flatMap(Effect.zip(miniProgram(em, params.appId, params.userId), em.now), ([{ app, user }, now]) =>
    Effect.sync(() => {
      const code = randomBytes(32).toString("hex")
      em.codes.set(code, { appId: app.appId, userId: user.id, scope: "snsapi_base", kind: "phone", snapshot: false, expiresAt: now + em.lifetimes.phoneCode * 1000, used: false })
      return code
    }))

const DAY = 86_400_000
const CHINA = 8 * 3_600_000

const preset = (em: Emulator, app: FakeApp, user: FakeUser, kind: OpenDataKind, now: number): Record<string, unknown> => {
  switch (kind) {
    case "userInfo":
      return {
        openId: em.openidOf(app.appId, user),
        nickName: user.nickname,
        gender: 0,
        language: "zh_CN",
        city: "",
        province: "",
        country: "",
        avatarUrl: user.headImgUrl,
        ...(app.openPlatform ? { unionId: user.unionid } : {})
      }
    case "phoneNumber":
      return { phoneNumber: user.phoneNumber, purePhoneNumber: user.purePhoneNumber, countryCode: user.countryCode }
    case "runData": {
      // 31 days, each at its midnight in China, oldest first
      const today = Math.floor((now + CHINA) / DAY) * DAY - CHINA
      return {
        stepInfoList: Array.from({ length: 31 }, (_, i) => {
          const timestamp = (today - (30 - i) * DAY) / 1000
          return { timestamp, step: Number(digits("steps", user.id, String(timestamp)).slice(-4)) }
        })
      }
    }
    case "shareInfo":
      return { openGId: `G${derive("opengid", app.appId)}` }
  }
}

/**
 * Open data as the mini program receives it: the JSON (a preset or the caller's object)
 * with a watermark appended (unless `watermark: false`, or the object brings its own),
 * AES-128-CBC with PKCS#7 under the user's current session_key and a fresh IV, base64.
 */
export const encryptOpenData = (
  em: Emulator,
  params: {
    readonly appId: string
    readonly userId: string
    readonly data: OpenDataKind | Readonly<Record<string, unknown>>
    readonly watermark?: boolean | undefined
  }
): Effect.Effect<{ readonly encryptedData: string; readonly iv: string }, FakeWechatError> =>
  Effect.gen(function*() {
    const { app, user } = yield* miniProgram(em, params.appId, params.userId)
    const now = yield* em.now
    const key = currentSessionKey(em, app.appId, user.id, now)
    if (key === undefined) {
      return yield* new FakeWechatError({ reason: `${user.id} has no session in ${app.appId}: its mini program logs in first (miniProgramLogin)` })
    }
    const data = params.data
    if (typeof data === "string" ? !KINDS.includes(data) : typeof data !== "object" || data === null || Array.isArray(data)) {
      return yield* new FakeWechatError({ reason: `data must be one of ${KINDS.join(", ")} or a JSON object` })
    }
    const payload = typeof data === "string" ? preset(em, app, user, data, now) : data
    const marked = params.watermark === false || "watermark" in payload
      ? payload
      : { ...payload, watermark: { timestamp: Math.floor(now / 1000), appid: app.appId } }
    const iv = randomBytes(16)
    const cipher = createCipheriv("aes-128-cbc", Buffer.from(key, "base64"), iv)
    const encryptedData = Buffer.concat([cipher.update(JSON.stringify(marked), "utf8"), cipher.final()]).toString("base64")
    return { encryptedData, iv: iv.toString("base64") }
  })

/** An error with the `hint: [...]` that these endpoints put before the rid. */
const hinted = (em: Emulator, errcode: number, errmsg: string) => em.error(errcode, `${errmsg} hint: [${hex(8)}]`)

const PHONE = "wxa/business/getuserphonenumber"

const getuserphonenumber: Endpoint = (em, request) =>
  Effect.gen(function*() {
    if (request.method !== "POST") return em.error(43002, "require POST method")
    const app = yield* basicTokenApp(em, request, "mini-program")
    if (isResponse(app)) return app
    // an official account's token, or an account not entitled (personal, unverified)
    if (!app.kinds.includes("mini-program") || !app.verified) return em.error(48001, "api unauthorized")
    const body = parseBody(request.body)
    if (body === undefined || (body.openid !== undefined && typeof body.openid !== "string")) return em.error(47001, "data format error")
    const limited = yield* em.countQuota(app.appId, PHONE)
    if (limited !== undefined) return limited
    const now = yield* em.now
    const code = typeof body.code === "string" ? em.codes.get(body.code) : undefined
    // unknown, a wx.login code or a consent code
    if (code === undefined || code.kind !== "phone") return hinted(em, 40029, "invalid code")
    // the official table: the token's app is not the one the code was issued to
    if (code.appId !== app.appId) return hinted(em, 40013, "invalid appid")
    // used or expired: 40029 as well, never 40163
    if (code.used || code.expiresAt <= now) return hinted(em, 40029, "invalid code")
    const user = em.users.get(code.userId)!
    // the errcode of an openid the code was not issued to is undocumented: the fake's choice
    if (body.openid !== undefined && body.openid !== em.openidOf(app.appId, user)) return hinted(em, 40003, "invalid openid")
    code.used = true
    return json({
      errcode: 0,
      errmsg: "ok",
      phone_info: {
        phoneNumber: user.phoneNumber,
        purePhoneNumber: user.purePhoneNumber,
        countryCode: user.countryCode,
        watermark: { timestamp: Math.floor(now / 1000), appid: app.appId }
      }
    }, "text/plain")
  })

const checksession: Endpoint = (em, request) =>
  Effect.gen(function*() {
    if (request.method !== "GET") return em.error(43001, "require GET method")
    const app = yield* basicTokenApp(em, request, "mini-program")
    if (isResponse(app)) return app
    if (!app.kinds.includes("mini-program")) return em.error(48001, "api unauthorized")
    const q = request.query
    if (q.sig_method !== "hmac_sha256") return em.error(87008, "invalid sig_method")
    if (q.openid === undefined || q.openid === "") return em.error(41009, "missing openid")
    const limited = yield* em.countQuota(app.appId, "wxa/checksession")
    if (limited !== undefined) return limited
    const now = yield* em.now
    const user = [...em.users.values()].find((u) => em.openidOf(app.appId, u) === q.openid)
    const key = user === undefined ? undefined : currentSessionKey(em, app.appId, user.id, now)
    // keyed by the key's text, over the empty string, lowercase hex
    const expected = key === undefined ? undefined : createHmac("sha256", Buffer.from(key, "utf8")).update("").digest("hex")
    if (expected === undefined || q.signature !== expected) return em.error(87009, "invalid signature")
    return json({ errcode: 0, errmsg: "ok" }, "text/plain")
  })

export const miniProgramEndpoints: Readonly<Record<string, Endpoint>> = {
  [PHONE]: getuserphonenumber,
  "wxa/checksession": checksession
}
