/**
 * One login-heap measurement in a process of its own (started by bench/memory.ts), so that
 * nothing the bench's earlier phases left behind (connection pools, code, caches V8 ages
 * out) is released while it measures. `heap-process.ts <fake url> <contender> <warm-up>
 * <logins> <batches>` prints the result as JSON.
 */
import { connect } from "./fake.js"
import { fetchContender, floorContender, libraryContender, libraryUndiciContender, type Factory } from "./login.js"
import { loginHeap } from "./memory.js"
import { coWechatOauthContender, wechatOauthContender } from "./peers.js"

const FACTORIES: Readonly<Record<string, Factory>> = {
  "fetch": fetchContender,
  "effect-floor": floorContender,
  "effect-wechat": libraryContender,
  "effect-wechat-undici": libraryUndiciContender,
  "wechat-oauth": wechatOauthContender,
  "co-wechat-oauth": coWechatOauthContender
}

const [url, id, warmup, logins, batches] = process.argv.slice(2)
const factory = FACTORIES[id ?? ""]
if (url === undefined || factory === undefined) {
  console.error(`usage: heap-process.ts <fake url> <${Object.keys(FACTORIES).join("|")}> <warm-up> <logins> <batches>`)
  process.exit(2)
}
const fake = connect(url)
const result = await loginHeap(fake, factory, { warmup: Number(warmup), logins: Number(logins), batches: Number(batches) })
fake.close()
console.log(JSON.stringify(result))
