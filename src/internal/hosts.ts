/**
 * Which API host a request tries first. WeChat's backup host (`api2`) is for "when a
 * network link fails" (docs/robustness.md): a host that cannot be reached is skipped
 * within the request, but a host that takes the request and never answers (blackholed,
 * a broken link) can only be found out by a timeout, and the request that timed out may
 * have reached WeChat, so it is never sent again. What changes is where the *next*
 * requests go: after a timeout or a connection lost after sending, or after a host could
 * not be reached and the next one answered, later requests start at the next host for
 * {@link SWITCH_MILLIS}, then the first host is tried again. A switch is logged at
 * Warning, at most once a minute. One state per configuration (per `WechatConfig`
 * service), in this process.
 * @internal
 */

/** How long later requests keep starting at the host that took over. */
export const SWITCH_MILLIS = 60_000

/** The hosts of one configuration and where requests start now. */
export interface Route {
  readonly urls: ReadonlyArray<string>
  /** The host requests start at while `until` has not passed. */
  start: number
  /** 0: no switch in force (start at the first host). */
  until: number
  /** No Warning about a switch before this time. */
  quietUntil: number
}

interface Hosts {
  readonly apiBaseUrl: string
  readonly fallbackApiBaseUrls: ReadonlyArray<string>
}

const routes = new WeakMap<Hosts, Route>()

/** The route of a configuration, made on its first request. */
export const routeOf = (config: Hosts): Route => {
  let route = routes.get(config)
  if (route === undefined) {
    route = { urls: [config.apiBaseUrl, ...config.fallbackApiBaseUrls], start: 0, until: 0, quietUntil: 0 }
    routes.set(config, route)
  }
  return route
}

/** The host a new request starts at. */
export const first = (route: Route, now: () => number): number => {
  if (route.until === 0) return 0
  if (now() < route.until) return route.start
  route.start = 0
  route.until = 0
  return 0
}

/**
 * Host `at` took a request and failed it in a way a dead link does (a timeout, a
 * connection lost): later requests start at the one after it. Returns the host they now
 * start at, or `undefined` when nothing changed.
 */
export const leave = (route: Route, at: number, now: () => number): number | undefined => {
  const next = (at + 1) % route.urls.length
  const changed = route.until === 0 ? next !== 0 : route.start !== next
  route.start = next
  route.until = now() + SWITCH_MILLIS
  return changed ? next : undefined
}

/**
 * Host `at` answered. Reached because the hosts before it could not be reached: later
 * requests start there. Returns the host they now start at, or `undefined` when nothing
 * changed.
 */
export const answered = (route: Route, at: number, now: () => number): number | undefined => {
  if (route.until === 0 ? at === 0 : route.start === at) return undefined
  if (at === 0) {
    route.start = 0
    route.until = 0
  } else {
    route.start = at
    route.until = now() + SWITCH_MILLIS
  }
  return at
}

/**
 * Whether a switch should be logged now: at most one Warning per {@link SWITCH_MILLIS},
 * so hosts that fail turn by turn (every request alternating) log once a minute, not once
 * a request.
 */
export const announce = (route: Route, now: () => number): boolean => {
  const at = now()
  if (at < route.quietUntil) return false
  route.quietUntil = at + SWITCH_MILLIS
  return true
}
