/**
 * Two builds of the library in one process, each with its own runtime on a canned
 * in-memory client (WeChat's answers, no network): rounds of logins (exchange + user info)
 * alternate between them, order swapped each round, and the median of the per-round ratio
 * b / a is the result. Interleaving in one process cancels most of a noisy machine's drift,
 * which moves whole-run figures by up to 20% here: this tells a 3% change from none. The
 * Effect floor (the same two requests by hand on the same client) runs in the same rounds.
 * Run through `bench/ab.sh` (`--v4`: the Effect 4 edition, on Node 22); method in
 * docs/performance.md.
 */
import { HttpClient, HttpClientResponse } from "#bench-compat"
import { Effect, Layer, ManagedRuntime } from "effect"
import { pathToFileURL } from "node:url"

const [dirA, dirB] = process.argv.slice(2)
if (dirA === undefined || dirB === undefined) throw new Error("usage: ab.ts <build a> <build b>")
const ROUNDS = Number(process.env.AB_ROUNDS ?? 40)
const PER_ROUND = Number(process.env.AB_LOGINS ?? 500)
// logins in flight at once (the bench's 64-way runs: AB_CONCURRENCY=64)
const CONCURRENCY = Number(process.env.AB_CONCURRENCY ?? 1)

const token = JSON.stringify({
  access_token: "86_" + "x".repeat(100),
  expires_in: 7200,
  refresh_token: "86_" + "y".repeat(100),
  openid: "oRrdQt2LF0SpCODdV4KhLuEoPgwg",
  scope: "snsapi_userinfo"
})
const profile = JSON.stringify({
  openid: "oRrdQt2LF0SpCODdV4KhLuEoPgwg",
  nickname: "Bench User",
  sex: 0,
  province: "",
  city: "",
  country: "",
  headimgurl: "https://thirdwx.qlogo.cn/mmopen/x/132",
  privilege: [],
  unionid: "o6_bmasdasdsad6_2sgVt7hMZOPfL"
})
const answer = (request: Parameters<typeof HttpClientResponse.fromWeb>[0], body: string) =>
  HttpClientResponse.fromWeb(request, new Response(body, { headers: { "content-type": "text/plain", "content-length": String(Buffer.byteLength(body)) } }))
const canned = Layer.succeed(HttpClient.HttpClient)(
  HttpClient.make((request) => Effect.succeed(answer(request, request.url.includes("userinfo") ? profile : token)))
)

let n = 0
interface Contender {
  readonly name: string
  readonly run: () => Promise<unknown>
  readonly dispose: () => Promise<void>
}

const library = async (name: string, dir: string): Promise<Contender> => {
  // another revision's build: its API is assumed to match this one's
  const { Sns, WechatClient } = (await import(pathToFileURL(`${dir}/index.js`).href)) as typeof import("../src/index.js")
  const runtime = ManagedRuntime.make(Layer.merge(
    canned,
    WechatClient.layer({ appId: "wx0000000000000001", appSecret: "ab-bench-secret-01" }, { httpClient: canned, retry: false })
  ))
  const login = Effect.suspend(() => {
    n++
    return Effect.flatMap(
      Sns.exchangeCode(`code${n}`, { binding: `binding-${n}` }),
      (t) => Sns.userInfo({ accessToken: t.accessToken, openid: t.openid })
    )
  })
  return { name, run: () => runtime.runPromise(login), dispose: () => runtime.dispose() }
}

const floor = (): Contender => {
  const runtime = ManagedRuntime.make(canned)
  const base = "https://api.weixin.qq.com"
  const login = Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    n++
    const t = JSON.parse(yield* (yield* client.get(`${base}/sns/oauth2/access_token?appid=wx0000000000000001&secret=s&code=c${n}&grant_type=authorization_code`)).text)
    return JSON.parse(yield* (yield* client.get(`${base}/sns/userinfo?access_token=${encodeURIComponent(t.access_token)}&openid=${t.openid}&lang=zh_CN`)).text)
  }).pipe(Effect.orDie, Effect.withTracerEnabled(false))
  return { name: "floor", run: () => runtime.runPromise(login), dispose: () => runtime.dispose() }
}

/** `n` runs of `run`, `CONCURRENCY` at a time. */
const times = async (n: number, run: () => Promise<unknown>) => {
  let started = 0
  const worker = async () => {
    while (started < n) {
      started++
      await run()
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, n) }, worker))
}

const contenders = [floor(), await library("a", dirA), await library("b", dirB)]
const cpu: Record<string, Array<number>> = { floor: [], a: [], b: [] }
const ratios: Array<number> = []
for (const c of contenders) await times(3000, c.run)
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? contenders : contenders.slice().reverse()
  const perLogin: Record<string, number> = {}
  for (const c of order) {
    const before = process.cpuUsage()
    await times(PER_ROUND, c.run)
    const used = process.cpuUsage(before)
    perLogin[c.name] = (used.user + used.system) / PER_ROUND
    cpu[c.name]!.push(perLogin[c.name]!)
  }
  ratios.push(perLogin.b! / perLogin.a!)
}
for (const c of contenders) await c.dispose()

const sum = (xs: ReadonlyArray<number>) => xs.reduce((x, y) => x + y, 0)
const median = (xs: ReadonlyArray<number>) => xs.slice().sort((x, y) => x - y)[Math.floor(xs.length / 2)]!
const sorted = ratios.slice().sort((x, y) => x - y)
const summary = {
  floor_us: Number(median(cpu.floor!).toFixed(1)),
  a_us: Number(median(cpu.a!).toFixed(1)),
  b_us: Number(median(cpu.b!).toFixed(1)),
  b_over_a: Number(median(ratios).toFixed(3)),
  b_over_a_total: Number((sum(cpu.b!) / sum(cpu.a!)).toFixed(3)),
  b_over_a_iqr: [Number(sorted[Math.floor(ROUNDS / 4)]!.toFixed(3)), Number(sorted[Math.floor((3 * ROUNDS) / 4)]!.toFixed(3))],
  a_over_floor: Number((median(cpu.a!) / median(cpu.floor!)).toFixed(3)),
  b_over_floor: Number((median(cpu.b!) / median(cpu.floor!)).toFixed(3)),
  rounds: ROUNDS,
  logins_per_round: PER_ROUND,
  concurrency: CONCURRENCY
}
console.log(`CPU per login (median of ${ROUNDS} rounds of ${PER_ROUND}, ${CONCURRENCY} in flight): floor ${summary.floor_us} µs, a ${summary.a_us} µs, b ${summary.b_us} µs`)
console.log(`b / a ${summary.b_over_a} (interquartile ${summary.b_over_a_iqr.join("–")}; all rounds together ${summary.b_over_a_total}); a / floor ${summary.a_over_floor}, b / floor ${summary.b_over_floor}`)
console.log(JSON.stringify(summary))
