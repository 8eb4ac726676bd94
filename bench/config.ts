/**
 * What the bench measures with: the app and users the fake is seeded with, and the sizes of
 * a quick and a full run. Both processes (the bench and the fake) read this file.
 */

/** The app every contender logs in to. Not a real secret: it exists only in the fake. */
export const APP = {
  appId: "wx00000000000be001",
  appSecret: "bench-secret-0123456789abcdef",
  authorizedDomains: ["127.0.0.1"],
  openPlatform: true,
  name: "effect-wechat bench"
} as const

/** Where the peers send requests; the bench points them at the fake instead. */
export const WECHAT_API = "https://api.weixin.qq.com"

/** Logins rotate over these users, so results vary a little as in real traffic. */
export const USERS = Array.from({ length: 16 }, (_, i) => ({ id: `bench${i}`, nickname: `用户${i}号`, headImgUrl: "" }))

/** Every endpoint the bench hits, with a minute quota no run reaches. */
export const QUOTAS = {
  "sns/oauth2/access_token": 1e9,
  "sns/userinfo": 1e9,
  "cgi-bin/stable_token": 1e9,
  "cgi-bin/token": 1e9,
  "cgi-bin/ticket/getticket": 1e9
} as const

/** The page the signing contenders sign. */
export const PAGE_URL = "https://bench.example.com/pages/share?id=42&from=timeline#top"

export interface Sizes {
  /** Logins per timed run (each run: this many fresh codes). */
  readonly logins: number
  /** Logins per timed run of the per-layer breakdown (sequential only). */
  readonly layerLogins: number
  /** Logins run before the timed runs, per contender and mode. */
  readonly warmupLogins: number
  /** Interleaved repetitions. */
  readonly repetitions: number
  /** Warm `signPage` calls per timed run. */
  readonly signCalls: number
  /** Concurrent cold `AccessTokenProvider.get` per stampede, and how many stampedes. */
  readonly stampedeGets: number
  readonly stampedes: number
  /**
   * The heap-kept measurements: logins before the first reading, logins measured (in
   * batches, reported per 10,000), cached token reads. The warm-up is long enough for the
   * code to settle on both editions: on Effect 4 (Node 22) V8 was still compiling through
   * the first ~5,000 logins (code space +2.4, then +1.4 MB per 10,000 logins, then flat),
   * which a 1,000-login warm-up counted as heap kept.
   */
  readonly heapWarmup: number
  readonly heapLogins: number
  readonly heapBatches: number
  readonly heapReads: number
  /**
   * What only a full run measures: the login on `node:http` with a keep-alive agent,
   * signing with one `runPromise` per call, and the heap kept by fetch, the floor and the
   * peers (a quick run: effect-wechat's only). The per-layer breakdown is a phase of its
   * own (full runs, or `--only layers`).
   */
  readonly extras: boolean
}

export const QUICK: Sizes = {
  logins: 160,
  layerLogins: 160,
  warmupLogins: 100,
  repetitions: 5,
  signCalls: 4_000,
  stampedeGets: 10_000,
  stampedes: 1,
  heapWarmup: 6_000,
  heapLogins: 4_000,
  heapBatches: 2,
  heapReads: 100_000,
  extras: false
}

export const FULL: Sizes = {
  logins: 600,
  layerLogins: 500,
  warmupLogins: 300,
  repetitions: 7,
  signCalls: 50_000,
  stampedeGets: 10_000,
  stampedes: 3,
  heapWarmup: 6_000,
  heapLogins: 10_000,
  heapBatches: 5,
  heapReads: 100_000,
  extras: true
}
