/**
 * Mini-program login, with the `session_key` kept on the server: `wx.login`'s code →
 * session (`sns/jscode2session`); {@link login}, which keeps the `session_key` sealed in
 * the `TokenStore` under the openid and returns only the user's ids; {@link decryptFor}
 * and {@link decrypt} for `encryptedData`; {@link phoneNumber}
 * (`wxa/business/getuserphonenumber`); {@link checkSessionKey} (`wxa/checksession`).
 * The facts behind each, with sources: `docs/miniprogram.md`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { MiniProgram } from "effect-wechat"
 *
 * // POST /login { code } from wx.login; the session_key never leaves the server
 * const onLogin = (code: string) => Effect.map(MiniProgram.login(code), (user) => user.toJSON())
 * ```
 *
 * @since 0.1.0
 */
import * as Compat from "#compat"
import { HttpClient } from "#compat"
import { Effect, Option, Redacted, Schema } from "effect"
import * as Span from "./internal/span.js"
import * as AccessTokenProvider from "./AccessTokenProvider.js"
import { makeExchangeOnce } from "./internal/exchangeOnce.js"
import * as Crypto from "./internal/miniprogramCrypto.js"
import { ACTIONS, checkData, policyOf, read } from "./internal/miniprogramOpen.js"
import * as Session from "./internal/miniprogramSession.js"
import { OptionalId, SecretString } from "./internal/schemas.js"
import * as Validate from "./internal/validate.js"
import { invalid } from "./internal/validate.js"
import type * as TokenStore from "./TokenStore.js"
import { decoder } from "./WechatDecode.js"
import { type Secret, WechatConfig } from "./WechatConfig.js"
import { Action, type InvalidArgument, type WechatError } from "./WechatError.js"
import { execute } from "./WechatHttp.js"
import { GroupEnterInfo, OpenData, PhoneNumber, RunData, ShareInfo, StepInfo, UserInfo, Watermark } from "./internal/miniprogramData.js"

export {
  /**
   * The group a mini program was opened from (`wx.getGroupEnterInfo`, `wx.getChatToolInfo`).
   * @since 0.2.0
   * @category open data
   */
  GroupEnterInfo,
  /**
   * Any open data as a JSON object: what {@link decrypt} returns without a schema.
   * @since 0.2.0
   * @category open data
   */
  OpenData,
  /**
   * A phone number: {@link phoneNumber}'s answer, and the legacy `getPhoneNumber` open data.
   * @since 0.2.0
   * @category open data
   */
  PhoneNumber,
  /**
   * WeRun steps (`wx.getWeRunData`).
   * @since 0.2.0
   * @category open data
   */
  RunData,
  /**
   * The group a shared card was opened from (`wx.getShareInfo`).
   * @since 0.2.0
   * @category open data
   */
  ShareInfo,
  /**
   * One day of {@link RunData}.
   * @since 0.2.0
   * @category open data
   */
  StepInfo,
  /**
   * The profile from `wx.getUserInfo` / `wx.getUserProfile`.
   * @since 0.2.0
   * @category open data
   */
  UserInfo,
  /**
   * Which app data was made for, and when.
   * @since 0.2.0
   * @category open data
   */
  Watermark
}

/**
 * A mini-program session. `sessionKey` is a secret: never send it to the client (its JSON
 * form leaves it out). `unionid` is present when the mini program is bound to an
 * open-platform account.
 *
 * @since 0.1.0
 * @category models
 */
export class MiniProgramSession extends Compat.WireClass<MiniProgramSession>("effect-wechat/MiniProgramSession")({
  openid: Schema.NonEmptyString,
  sessionKey: SecretString,
  unionid: OptionalId
}, { sessionKey: "session_key" }) {
  /** The session as plain JSON, without its `sessionKey`. @since 0.2.0 */
  toJSON(): { readonly openid: string; readonly unionid: string | null } {
    return { openid: this.openid, unionid: Option.getOrNull(this.unionid) }
  }
}

/**
 * Who logged in: {@link login}'s answer. It holds no secret, so it may go to the client.
 *
 * @since 0.2.0
 * @category models
 */
export class MiniProgramLogin extends Schema.Class<MiniProgramLogin>("effect-wechat/MiniProgramLogin")({
  openid: Schema.NonEmptyString,
  unionid: Compat.option(Schema.String)
}) {
  /** @since 0.2.0 */
  toJSON(): { readonly openid: string; readonly unionid: string | null } {
    return { openid: this.openid, unionid: Option.getOrNull(this.unionid) }
  }
}

/**
 * Open data could not be read. `reason`:
 * - `bad-base64`, `bad-key`, `bad-iv`, `bad-length`: an input is not what WeChat sends
 *   (standard base64; a 16-byte key and IV; whole AES blocks): a caller bug or damage on
 *   the way (a `+` turned into a space);
 * - `undecryptable`: the data does not decrypt to a JSON object under this key and IV.
 *   Most often the `session_key` was replaced by a newer `wx.login`, but tampering or
 *   damage look the same. It is one reason on purpose: telling a wrong padding from
 *   wrong content would be a padding oracle, with which anyone who sees your errors
 *   could forge data (a phone number) that decrypts under a key they do not know. Even
 *   so, do not pass `reason` or `detail` on to clients;
 * - `stale-session-key` ({@link decryptFor}): shown to be a replaced key, either because
 *   the key the latest login replaced opens the data, or because `wxa/checksession` says
 *   the kept key is no longer valid;
 * - `no-session-key` ({@link decryptFor}): no key is kept for this openid;
 * - `watermark-missing`, `watermark-mismatch`, `watermark-expired`: the watermark is
 *   absent where required, names another app, or is older than `maxAge` (or from the
 *   future);
 * - `schema`: the data is not what the schema describes (`detail` names fields only).
 *
 * `detail` never holds the key, the IV or any of the decrypted data.
 *
 * @since 0.2.0
 * @category errors
 */
export class DecryptError extends Schema.TaggedError<DecryptError>("effect-wechat/DecryptError")("DecryptError", {
  reason: Compat.literals(...Crypto.REASONS),
  detail: Schema.String,
  action: Action
}) {
  /** @since 0.2.0 */
  override get message(): string {
    return `Cannot read the mini program's encrypted data (${this.reason}): ${this.detail} [next: ${this.action}]`
  }
}

/**
 * WeChat answered with data watermarked for another app (or for none): it is not used.
 *
 * @since 0.2.0
 * @category errors
 */
export class WatermarkMismatch extends Schema.TaggedError<WatermarkMismatch>("effect-wechat/WatermarkMismatch")("WatermarkMismatch", {
  endpoint: Schema.String,
  /** The app id the watermark names. */
  appid: Schema.String,
  action: Action
}) {
  /** @since 0.2.0 */
  override get message(): string {
    return `WeChat ${this.endpoint} answered with data watermarked for ${this.appid}, not this app: not used [next: ${this.action}]`
  }
}

const decodeSession = decoder(MiniProgramSession)
const redeemOnce = makeExchangeOnce({ kind: "jscode", endpoint: "sns/jscode2session", param: "js_code", argument: "jsCode" }, decodeSession)
const decodePhone = decoder(Compat.wireStruct({ phoneInfo: PhoneNumber }, { phoneInfo: "phone_info" }))
const decodeOk = decoder(Schema.Struct({ errcode: Schema.Literal(0) }))

/**
 * Exchanges a `wx.login` code (single-use, 5 minutes) for a session. Like
 * `Sns.exchangeCode`: concurrent duplicates share one request, and a duplicate within
 * `WechatConfig.duplicateWindow` gets the same session only with the same `binding` (e.g.
 * a request id the mini program sends with its retries); without one, a duplicate gets
 * `CodeAlreadyUsed`. Fails with `InvalidCode`, `CodeAlreadyUsed`, `CodeBlocked` (risk
 * control), `RateLimited`, … Prefer {@link login}, which keeps the `session_key` for you.
 *
 * @since 0.1.0
 * @category endpoints
 */
export const code2Session: (
  jsCode: string,
  options?: { readonly binding?: Secret | undefined }
) => Effect.Effect<MiniProgramSession, WechatError, WechatConfig | HttpClient.HttpClient> = Span.plain(
  "MiniProgram.code2Session",
  (jsCode, options) => redeemOnce(jsCode, options?.binding)
)

/**
 * Options of {@link login}.
 *
 * @since 0.2.0
 * @category models
 */
export interface LoginOptions {
  /** As for {@link code2Session}: a duplicate with the same binding gets the same login. */
  readonly binding?: Secret | undefined
  /**
   * How long the `session_key` is kept (default 3 days; 1 minute to 30 days). WeChat does
   * not publish a key's life, so this only bounds how long it stays in the store.
   */
  readonly keepFor?: Compat.DurationInput | undefined
}

/**
 * Logs a mini-program user in: exchanges the `wx.login` code (as {@link code2Session})
 * and keeps the `session_key` sealed in the `TokenStore` under the openid, replacing the
 * one an earlier login kept (WeChat holds one valid key per user). Returns only the ids;
 * {@link decryptFor} and {@link checkSessionKey} use the kept key. A store failure fails
 * the login with `TokenStoreError` (without the key, `decryptFor` could not work).
 *
 * @since 0.2.0
 * @category login
 */
export const login = Span.fn("MiniProgram.login")(function*(jsCode: string, options?: LoginOptions) {
  if (options !== undefined && (typeof options !== "object" || options === null)) return yield* invalid("options", "must be an object")
  const keepFor = yield* Validate.duration("keepFor", options?.keepFor ?? "3 days", { min: "1 minute", max: "30 days", action: "stop" })
  const session = yield* code2Session(jsCode, { binding: options?.binding })
  yield* Session.keep(session.openid, session.sessionKey, keepFor)
  return new MiniProgramLogin({ openid: session.openid, unionid: session.unionid })
})

/**
 * The phone number a user shared through `<button open-type="getPhoneNumber">`: its
 * `code` (single-use, 5 minutes, not a `wx.login` code) → `PhoneNumber`, with the app's
 * basic token (through the `AccessTokenProvider`, refreshed once if WeChat says it is
 * invalid). With `openid`, WeChat also checks the code was issued to that user. The
 * watermark must name this app, or the answer is refused with `WatermarkMismatch`. A used
 * or expired code is `InvalidCode` (40029, never 40163): ask the user to tap again.
 *
 * @since 0.2.0
 * @category endpoints
 */
export const phoneNumber = Span.fn("MiniProgram.phoneNumber")(function*(params: {
  readonly code: string
  readonly openid?: string | undefined
}) {
  if (typeof params !== "object" || params === null) return yield* invalid("params", "must be an object with code")
  const code = yield* Validate.code("code", params.code)
  const openid = params.openid === undefined ? undefined : yield* Validate.openid(params.openid)
  const config = yield* WechatConfig
  const endpoint = "wxa/business/getuserphonenumber"
  const answer = yield* AccessTokenProvider.use((accessToken) =>
    execute({
      endpoint,
      method: "POST",
      query: { access_token: accessToken },
      // sent only when given: one developer saw a format error with it
      json: openid === undefined ? { code: Redacted.make(code) } : { code: Redacted.make(code), openid }
    }, decodePhone)
  )
  const phone = answer.phoneInfo
  if (phone.watermark.appid !== config.appId) {
    return yield* new WatermarkMismatch({ endpoint, appid: phone.watermark.appid, action: "stop" })
  }
  return phone
})

const checkWith = (openid: string, sessionKey: Redacted.Redacted<string>) =>
  AccessTokenProvider.use((accessToken) =>
    execute({
      endpoint: "wxa/checksession",
      method: "GET",
      query: {
        access_token: accessToken,
        signature: Redacted.make(Crypto.sessionSignature(Redacted.value(sessionKey))),
        openid,
        sig_method: "hmac_sha256"
      }
    }, decodeOk)
  ).pipe(Effect.as(true), Effect.catchTag("SessionKeyInvalid", () => Effect.succeed(false)))

/**
 * Whether a `session_key` is still the user's valid one (`wxa/checksession`): `false` when
 * WeChat answers 87009 (expired, or replaced by a newer `wx.login`); other errcodes fail
 * typed. Without `sessionKey`, the key {@link login} kept is checked (`false` when none is
 * kept). The signature is HMAC-SHA256 of the empty string keyed by the key's text.
 *
 * @since 0.2.0
 * @category endpoints
 */
export const checkSessionKey = Span.fn("MiniProgram.checkSessionKey")(function*(params: {
  readonly openid: string
  readonly sessionKey?: Secret | undefined
}) {
  if (typeof params !== "object" || params === null) return yield* invalid("params", "must be an object with openid")
  const openid = yield* Validate.openid(params.openid)
  if (params.sessionKey !== undefined) return yield* checkWith(openid, yield* Validate.token("sessionKey", params.sessionKey))
  const kept = yield* Session.read(openid)
  return Option.isNone(kept) ? false : yield* checkWith(openid, kept.value.current)
})

/**
 * `encryptedData` and `iv` as the mini program received them (send them to the server in
 * a JSON body: URL-encoding turns `+` into a space).
 *
 * @since 0.2.0
 * @category models
 */
export interface EncryptedData {
  readonly encryptedData: string
  readonly iv: string
}

/**
 * How the watermark is checked. A watermark that is present must name this app, always.
 *
 * @since 0.2.0
 * @category models
 */
export interface DecryptOptions {
  /**
   * `if-present` (default): data without a watermark is accepted, unless the schema asks
   * for one (`UserInfo` and `PhoneNumber` do); `required`: refused (`watermark-missing`).
   * WeChat documents the watermark on sensitive data; it is unconfirmed for run data and
   * share info.
   */
  readonly watermark?: "required" | "if-present" | undefined
  /**
   * Refuse data whose `watermark.timestamp` is older than this, or more than 5 minutes
   * ahead of the clock (`watermark-expired`), or that has no watermark. Default: no limit
   * (WeChat publishes none).
   */
  readonly maxAge?: Compat.DurationInput | undefined
}

const fail = (failure: Crypto.Failure): Effect.Effect<never, DecryptError> =>
  Effect.andThen(
    Effect.annotateCurrentSpan("wechat.decrypt.reason", failure.reason),
    Effect.fail(new DecryptError({ ...failure, action: ACTIONS[failure.reason] }))
  )

/**
 * {@link decrypt}'s signature: without a schema the data is a plain JSON object.
 *
 * @since 0.2.0
 * @category models
 */
export interface Decrypt {
  <A = OpenData, I = unknown>(
    input: EncryptedData & { readonly sessionKey: Secret },
    schema?: Compat.Codec<A, I>,
    options?: DecryptOptions
  ): Effect.Effect<A, DecryptError | InvalidArgument, WechatConfig>
}

/**
 * Decrypts open data (`encryptedData` and `iv` from a mini-program API) with a
 * `session_key`: AES-128-CBC, PKCS#7, standard base64. Then checks the watermark (see
 * {@link DecryptOptions}) and decodes the JSON with `schema` (e.g. `MiniProgram.UserInfo`,
 * `PhoneNumber`, `RunData`, `ShareInfo`). Every failure is one `DecryptError` with a
 * `reason`. Prefer {@link decryptFor}, with the key {@link login} kept.
 *
 * @since 0.2.0
 * @category open data
 */
export const decrypt: Decrypt = Span.fn("MiniProgram.decrypt")(function*(
  input: EncryptedData & { readonly sessionKey: Secret },
  schema?: Compat.AnyCodec,
  options?: DecryptOptions
) {
  const data = yield* checkData(input)
  const sessionKey = yield* Validate.token("sessionKey", input.sessionKey)
  const policy = yield* policyOf(options)
  const config = yield* WechatConfig
  return yield* Compat.Result.match(read(config.appId, sessionKey, data, schema ?? OpenData, policy), { onFailure: fail, onSuccess: Effect.succeed })
}) as Decrypt

/**
 * Options of {@link decryptFor}.
 *
 * @since 0.2.0
 * @category models
 */
export interface DecryptForOptions extends DecryptOptions {
  /**
   * When the data does not decrypt, ask WeChat (`wxa/checksession`, one basic-token call)
   * whether the kept key is still valid: if not, the reason is `stale-session-key`.
   * Needs an `AccessTokenProvider`. Default `false`.
   */
  readonly checkSession?: boolean | undefined
}

/**
 * {@link decryptFor}'s signature: `checkSession: true` needs an `AccessTokenProvider`.
 *
 * @since 0.2.0
 * @category models
 */
export interface DecryptFor {
  <A = OpenData, I = unknown>(
    openid: string,
    data: EncryptedData,
    schema?: Compat.Codec<A, I>,
    options?: DecryptOptions & { readonly checkSession?: false | undefined }
  ): Effect.Effect<A, DecryptError | InvalidArgument | TokenStore.TokenStoreError, WechatConfig>
  <A = OpenData, I = unknown>(
    openid: string,
    data: EncryptedData,
    schema: Compat.Codec<A, I> | undefined,
    options: DecryptForOptions
  ): Effect.Effect<
    A,
    DecryptError | InvalidArgument | TokenStore.TokenStoreError,
    WechatConfig | AccessTokenProvider.AccessTokenProvider | HttpClient.HttpClient
  >
}

/** `wxa/checksession` on the kept key if a provider and a client are at hand: none when it cannot be asked. */
const askWechat = (openid: string, sessionKey: Redacted.Redacted<string>) =>
  Effect.gen(function*() {
    const provider = yield* Effect.serviceOption(AccessTokenProvider.AccessTokenProvider)
    const client = yield* Effect.serviceOption(HttpClient.HttpClient)
    if (Option.isNone(provider) || Option.isNone(client)) return Option.none<boolean>()
    return yield* checkWith(openid, sessionKey).pipe(
      Effect.provideService(AccessTokenProvider.AccessTokenProvider, provider.value),
      Effect.provideService(HttpClient.HttpClient, client.value),
      Effect.option
    )
  })

/**
 * Decrypts a user's open data with the `session_key` {@link login} kept for `openid`
 * (otherwise as {@link decrypt}). When it does not decrypt, the error says what can be
 * known: `stale-session-key` when the key the latest login replaced opens the data (it was
 * made before that login: ask the mini program for it again), or when `checkSession: true`
 * and WeChat says the kept key is no longer valid; otherwise `undecryptable`, which a
 * stale key, tampering and damage all produce. `no-session-key` when nothing is
 * kept (never logged in here, or `keepFor` passed).
 *
 * @since 0.2.0
 * @category login
 */
export const decryptFor: DecryptFor = Span.fn("MiniProgram.decryptFor")(function*(
  openid: string,
  data: EncryptedData,
  schema?: Compat.AnyCodec,
  options?: DecryptForOptions
) {
  const id = yield* Validate.openid(openid)
  const input = yield* checkData(data)
  const policy = yield* policyOf(options)
  const checkSession = yield* Validate.optionalBoolean("checkSession", options?.checkSession)
  const config = yield* WechatConfig
  const kept = yield* Session.read(id)
  if (Option.isNone(kept)) {
    return yield* fail({ reason: "no-session-key", detail: "no session_key is kept for this openid: log the user in with MiniProgram.login first" })
  }
  const first = read(config.appId, kept.value.current, input, schema ?? OpenData, policy)
  if (Compat.Result.isSuccess(first)) return Compat.Result.success(first)
  const failed = Compat.Result.failure(first)
  // only this is what a wrong key produces
  if (failed.reason !== "undecryptable") return yield* fail(failed)
  const replaced = kept.value.previous
  if (Option.isSome(replaced) && Compat.Result.isSuccess(Crypto.open(Redacted.value(replaced.value), input.iv, input.encryptedData))) {
    return yield* fail({
      reason: "stale-session-key",
      detail: "the data was encrypted with the session_key this user had before their latest login: ask the mini program for it again"
    })
  }
  if (checkSession === true) {
    const valid = yield* askWechat(id, kept.value.current)
    if (Option.isSome(valid) && !valid.value) {
      return yield* fail({
        reason: "stale-session-key",
        detail: "wxa/checksession says the kept session_key is no longer valid (a newer wx.login replaced it, or it expired): log the user in again"
      })
    }
    return yield* fail({
      ...failed,
      detail: failed.detail + (Option.isSome(valid)
        ? "; wxa/checksession says the kept session_key is still valid, so the data was made with another key or damaged"
        : "; wxa/checksession could not be asked")
    })
  }
  return yield* fail({ ...failed, detail: `${failed.detail}; a decryption failure alone cannot prove a stale key (checkSession: true asks WeChat)` })
}) as DecryptFor
