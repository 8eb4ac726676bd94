/**
 * Which API host requests go to. WeChat's backup host (`api2`) is for "when a network link
 * fails" (docs/robustness.md). A host that cannot be reached is skipped within the request.
 * A host that takes requests and never answers (blackholed, a broken link) can only be
 * found out by timeouts, and a request that timed out may have reached WeChat, so it is
 * never sent again: what moves is where the *next* requests go, and only on evidence.
 *
 * - {@link STRIKES} timeouts or connections lost after sending in a row at the host in use,
 *   with no answer from it in between, make the next request a probe of another host (the
 *   first host when the one in use is a fallback, else the next fallback in turn).
 *   Requests go there only once the probe got an answer; a probe that fails passes the
 *   turn to the next host, and once every host had its turn the next round waits
 *   {@link SWITCH_MILLIS}. So one slow answer or one reset moves nothing, and a fallback
 *   that the network drops (an egress allowlist) never takes the traffic.
 * - A request that started at the host in use, found it (and maybe more) unreachable and
 *   got an answer from a later one moves requests there at once: proof both ways.
 * - Away from the first host, after {@link SWITCH_MILLIS} one request probes the first
 *   host; the others stay until it answered (back to the first host) or failed (another
 *   {@link SWITCH_MILLIS}).
 *
 * One probe at a time; a probe interrupted, or not heard of within its bound, hands its
 * turn to the next request. One state per configuration (per `WechatConfig` service) and
 * per clock, in this process: another clock (each test's `TestClock` on a shared
 * configuration) starts it over.
 * @internal
 */
import * as Compat from "#compat"
import type { Clock } from "effect"

/** How long requests stay on a host that took over before the first host is tried again. */
export const SWITCH_MILLIS = 60_000

/** Failures in a row at the host in use that start a probe of another. */
export const STRIKES = 2

/** Marks {@link pick}'s answer when the request is a probe. */
export const PROBE = 0x100

/** The hosts of one configuration and where requests go now. */
export interface Route {
  readonly urls: ReadonlyArray<string>
  /** The clock the state was kept with. */
  clock: Clock.Clock | undefined
  /** Where requests go. */
  current: number
  /** Failures in a row at `current`. */
  strikes: number
  /** Away from the first host: when to probe it. */
  until: number
  /** The host the next probe goes to when strikes call for one. */
  turn: number
  /** The host to probe with the next request, or -1. */
  wanted: number
  /** The host under probe, or -1; it counts as lost after `probeUntil`. */
  probing: number
  probeUntil: number
  /** The probe under way is the minute's probe of the first host (not one called by strikes). */
  probingBack: boolean
  /** Every host had its turn: no probe called by strikes before this time. */
  noProbeBefore: number
  /**
   * Counts the switches: a request reports with the epoch it was picked in, and a report
   * from before the last switch (a late answer, an old timeout) is no evidence about now.
   */
  epoch: number
}

interface Hosts {
  readonly apiBaseUrl: string
  readonly fallbackApiBaseUrls: ReadonlyArray<string>
}

const routes = new WeakMap<Hosts, Route>()

/** The first host to probe when `current` fails: the first host, or the fallback after it. */
const firstTurn = (route: Route) => (route.current === 0 ? 1 : 0)

/** The host after `at` in turn, skipping the one in use. */
const after = (route: Route, at: number) => {
  const next = (at + 1) % route.urls.length
  return next === route.current ? (next + 1) % route.urls.length : next
}

const fresh = (route: Route, clock: Clock.Clock) => {
  route.clock = clock
  route.current = 0
  route.strikes = 0
  route.until = 0
  route.turn = 1
  route.wanted = -1
  route.probing = -1
  route.probeUntil = 0
  route.probingBack = false
  route.noProbeBefore = 0
  route.epoch++
}

/** The route of a configuration, made on its first request. */
export const routeOf = (config: Hosts): Route => {
  let route = routes.get(config)
  if (route === undefined) {
    route = {
      urls: [config.apiBaseUrl, ...config.fallbackApiBaseUrls],
      clock: undefined,
      current: 0,
      strikes: 0,
      until: 0,
      turn: 1,
      wanted: -1,
      probing: -1,
      probeUntil: 0,
      probingBack: false,
      noProbeBefore: 0,
      epoch: 0
    }
    routes.set(config, route)
  }
  return route
}

/**
 * The host a new request starts at, with {@link PROBE} set when it is the probe.
 * `probeMillis` bounds how long a probe may go unheard of.
 */
export const pick = (route: Route, clock: Clock.Clock, probeMillis: number): number => {
  if (route.clock !== clock) fresh(route, clock)
  // nothing in force: the first host, without reading the clock
  if (route.current === 0 && route.wanted === -1 && route.probing === -1 && route.noProbeBefore === 0) return 0
  const t = Compat.clockMillis(clock)
  if (route.noProbeBefore !== 0 && t >= route.noProbeBefore) route.noProbeBefore = 0
  if (route.probing !== -1) {
    if (t < route.probeUntil) return route.current
    lost(route, route.probing, route.epoch)
  }
  const back = route.wanted === -1 && route.current !== 0 && t >= route.until
  const wanted = back ? 0 : route.wanted
  if (wanted === -1) return route.current
  route.wanted = -1
  route.probing = wanted
  route.probingBack = back
  route.probeUntil = t + probeMillis
  return wanted | PROBE
}

/** The probe of `at` was interrupted or never reported: the next request probes instead. */
export const lost = (route: Route, at: number, epoch: number): void => {
  if (route.probing !== at || epoch !== route.epoch) return
  route.probing = -1
  // the minute's probe of the first host comes again by itself (its time has passed)
  if (!route.probingBack && route.wanted === -1 && at !== route.current) route.wanted = at
}

const moveTo = (route: Route, at: number, t: number) => {
  route.epoch++
  route.current = at
  route.probing = -1
  route.probingBack = false
  route.strikes = 0
  route.wanted = -1
  route.turn = firstTurn(route)
  route.noProbeBefore = 0
  route.until = at === 0 ? 0 : t + SWITCH_MILLIS
}

/**
 * Host `at` answered. `probe`: the request was the probe of `at`; `skipped`: the request
 * started at the host in use and found the hosts before `at` unreachable. Returns the host
 * requests go to now when that changed, or -1.
 */
export const answered = (route: Route, at: number, probe: boolean, skipped: boolean, epoch: number, clock: Clock.Clock): number => {
  if (at === route.current) {
    route.strikes = 0
    return -1
  }
  // a request picked before the last switch (a late probe answer among them) says nothing new
  if (epoch !== route.epoch || (!probe && !skipped)) return -1
  moveTo(route, at, Compat.clockMillis(clock))
  return at
}

/**
 * The probe of `at` got no answer (a timeout, a lost or refused connection, an HTTP error).
 * The minute's probe of the first host: stay another minute. A probe called by strikes:
 * the turn passes on, and once every host had its turn the next round waits a minute.
 */
export const probeFailed = (route: Route, at: number, epoch: number, clock: Clock.Clock): void => {
  if (route.probing !== at || epoch !== route.epoch) return
  route.probing = -1
  const t = Compat.clockMillis(clock)
  if (route.probingBack) {
    route.until = t + SWITCH_MILLIS
    return
  }
  route.turn = after(route, at)
  if (route.turn === firstTurn(route)) route.noProbeBefore = t + SWITCH_MILLIS
}

/** Host `at` took a request and failed it as a dead link does (a timeout, a connection lost after sending). */
export const failed = (route: Route, at: number, epoch: number, clock: Clock.Clock): void => {
  if (at !== route.current || epoch !== route.epoch) return
  route.strikes++
  if (route.strikes < STRIKES || route.probing !== -1 || route.wanted !== -1) return
  if (route.noProbeBefore !== 0 && Compat.clockMillis(clock) < route.noProbeBefore) return
  route.strikes = 0
  route.wanted = route.turn
}
