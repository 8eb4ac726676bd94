/**
 * MiniProgram.decrypt: WeChat's published sample vector, vectors made here with
 * node:crypto, every failure reason, the watermark rules, and errors that hold no key, IV
 * or plaintext.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted, Schema } from "effect"
import { TestClock } from "#test-compat"
import { createCipheriv, randomBytes } from "node:crypto"
import { inspect } from "node:util"
import { MiniProgram, WechatConfig } from "../src/index.js"

/** WeChat's AES sample (aes-sample.eae1f364.zip, docs/miniprogram.md §7.1). */
const SAMPLE = {
  appId: "wx4f4bc4dec97d474b",
  sessionKey: "tiihtNczf5v6AKRyjwEUhQ==",
  iv: "r7BXXKkLb8qrSNn05n0qiA==",
  encryptedData:
    "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==",
  plaintext:
    `{"openId":"oGZUI0egBJY1zhBYw2KhdUfwVJJE","nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/aSKcBBPpibyKNicHNTMM0qJVh8Kjgiak2AHWr8MHM4WgMEm7GFhsf8OYrySdbvAMvTsw3mo8ibKicsnfN5pRjl1p8HQ/0","unionId":"ocMvos6NjeKLIBqg5Mr9QjxrP1FA","watermark":{"timestamp":1477314187,"appid":"wx4f4bc4dec97d474b"}}`
}
const sample = { sessionKey: SAMPLE.sessionKey, iv: SAMPLE.iv, encryptedData: SAMPLE.encryptedData }

const APP = "wx520c15f417810387"
const configFor = (appId: string) => WechatConfig.layer({ appId, appSecret: "decrypt-test-secret" })
const asSample = Effect.provide(configFor(SAMPLE.appId))
const asApp = Effect.provide(configFor(APP))

/** Encrypts as WeChat does, independently of the library: AES-128-CBC, PKCS#7, base64. */
const encrypt = (plaintext: string | Buffer, key = randomBytes(16), iv = randomBytes(16)) => {
  const cipher = createCipheriv("aes-128-cbc", key, iv)
  const encryptedData = Buffer.concat([cipher.update(plaintext), cipher.final()]).toString("base64")
  return { sessionKey: key.toString("base64"), iv: iv.toString("base64"), encryptedData }
}
/** The same without padding: for hand-made (wrong) paddings. */
const encryptRaw = (padded: Buffer, key = randomBytes(16), iv = randomBytes(16)) => {
  const cipher = createCipheriv("aes-128-cbc", key, iv).setAutoPadding(false)
  return { sessionKey: key.toString("base64"), iv: iv.toString("base64"), encryptedData: Buffer.concat([cipher.update(padded), cipher.final()]).toString("base64") }
}

const reasonOf = <A, R>(effect: Effect.Effect<A, MiniProgram.DecryptError | { readonly _tag: string }, R>) =>
  Effect.map(Effect.flip(effect), (e) => (e._tag === "DecryptError" ? (e as MiniProgram.DecryptError).reason : e._tag))

/** No rendering of an error shows any of `secrets`. */
const expectClean = (error: unknown, secrets: ReadonlyArray<string>) => {
  const texts = [String(error), inspect(error, { depth: 10 }), JSON.stringify(error), (error as Error).message]
  for (const text of texts) for (const s of secrets) expect(text).not.toContain(s)
}

describe("MiniProgram.decrypt: known answers", () => {
  it.effect("WeChat's sample vector decrypts to its exact plaintext and decodes as UserInfo", () =>
    Effect.gen(function*() {
      const raw = yield* MiniProgram.decrypt(sample)
      expect(JSON.stringify(raw)).toBe(SAMPLE.plaintext)
      const user = yield* MiniProgram.decrypt({ ...sample, sessionKey: Redacted.make(SAMPLE.sessionKey) }, MiniProgram.UserInfo)
      expect(user.openId).toEqual(Option.some("oGZUI0egBJY1zhBYw2KhdUfwVJJE"))
      expect(user.unionId).toEqual(Option.some("ocMvos6NjeKLIBqg5Mr9QjxrP1FA"))
      expect([user.nickName, user.gender, user.watermark.appid, user.watermark.timestamp]).toEqual(["Band", 1, SAMPLE.appId, 1477314187])
      expect(JSON.parse(JSON.stringify(user))).toEqual(JSON.parse(SAMPLE.plaintext))
    }).pipe(asSample))

  it.effect("vectors made with node:crypto: every padding length, multi-byte text, a phone number with a numeric countryCode", () =>
    Effect.gen(function*() {
      // 1 to 16 padding bytes, including a whole block of 16 × 0x10
      for (let n = 0; n < 16; n++) {
        const json = JSON.stringify({ k: "x".repeat(n), watermark: { timestamp: 1, appid: APP } })
        expect(yield* MiniProgram.decrypt(encrypt(json))).toEqual(JSON.parse(json))
      }
      const nickname = "小明🐱\u0007"
      expect((yield* MiniProgram.decrypt(encrypt(JSON.stringify({ nickName: nickname, watermark: { timestamp: 1, appid: APP } })), MiniProgram.UserInfo)).nickName).toBe(nickname)
      const phone = yield* MiniProgram.decrypt(
        encrypt(`{"phoneNumber":"13580006666","purePhoneNumber":"13580006666","countryCode":86,"watermark":{"timestamp":1477314187,"appid":"${APP}"}}`),
        MiniProgram.PhoneNumber
      )
      expect(phone.toJSON()).toEqual({ phoneNumber: "13580006666", purePhoneNumber: "13580006666", countryCode: "86", watermark: { appid: APP, timestamp: 1477314187 } })
    }).pipe(asApp))

  it.effect("ready schemas: run data and share info without a watermark are accepted; group-enter info reads its snake_case fields", () =>
    Effect.gen(function*() {
      const run = yield* MiniProgram.decrypt(encrypt(`{"stepInfoList":[{"timestamp":1445866601,"step":100},{"timestamp":1445876601,"step":120}]}`), MiniProgram.RunData)
      expect(run.toJSON()).toEqual({ stepInfoList: [{ timestamp: 1445866601, step: 100 }, { timestamp: 1445876601, step: 120 }], watermark: null })
      const share = yield* MiniProgram.decrypt(encrypt(`{"openGId":"GROUP1","watermark":{"timestamp":5,"appid":"${APP}"}}`), MiniProgram.ShareInfo)
      expect(share.toJSON()).toEqual({ openGId: "GROUP1", watermark: { appid: APP, timestamp: 5 } })
      const group = yield* MiniProgram.decrypt(encrypt(`{"opengid":"G2","group_openid":"go","chat_type":3}`), MiniProgram.GroupEnterInfo)
      expect(group.toJSON()).toEqual({ opengid: "G2", openSingleRoomid: null, groupOpenid: "go", chatType: 3, watermark: null })
      // asked for, a watermark is required of any schema
      expect(yield* reasonOf(MiniProgram.decrypt(encrypt(`{"opengid":"G2"}`), MiniProgram.GroupEnterInfo, { watermark: "required" }))).toBe("watermark-missing")
      // user info and phone numbers must carry one
      expect(yield* reasonOf(MiniProgram.decrypt(encrypt(`{"nickName":"n"}`), MiniProgram.UserInfo))).toBe("watermark-missing")
    }).pipe(asApp))
})

describe("MiniProgram.decrypt: every failure is a DecryptError with a reason", () => {
  it.effect("inputs that are not what WeChat sends", () =>
    Effect.gen(function*() {
      // a + turned into a space by URL-encoding on the way
      const spaced = yield* Effect.flip(MiniProgram.decrypt({ ...sample, encryptedData: SAMPLE.encryptedData.replaceAll("+", " ") }))
      expect([spaced._tag, spaced._tag === "DecryptError" && spaced.reason, spaced.action]).toEqual(["DecryptError", "bad-base64", "stop"])
      expect(spaced.message).toContain("whitespace")
      expect(yield* reasonOf(MiniProgram.decrypt({ ...sample, iv: SAMPLE.iv.replace("r", "-") }))).toBe("bad-base64")
      expect(yield* reasonOf(MiniProgram.decrypt({ ...sample, sessionKey: "tiihtNczf5v6AKRy" }))).toBe("bad-key") // 12 bytes
      expect(yield* reasonOf(MiniProgram.decrypt({ ...sample, iv: "r7BXXKkLb8o=" }))).toBe("bad-iv") // 8 bytes
      // a peer's negative case: "aaaa" in front of the ciphertext
      expect(yield* reasonOf(MiniProgram.decrypt({ ...sample, encryptedData: "aaaa" + SAMPLE.encryptedData }))).toBe("bad-length")
      expect(yield* reasonOf(MiniProgram.decrypt({ ...sample, encryptedData: "" }))).toBe("bad-base64")
      // not strings at all: the boundary check names the field
      const notText = yield* Effect.flip(MiniProgram.decrypt({ ...sample, encryptedData: 42 as unknown as string }))
      expect([notText._tag, notText._tag === "InvalidArgument" && notText.argument]).toEqual(["InvalidArgument", "encryptedData"])
    }).pipe(asSample))

  it.effect("a wrong key or IV, a lenient padding, text that is not JSON: one undecryptable, never a padding oracle", () =>
    Effect.gen(function*() {
      const wrongKey = yield* Effect.flip(MiniProgram.decrypt({ ...sample, sessionKey: "o0q0otL8aEzpcZL/FT9WsQ==" }))
      expect([wrongKey._tag === "DecryptError" && wrongKey.reason, wrongKey.action]).toEqual(["undecryptable", "reauthorize"])
      // a wrong IV garbles only the first block: the padding holds, the JSON does not
      const wrongIv = yield* Effect.flip(MiniProgram.decrypt({ ...sample, iv: "AAAAAAAAAAAAAAAAAAAAAA==" }))
      // paddings a lenient unpadder would accept: a 0 count, unequal bytes, a count over 16
      const body = Buffer.from(`{"a":1}`)
      const badPaddings: Array<unknown> = []
      for (const pad of [[0], [2, 3], [17]]) {
        const block = Buffer.alloc(16, 32)
        body.copy(block)
        Buffer.from(pad).copy(block, 16 - pad.length)
        badPaddings.push(yield* Effect.flip(MiniProgram.decrypt(encryptRaw(block))))
      }
      const badContents = [
        yield* Effect.flip(MiniProgram.decrypt(encrypt("not json"))),
        yield* Effect.flip(MiniProgram.decrypt(encrypt(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])))),
        yield* Effect.flip(MiniProgram.decrypt(encrypt("[1,2]")))
      ]
      // a wrong padding and wrong content read the same, to the last character: whoever
      // sees the errors learns nothing that would let them forge data byte by byte
      const seen = new Set([wrongKey, wrongIv, ...badPaddings, ...badContents].map((e) => JSON.stringify([(e as { reason?: unknown }).reason, (e as Error).message])))
      expect([...seen]).toEqual([JSON.stringify(["undecryptable", wrongKey.message])])
    }).pipe(asSample))

  it.effect("a watermark of another app, none where one is required, one older than maxAge", () =>
    Effect.gen(function*() {
      // the sample is WeChat's, made for wx4f4bc4dec97d474b: not for this app
      const other = yield* Effect.flip(MiniProgram.decrypt(sample, MiniProgram.UserInfo))
      expect([other._tag === "DecryptError" && other.reason, other.message.includes("wx4f4bc4dec97d474b")]).toEqual(["watermark-mismatch", true])
      expect(yield* reasonOf(MiniProgram.decrypt(encrypt(`{"watermark":{"timestamp":1,"appid":"${SAMPLE.appId}"}}`)))).toBe("watermark-mismatch")
      expect(yield* reasonOf(MiniProgram.decrypt(encrypt(`{"a":1}`), undefined, { watermark: "required" }))).toBe("watermark-missing")
      // age: off by default, as WeChat publishes no limit
      const issued = 1_700_000_000
      const data = encrypt(`{"a":1,"watermark":{"timestamp":${issued},"appid":"${APP}"}}`)
      yield* TestClock.setTime(issued * 1000 + 10 * 60_000)
      expect(yield* MiniProgram.decrypt(data)).toMatchObject({ a: 1 })
      expect(yield* reasonOf(MiniProgram.decrypt(data, undefined, { maxAge: "5 minutes" }))).toBe("watermark-expired")
      yield* TestClock.setTime(issued * 1000 + 4 * 60_000)
      expect(yield* MiniProgram.decrypt(data, undefined, { maxAge: "5 minutes" })).toMatchObject({ a: 1 })
      // an age limit cannot be checked without a watermark
      expect(yield* reasonOf(MiniProgram.decrypt(encrypt(`{"a":1}`), undefined, { maxAge: "5 minutes" }))).toBe("watermark-missing")
      expect(yield* reasonOf(MiniProgram.decrypt(data, undefined, { maxAge: "soon" as "5 minutes" }))).toBe("InvalidArgument")
      // from the future: a clock a few minutes off is tolerated, an hour ahead is not WeChat's
      yield* TestClock.setTime(issued * 1000 - 4 * 60_000)
      expect(yield* MiniProgram.decrypt(data, undefined, { maxAge: "5 minutes" })).toMatchObject({ a: 1 })
      yield* TestClock.setTime(issued * 1000 - 60 * 60_000)
      expect(yield* reasonOf(MiniProgram.decrypt(data, undefined, { maxAge: "5 minutes" }))).toBe("watermark-expired")
      expect(yield* MiniProgram.decrypt(data)).toMatchObject({ a: 1 }) // no age limit: no check
    }).pipe(asApp))

  it.effect("data the schema does not describe: the fields are named, their values are not shown", () =>
    Effect.gen(function*() {
      const secretNumber = "13912345678"
      const data = encrypt(`{"phoneNumber":"${secretNumber}","countryCode":{"x":"${secretNumber}"},"watermark":{"timestamp":1,"appid":"${APP}"}}`)
      const error = yield* Effect.flip(MiniProgram.decrypt(data, MiniProgram.PhoneNumber))
      expect(error._tag === "DecryptError" && error.reason).toBe("schema")
      expect(error.message).toContain("purePhoneNumber")
      expectClean(error, [secretNumber, data.sessionKey, data.iv])
      const custom = yield* Effect.flip(MiniProgram.decrypt(data, Schema.Struct({ phoneNumber: Schema.Number })))
      expect(custom._tag === "DecryptError" && custom.reason).toBe("schema")
      expectClean(custom, [secretNumber])
    }).pipe(asApp))

  it.effect("no error holds the key, the IV or the plaintext", () =>
    Effect.gen(function*() {
      const errors = [
        yield* Effect.flip(MiniProgram.decrypt({ ...sample, sessionKey: "o0q0otL8aEzpcZL/FT9WsQ==" })),
        yield* Effect.flip(MiniProgram.decrypt({ ...sample, iv: "AAAAAAAAAAAAAAAAAAAAAA==" })),
        yield* Effect.flip(MiniProgram.decrypt(sample, MiniProgram.UserInfo).pipe(asApp)),
        yield* Effect.flip(MiniProgram.decrypt(sample, Schema.Struct({ openId: Schema.Number })))
      ]
      for (const error of errors) expectClean(error, [SAMPLE.sessionKey, "o0q0otL8aEzpcZL", SAMPLE.iv, "oGZUI0egBJY1zhBYw2KhdUfwVJJE", "ocMvos6NjeKLIBqg5Mr9QjxrP1FA", "Band"])
    }).pipe(asSample))
})

describe("MiniProgram.decrypt: a config is all it needs", () => {
  it.effect("runs without an HttpClient or a store", () =>
    MiniProgram.decrypt(sample).pipe(
      Effect.map((data) => expect(data.nickName).toBe("Band")),
      Effect.provide(Layer.empty),
      asSample
    ))
})
