/**
 * The control service over an emulator: what `yield* FakeWechat` gives, and what the HTTP
 * control API calls, route for route.
 * @internal
 */
import { Duration, Effect } from "effect"
import type { FakeState, Service } from "../FakeWechat.js"
import { authorizeDirect, consent } from "./consent.js"
import { Emulator } from "./emulator.js"
import { encryptOpenData, issuePhoneCode, login } from "./miniprogram.js"
import { FakeWechatError, type Options } from "./model.js"
import { answerQrLogin, qrLoginState } from "./qrLogin.js"

/** `values` without its undefined entries, for `Object.assign`. */
const defined = <A>(values: Readonly<Record<string, A | undefined>> | undefined): Record<string, A> =>
  Object.fromEntries(Object.entries(values ?? {}).filter((e): e is [string, A] => e[1] !== undefined))

const state = (em: Emulator): Effect.Effect<FakeState> =>
  Effect.map(em.now, (now) => ({
    now,
    clockOffsetMillis: em.clockOffset,
    callerIp: em.callerIp,
    apps: [...em.apps.values()].map(({ appSecret: _secret, ...app }) => app),
    users: [...em.users.values()],
    codes: [...em.codes.entries()].map(([code, c]) => ({
      code,
      kind: c.kind,
      appId: c.appId,
      userId: c.userId,
      scope: c.scope,
      snapshot: c.snapshot,
      expiresAt: c.expiresAt,
      used: c.used
    })),
    qrLogins: qrLoginState(em, now),
    tickets: [...em.tickets.values()].map((t) => ({ appId: t.appId, type: t.type, ticket: t.ticket, expiresAt: t.expiresAt })),
    calls: Object.fromEntries(em.calls),
    faults: em.faults.map((f) => ({ endpoint: f.endpoint, fault: f.fault, remaining: f.remaining, probability: f.probability })),
    lifetimes: { ...em.lifetimes },
    quotas: { daily: { ...em.quotas.daily }, minute: { ...em.quotas.minute }, userMinute: { ...em.quotas.userMinute } }
  }))

/** Builds the emulator and its control service; seeds that are not apps WeChat could have are defects. */
export const make = (options: Options = {}): Effect.Effect<Service> =>
  Effect.gen(function*() {
    const em = new Emulator(options)
    for (const app of options.apps ?? []) yield* Effect.orDie(em.addApp(app))
    for (const user of options.users ?? []) em.addUser(user)
    const service: Service = {
      emulator: em,
      addApp: (app) => em.addApp(app),
      addUser: (user) => Effect.sync(() => em.addUser(user)),
      authorize: (params) => authorizeDirect(em, params),
      miniProgramLogin: ({ appId, userId }) =>
        Effect.flatMap(em.app(appId), (app) =>
          app.kinds.includes("mini-program")
            // wx.login may replace the user's session_key (sessionKeyRotation)
            ? Effect.tap(em.issue({ appId, userId, scope: "snsapi_base", kind: "jscode" }), () => Effect.map(em.now, (now) => login(em, appId, userId, now)))
            : Effect.fail(new FakeWechatError({ reason: `${appId} is not a mini-program (${app.kinds.join(" + ")})` }))),
      phoneCode: (params) => issuePhoneCode(em, params),
      encryptedData: (params) => encryptOpenData(em, params),
      openid: ({ appId, userId }) => Effect.zipWith(em.app(appId), em.user(userId), (_, user) => em.openidOf(appId, user)),
      consent: (params) => consent(em, params),
      answerQrLogin: (params) =>
        Effect.map(answerQrLogin(em, params), (login) => ({ status: login.status, location: login.location, deliveries: login.deliveries })),
      revokeConsent: ({ appId, userId }) =>
        Effect.zipWith(em.app(appId), em.user(userId), () => {
          em.revoked.add(`${appId} ${userId}`)
        }),
      callCount: (endpoint) => Effect.sync(() => em.callCount(endpoint)),
      inject: (endpoint, fault) =>
        Effect.suspend(() => {
          const problem = Emulator.checkFault(fault)
          return problem === undefined
            ? Effect.sync(() => em.inject(endpoint, fault))
            : Effect.fail(new FakeWechatError({ reason: problem }))
        }),
      clearFaults: Effect.sync(() => em.clearFaults()),
      setCallerIp: (ip) =>
        Effect.sync(() => {
          em.callerIp = ip
        }),
      setLifetimes: (lifetimes) =>
        Effect.sync(() => {
          Object.assign(em.lifetimes, defined(lifetimes))
        }),
      setQuotas: (quotas) =>
        Effect.sync(() => {
          Object.assign(em.quotas.daily, defined(quotas.daily))
          Object.assign(em.quotas.minute, defined(quotas.minute))
          Object.assign(em.quotas.userMinute, defined(quotas.userMinute))
        }),
      advanceClock: (duration) =>
        Effect.sync(() => {
          em.clockOffset += Duration.toMillis(duration)
        }),
      now: em.now,
      state: Effect.suspend(() => state(em))
    }
    return service
  })
