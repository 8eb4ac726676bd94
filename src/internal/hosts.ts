/**
 * Which API host requests go to. WeChat's backup host (`api2`) is for "when a network link
 * fails" (docs/robustness.md). A host that cannot be reached is skipped within the request.
 * A host that takes requests and never answers (blackholed, a broken link) can only be
 * found out by timeouts, and a request that timed out may have reached WeChat, so it is
 * never sent again: what moves is where the *next* requests go, and only on evidence.
 *
 * - {@link STRIKES} timeouts or connections lost after sending in a row at the current
 *   host, with no answer from it in between, make the next request a probe of the next
 *   host. Requests go there only once the probe answered; a probe that fails waits
 *   {@link SWITCH_MILLIS} before another. So one slow answer or one reset moves nothing,
 *   and a fallback that the network drops (an egress allowlist) never takes the traffic.
 * - A request that skipped hosts it could not reach and got an answer from a later one
 *   moves requests there at once: that is proof both ways.
 * - Away from the first host, after {@link SWITCH_MILLIS} one request probes the first
 *   host; the others stay until it answered (back to the first host) or failed (another
 *   {@link SWITCH_MILLIS}).
 *
 * One probe at a time; a probe not heard of within its bound (its caller was interrupted)
 * lets another start. One state per configuration (per `WechatConfig` service), in this
 * process; a clock reading earlier than the last change (a test's `TestClock` on a shared
 * configuration) starts it over.
 * @internal
 */

/** How long requests stay on a host that took over before the first host is tried again. */
export const SWITCH_MILLIS = 60_000

/** Failures in a row at the current host that start a probe of the next one. */
export const STRIKES = 2

/** Marks {@link pick}'s answer when the request is a probe. */
export const PROBE = 0x100

/** The hosts of one configuration and where requests go now. */
export interface Route {
  readonly urls: ReadonlyArray<string>
  /** Where requests go. */
  current: number
  /** Failures in a row at `current`. */
  strikes: number
  /** Away from the first host: when to probe it. */
  until: number
  /** The host to probe next, or -1. */
  wanted: number
  /** The host under probe, or -1; its probe counts as lost after `probeUntil`. */
  probing: number
  probeUntil: number
  /** No probe for a fallback before this time (the last one failed). */
  noProbeBefore: number
  /** When the route last changed (0: never). */
  since: number
}

interface Hosts {
  readonly apiBaseUrl: string
  readonly fallbackApiBaseUrls: ReadonlyArray<string>
}

const routes = new WeakMap<Hosts, Route>()

const fresh = (route: Route) => {
  route.current = 0
  route.strikes = 0
  route.until = 0
  route.wanted = -1
  route.probing = -1
  route.probeUntil = 0
  route.noProbeBefore = 0
  route.since = 0
}

/** The route of a configuration, made on its first request. */
export const routeOf = (config: Hosts): Route => {
  let route = routes.get(config)
  if (route === undefined) {
    route = { urls: [config.apiBaseUrl, ...config.fallbackApiBaseUrls], current: 0, strikes: 0, until: 0, wanted: -1, probing: -1, probeUntil: 0, noProbeBefore: 0, since: 0 }
    routes.set(config, route)
  }
  return route
}

/**
 * The host a new request starts at, with {@link PROBE} set when it is the probe.
 * `probeMillis` bounds how long a probe may go unheard of.
 */
export const pick = (route: Route, now: () => number, probeMillis: number): number => {
  // nothing in force: the first host, without reading the clock
  if (route.current === 0 && route.wanted === -1 && route.probing === -1 && route.noProbeBefore === 0) return 0
  const t = now()
  if (t < route.since) {
    fresh(route)
    return 0
  }
  if (route.noProbeBefore !== 0 && t >= route.noProbeBefore) route.noProbeBefore = 0
  if (route.probing !== -1 && t < route.probeUntil) return route.current
  route.probing = -1
  const wanted = route.wanted !== -1 ? route.wanted : route.current !== 0 && t >= route.until ? 0 : -1
  if (wanted === -1) return route.current
  route.wanted = -1
  route.probing = wanted
  route.probeUntil = t + probeMillis
  return wanted | PROBE
}

/**
 * Host `at` answered. `probe`: the request was the probe of `at`; `skipped`: hosts before
 * `at` could not be reached in this request. Returns the host requests go to now when
 * that changed, or -1.
 */
export const answered = (route: Route, at: number, probe: boolean, skipped: boolean, now: () => number): number => {
  if (probe && route.probing === at) route.probing = -1
  if (at === route.current) {
    route.strikes = 0
    return -1
  }
  if (!probe && !skipped) return -1 // a request sent there before a change: says nothing new
  route.current = at
  route.strikes = 0
  route.wanted = -1
  route.since = now()
  route.until = at === 0 ? 0 : route.since + SWITCH_MILLIS
  return at
}

/**
 * Host `at` took a request and failed it as a dead link does (a timeout, a connection lost
 * after sending). `probe`: the request was the probe of `at`.
 */
export const failed = (route: Route, at: number, probe: boolean, now: () => number): void => {
  if (probe) {
    if (route.probing === at) route.probing = -1
    route.since = now()
    if (at === 0) route.until = route.since + SWITCH_MILLIS // stay where we are another while
    else route.noProbeBefore = route.since + SWITCH_MILLIS
    return
  }
  if (at !== route.current) return
  route.strikes++
  if (route.strikes < STRIKES || route.probing !== -1) return
  const t = now()
  const next = (at + 1) % route.urls.length
  if (next !== 0 && t < route.noProbeBefore) return
  route.strikes = 0
  route.wanted = next
  route.since = Math.max(route.since, t)
}
