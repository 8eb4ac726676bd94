/**
 * Warm basic token + JS-SDK page signature, per call: what a `/jssdk-config?url=…`
 * endpoint does on every page view once the token and ticket are cached. Each contender
 * fetches its token and ticket from the fake once (warm-up), then runs its own loop of
 * calls, timing each one; no call reaches the network.
 *
 * - `effect-wechat`: `AccessTokenProvider.get` + `JsSdk.signPage(url)` in one Effect
 *   program (as an Effect HTTP handler runs them).
 * - `effect-wechat-runpromise`: the same, one `runPromise` per call (as an Express handler
 *   would), for information.
 * - `wechat-api`: `getLatestToken` + `getJsConfig` (callbacks; synchronous once warm).
 * - `floor`: hand-written: cached token and ticket with their expiry, a crypto-random
 *   nonce, the URL cut at `#`, SHA-1 of the string.
 */
import * as Bench from "#bench-compat"
import { Effect } from "effect"
import { createHash, randomBytes } from "node:crypto"
import { AccessTokenProvider, JsSdk, WechatClient } from "effect-wechat"
import { APP, PAGE_URL } from "./config.js"
import { appAt } from "./login.js"
import { makeWechatApi } from "./peers.js"

export interface Signer {
  readonly id: string
  readonly label: string
  /** Runs `latencies.length` calls, writing each one's latency (ms). */
  readonly run: (latencies: Float64Array) => Promise<void>
  readonly close: () => Promise<void>
}

export type SignerFactory = (base: string) => Promise<Signer>

const check = (signature: string) => {
  if (signature.length !== 40) throw new Error(`not a SHA-1 signature: ${signature}`)
}

const librarySetup = async (base: string) => {
  const { dispose, run } = await Bench.runtimeOf(WechatClient.layer(appAt(base), { httpClient: Bench.fetchLayer, retry: false }))
  const once = Effect.gen(function*() {
    yield* AccessTokenProvider.get
    return yield* JsSdk.signPage(PAGE_URL)
  })
  check((await run(once)).signature)
  return { dispose, run, once }
}

export const librarySigner: SignerFactory = async (base) => {
  const { dispose, run } = await librarySetup(base)
  return {
    id: "effect-wechat",
    label: "effect-wechat: AccessTokenProvider.get + JsSdk.signPage",
    run: (latencies) =>
      run(Effect.gen(function*() {
        for (let i = 0; i < latencies.length; i++) {
          const started = performance.now()
          yield* AccessTokenProvider.get
          const page = yield* JsSdk.signPage(PAGE_URL)
          latencies[i] = performance.now() - started
          check(page.signature)
        }
      })),
    close: dispose
  }
}

export const libraryRunPromiseSigner: SignerFactory = async (base) => {
  const { dispose, once, run } = await librarySetup(base)
  return {
    id: "effect-wechat-runpromise",
    label: "effect-wechat, one runPromise per call",
    run: async (latencies) => {
      for (let i = 0; i < latencies.length; i++) {
        const started = performance.now()
        const page = await run(once)
        latencies[i] = performance.now() - started
        check(page.signature)
      }
    },
    close: dispose
  }
}

export const wechatApiSigner: SignerFactory = async (base) => {
  const { api, close } = makeWechatApi(base)
  const params = { url: PAGE_URL, jsApiList: ["updateAppMessageShareData"] }
  /** One call; `done` runs synchronously when the token and ticket are cached. */
  const call = (done: (err: Error | null, signature: string) => void) =>
    api.getLatestToken((err) => {
      if (err !== null) return done(err, "")
      api.getJsConfig(params, (err, config) => done(err, err === null ? config.signature : ""))
    })
  const callAsync = () =>
    new Promise<string>((resolve, reject) => call((err, signature) => (err === null ? resolve(signature) : reject(err))))
  check(await callAsync()) // fetches the token, then the ticket
  return {
    id: "wechat-api",
    label: "wechat-api 1.35: getLatestToken + getJsConfig",
    run: async (latencies) => {
      for (let i = 0; i < latencies.length; i++) {
        const started = performance.now()
        let signature: string | undefined
        let failure: Error | null = null
        call((err, s) => {
          failure = err
          signature = s
        })
        // never taken once warm: the callbacks run before `call` returns
        if (signature === undefined) signature = await callAsync()
        latencies[i] = performance.now() - started
        if (failure !== null) throw failure
        check(signature)
      }
    },
    close: async () => close()
  }
}

interface Cached {
  readonly value: string
  readonly expiresAt: number
}

export const floorSigner: SignerFactory = async (base) => {
  const now = Date.now()
  const tokenAnswer = await (await fetch(`${base}/cgi-bin/stable_token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ grant_type: "client_credential", appid: APP.appId, secret: APP.appSecret })
  })).json() as { access_token: string; expires_in: number }
  const token: Cached = { value: tokenAnswer.access_token, expiresAt: now + tokenAnswer.expires_in * 1000 }
  const ticketAnswer = await (await fetch(`${base}/cgi-bin/ticket/getticket?access_token=${encodeURIComponent(token.value)}&type=jsapi`)).json() as {
    ticket: string
    expires_in: number
  }
  const ticket: Cached = { value: ticketAnswer.ticket, expiresAt: now + ticketAnswer.expires_in * 1000 }
  const sign = (url: string) => {
    const at = Date.now()
    if (token.expiresAt <= at || ticket.expiresAt <= at) throw new Error("expired: the floor never refreshes")
    const nonceStr = randomBytes(8).toString("hex")
    const timestamp = Math.floor(at / 1000)
    const hash = url.indexOf("#")
    const page = hash === -1 ? url : url.slice(0, hash)
    const signature = createHash("sha1").update(`jsapi_ticket=${ticket.value}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${page}`).digest("hex")
    return { appId: APP.appId, timestamp, nonceStr, signature, token: token.value }
  }
  return {
    id: "floor",
    label: "hand-written: cached token + ticket, SHA-1",
    run: async (latencies) => {
      for (let i = 0; i < latencies.length; i++) {
        const started = performance.now()
        const page = sign(PAGE_URL)
        latencies[i] = performance.now() - started
        check(page.signature)
      }
    },
    close: async () => {}
  }
}
