/**
 * A separate Node process for the multi-process tests: one "server instance" sharing
 * Redis and the fake WeChat with its siblings. Prints one JSON line with what it saw.
 *
 * WORKER = {"mode":"tokens"|"exchange", fakeUrl, redisUrl, appId, appSecret, calls?, spacingMs?, code?, binding?, duplicateWindow?}
 */
import * as Compat from "#compat"
import { FetchHttpClient } from "#compat"
import { Effect, Layer, Redacted } from "effect"
import { createHash } from "node:crypto"
import { AccessTokenProvider, JsSdk, Sns, WechatConfig } from "effect-wechat"
import { RedisTokenStore } from "effect-wechat/redis"
import { failureOf, isFailure } from "../support/result.js"

const options = JSON.parse(process.env.WORKER ?? "{}") as {
  mode: "tokens" | "exchange"
  fakeUrl: string
  redisUrl: string
  appId: string
  appSecret: string
  calls?: number
  spacingMs?: number
  refreshMargin?: Compat.DurationInput
  code?: string
  binding?: string
  duplicateWindow?: Compat.DurationInput
}

const hash = (r: Redacted.Redacted<string>) => createHash("sha256").update(Redacted.value(r)).digest("hex").slice(0, 16)

const base = Layer.mergeAll(
  FetchHttpClient.layer,
  WechatConfig.layer({
    appId: options.appId,
    appSecret: options.appSecret,
    apiBaseUrl: options.fakeUrl,
    openBaseUrl: options.fakeUrl,
    duplicateWindow: options.duplicateWindow
  }),
  RedisTokenStore.layer({ url: options.redisUrl })
)

const tokens = Effect.gen(function*() {
  const seen = new Set<string>()
  const errors: Record<string, number> = {}
  for (let i = 0; i < (options.calls ?? 1000); i++) {
    const result = yield* AccessTokenProvider.use((accessToken) => {
      seen.add(hash(accessToken))
      return JsSdk.getTicket({ accessToken })
    }).pipe(Compat.result)
    if (isFailure(result)) errors[failureOf(result)!._tag] = (errors[failureOf(result)!._tag] ?? 0) + 1
    yield* Effect.sleep(options.spacingMs ?? 10)
  }
  return { tokens: [...seen], errors }
}).pipe(Effect.provide(AccessTokenProvider.layer({ source: "classic", refreshMargin: options.refreshMargin ?? "1 second" }).pipe(Layer.provideMerge(base))))

const exchange = Sns.exchangeCode(options.code ?? "", { binding: options.binding }).pipe(
  Effect.map((token) => ({ token: hash(token.accessToken) })),
  Effect.catchTag("CodeAlreadyUsed", (e) => Effect.succeed({ error: e._tag })),
  Effect.provide(base)
)

const program = (options.mode === "exchange" ? exchange : tokens) as Effect.Effect<unknown, unknown>

Effect.runPromise(program).then(
  (result) => {
    process.stdout.write(JSON.stringify({ ok: true, edition: Compat.edition, result }) + "\n")
    process.exit(0)
  },
  (error) => {
    process.stdout.write(JSON.stringify({ ok: false, error: String(error) }) + "\n")
    process.exit(1)
  }
)
