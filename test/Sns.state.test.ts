/**
 * Signed, session-bound `state`: Sns.makeState / Sns.verifyState.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { TestClock } from "#test-compat"
import { Sns, WechatConfig } from "../src/index.js"

const KEY_A = "state-key-A-0123456789abcdef0123456789"
const KEY_B = "state-key-B-fedcba9876543210fedcba9876"
const app = (stateKeys?: ReadonlyArray<string>) =>
  WechatConfig.layer({ appId: "wx520c15f417810387", appSecret: "app-secret-for-state-tests", stateKeys })

const SESSION = "login-session-7f3a9c"
const reasonOf = (state: string, options?: Parameters<typeof Sns.verifyState>[1]) =>
  Effect.map(Effect.flip(Sns.verifyState(state, options)), (e) => e.reason)

describe("Sns.makeState", () => {
  it.effect("at most 128 characters of [A-Za-z0-9], different every time", () =>
    Effect.gen(function*() {
      const states = yield* Effect.all(Array.from({ length: 50 }, () => Sns.makeState({ session: SESSION })))
      for (const s of states) expect(s).toMatch(/^[A-Za-z0-9]{1,128}$/)
      expect(new Set(states).size).toBe(50)
      const longest = yield* Sns.makeState({ session: SESSION, returnTo: "/" + "x".repeat(51) })
      expect(longest.length).toBeLessThanOrEqual(128)
      // the consent URL accepts it as is
      const url = yield* Sns.authorizeUrl({ redirectUri: "https://example.com/cb", scope: "snsapi_base", state: longest })
      expect(new URL(url).searchParams.get("state")).toBe(longest)
    }).pipe(Effect.provide(app())))

  it.effect("needs a binding: a session, or cookieless: true said out loud", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(Sns.makeState({}))
      expect([missing._tag, missing.argument]).toEqual(["InvalidArgument", "session"])
      expect((yield* Effect.flip(Sns.makeState({ session: "" }))).argument).toBe("session")
      expect(yield* Sns.makeState({ cookieless: true })).toMatch(/^[A-Za-z0-9]+$/)
    }).pipe(Effect.provide(app())))

  it.effect("returnTo is only ever a short relative path (no open redirect)", () =>
    Effect.gen(function*() {
      for (const bad of ["https://evil.example/", "//evil.example/x", "/\\evil.example", "evil", "/a\nb", "/" + "x".repeat(60), "javascript:alert(1)", "/.//evil.example", "/..//evil.example", "/x/..//evil.example"]) {
        const error = yield* Effect.flip(Sns.makeState({ session: SESSION, returnTo: bad }))
        expect([bad, error.argument]).toEqual([bad, "returnTo"])
      }
      const state = yield* Sns.makeState({ session: SESSION, returnTo: "/orders?id=42#top" })
      const verified = yield* Sns.verifyState(state, { session: SESSION })
      expect(verified.returnTo).toEqual(Option.some("/orders?id=42#top"))
    }).pipe(Effect.provide(app())))

  it.effect("ttl is bounded", () =>
    Effect.gen(function*() {
      expect((yield* Effect.flip(Sns.makeState({ session: SESSION, ttl: 0 }))).argument).toBe("ttl")
      expect((yield* Effect.flip(Sns.makeState({ session: SESSION, ttl: "2 days" }))).argument).toBe("ttl")
    }).pipe(Effect.provide(app())))
})

describe("Sns.verifyState", () => {
  it.effect("round-trips: nonce, expiry, return path; the binding is the session", () =>
    Effect.gen(function*() {
      const state = yield* Sns.makeState({ session: SESSION, returnTo: "/me" })
      const verified = yield* Sns.verifyState(state, { session: SESSION })
      expect(verified.sessionBound).toBe(true)
      expect(verified.nonce).toMatch(/^[0-9a-f]{24}$/)
      expect(verified.expiresAt.getTime()).toBe(10 * 60 * 1000)
      expect(Redacted.value(verified.binding)).toBe(SESSION)
      expect(String(verified.binding)).toBe("<redacted>")
    }).pipe(Effect.provide(app())))

  it.effect("another session, or none, is other-session (login CSRF, replay from another browser)", () =>
    Effect.gen(function*() {
      const state = yield* Sns.makeState({ session: SESSION })
      expect(yield* reasonOf(state, { session: "attacker-session" })).toBe("other-session")
      expect(yield* reasonOf(state)).toBe("other-session")
      expect(yield* reasonOf(state, { cookieless: true })).toBe("other-session")
    }).pipe(Effect.provide(app())))

  it.effect("cookieless: only where said on both sides; the binding is the state's nonce", () =>
    Effect.gen(function*() {
      const state = yield* Sns.makeState({ cookieless: true })
      expect(yield* reasonOf(state, { session: SESSION })).toBe("other-session")
      const verified = yield* Sns.verifyState(state, { cookieless: true })
      expect(verified.sessionBound).toBe(false)
      expect(Redacted.value(verified.binding)).toBe(verified.nonce)
    }).pipe(Effect.provide(app())))

  it.effect("expires after its ttl (default 10 minutes)", () =>
    Effect.gen(function*() {
      const state = yield* Sns.makeState({ session: SESSION })
      yield* TestClock.adjust("9 minutes")
      yield* Sns.verifyState(state, { session: SESSION })
      yield* TestClock.adjust("1 minute")
      expect(yield* reasonOf(state, { session: SESSION })).toBe("expired")
      const short = yield* Sns.makeState({ session: SESSION, ttl: "30 seconds" })
      yield* TestClock.adjust("30 seconds")
      expect(yield* reasonOf(short, { session: SESSION })).toBe("expired")
    }).pipe(Effect.provide(app())))

  it.effect("garbage is malformed; a changed character is refused, whatever it is", () =>
    Effect.gen(function*() {
      for (const bad of ["", "abc", "x".repeat(129), "state with spaces", "Zzzzzzzzzzzzzzzzzzzz", "ÄÖÜ"]) {
        expect(yield* reasonOf(bad, { session: SESSION })).toBe("malformed")
      }
      const state = yield* Sns.makeState({ session: SESSION, returnTo: "/a" })
      const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
      for (let i = 0; i < state.length; i++) {
        for (const c of [alphabet[(alphabet.indexOf(state[i]!) + 1) % 62]!, alphabet[(alphabet.indexOf(state[i]!) + 31) % 62]!]) {
          const changed = state.slice(0, i) + c + state.slice(i + 1)
          expect(["malformed", "tampered"]).toContain(yield* reasonOf(changed, { session: SESSION }))
        }
      }
      // dropping or adding a character too
      expect(["malformed", "tampered"]).toContain(yield* reasonOf(state.slice(0, -1), { session: SESSION }))
      expect(["malformed", "tampered"]).toContain(yield* reasonOf(state + "A", { session: SESSION }))
    }).pipe(Effect.provide(app())))

  it.effect("a state signed with another key is tampered; keys rotate: the first signs, all verify", () =>
    Effect.gen(function*() {
      const old = yield* Sns.makeState({ session: SESSION }).pipe(Effect.provide(app([KEY_A])))
      expect(yield* reasonOf(old, { session: SESSION }).pipe(Effect.provide(app([KEY_B])))).toBe("tampered")
      // rotated: B signs, A still verifies the logins under way
      yield* Sns.verifyState(old, { session: SESSION }).pipe(Effect.provide(app([KEY_B, KEY_A])))
      const fresh = yield* Sns.makeState({ session: SESSION }).pipe(Effect.provide(app([KEY_B, KEY_A])))
      yield* Sns.verifyState(fresh, { session: SESSION }).pipe(Effect.provide(app([KEY_B])))
      expect(yield* reasonOf(fresh, { session: SESSION }).pipe(Effect.provide(app([KEY_A])))).toBe("tampered")
      // the default key is derived from the app secret: another app cannot forge states for this one
      const otherApp = WechatConfig.layer({ appId: "wx520c15f417810387", appSecret: "another-secret-entirely" })
      const foreign = yield* Sns.makeState({ session: SESSION }).pipe(Effect.provide(otherApp))
      expect(yield* reasonOf(foreign, { session: SESSION }).pipe(Effect.provide(app()))).toBe("tampered")
    }))

  it.effect("needs no shared storage: another process (another config instance) verifies it", () =>
    Effect.gen(function*() {
      const state = yield* Sns.makeState({ session: SESSION }).pipe(Effect.provide(app([KEY_A])))
      const elsewhere = yield* Sns.verifyState(state, { session: SESSION }).pipe(Effect.provide(Layer.fresh(app([KEY_A]))))
      expect(elsewhere.sessionBound).toBe(true)
    }))

  it.effect("state keys are checked when the config is built", () =>
    Effect.gen(function*() {
      const short = yield* Effect.flip(Effect.provide(WechatConfig.WechatConfig, app(["too-short"])))
      expect([short._tag, short.argument]).toEqual(["InvalidArgument", "stateKeys"])
      expect(short.message).not.toContain("too-short")
      const none = yield* Effect.flip(Effect.provide(WechatConfig.WechatConfig, app([])))
      expect(none.argument).toBe("stateKeys")
    }))
})
