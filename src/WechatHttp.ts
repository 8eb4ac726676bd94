/**
 * How a request reaches WeChat: base URL and failover, per-request timeout, tracing
 * without secrets, and the shared decoding path. Every endpoint goes through
 * {@link execute}; it is public so that an app can call an endpoint this library does
 * not wrap with the same guarantees.
 *
 * @since 0.1.0
 */
import * as Compat from "#compat"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "#compat"
import { type Clock, Context, Duration, Effect, Layer, Option, Redacted, type Scope } from "effect"
import * as Body from "./internal/body.js"
import * as Hosts from "./internal/hosts.js"
import * as Span from "./internal/span.js"
import { withDeadline } from "./internal/timeout.js"
import { CODE_EXCHANGES } from "./internal/endpoints.js"
import { scrub as scrubText } from "./internal/scrub.js"
import type { Decoder } from "./WechatDecode.js"
import { type Service as WechatConfigService, WechatConfig } from "./WechatConfig.js"
import { type WechatError, WechatTransportError } from "./WechatError.js"
import * as WechatRetry from "./WechatRetry.js"

/**
 * A parameter value: plain, or a secret that stays `Redacted` until the request is built.
 *
 * @since 0.1.0
 * @category models
 */
export type Param = string | number | boolean | Redacted.Redacted<string>

/**
 * A request to one WeChat API endpoint.
 *
 * @since 0.1.0
 * @category models
 */
export interface Request {
  /** Path under the API host, without a leading slash, e.g. `sns/oauth2/access_token`. */
  readonly endpoint: string
  readonly method: "GET" | "POST"
  readonly query?: Readonly<Record<string, Param>>
  /** A JSON body (POST). */
  readonly json?: Readonly<Record<string, Param>>
}

const reveal = (params: Readonly<Record<string, Param>>): Record<string, string | number | boolean> => {
  const out: Record<string, string | number | boolean> = {}
  for (const key in params) {
    const value = params[key]!
    out[key] = Redacted.isRedacted(value) ? Redacted.value(value) : value
  }
  return out
}

/** The secret values a request carries (its `Redacted` params and the app secret). */
const secretsOf = (request: Request, config: WechatConfigService): ReadonlyArray<string> => {
  const out: Array<string> = [Redacted.value(config.appSecret)]
  for (const params of [request.query, request.json]) {
    if (params === undefined) continue
    for (const key in params) {
      const value = params[key]!
      if (Redacted.isRedacted(value)) out.push(Redacted.value(value))
    }
  }
  return out
}

/**
 * Replaces every occurrence of the given secrets in a text with `<redacted>`, whatever
 * their encoding: raw, or with characters percent-encoded in either hex case (also
 * twice-encoded), and spaces as `+`. Values shorter than 6 characters are left alone:
 * scrubbing them would garble the text, and no WeChat credential is that short.
 *
 * @since 0.1.0
 * @category utils
 */
export const scrub: (text: string, secrets: ReadonlyArray<string>) => string = scrubText

/**
 * The endpoints that redeem a single-use code: never sent twice, so a failure after the
 * request may have reached WeChat means "send the user through consent again".
 *
 * @since 0.2.0
 * @category models
 */
export const codeExchangeEndpoints: ReadonlySet<string> = CODE_EXCHANGES

// Error codes that mean the connection was never established, so the request never left.
const NOT_SENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT"
])

const causeChain = (error: unknown): ReadonlyArray<unknown> => {
  const chain: Array<unknown> = []
  let current: unknown = error
  while (current !== undefined && current !== null && chain.length < 8) {
    chain.push(current)
    current = typeof current === "object" && "cause" in current ? current.cause : undefined
  }
  return chain
}

const codeOf = (u: unknown): string | undefined =>
  typeof u === "object" && u !== null && "code" in u && typeof u.code === "string" ? u.code : undefined

const transportError = (endpoint: string, error: Compat.ClientError, secrets: ReadonlyArray<string>): WechatTransportError => {
  // only failures pay for scrubbing
  const info = Compat.clientErrorInfo(error)
  const chain = causeChain(info.cause)
  const codes = chain.map(codeOf).filter((c): c is string => c !== undefined)
  const messages = chain.map((c) => (c instanceof Error ? c.message : undefined)).filter((m): m is string => !!m)
  const notSent = info.beforeSending && (info.reason !== "Transport" || codes.some((c) => NOT_SENT.has(c)))
  const detail = scrub([info.reason, ...codes, ...messages].join(": "), secrets)
  const invalid = info.beforeSending && info.reason !== "Transport"
  return new WechatTransportError({
    endpoint,
    reason: "network",
    sent: !notSent,
    detail,
    action: invalid ? "stop" : afterSending(endpoint, !notSent)
  })
}

/** What to do after a transient failure: retry, unless a single-use code may be spent. */
const afterSending = (endpoint: string, sent: boolean) =>
  sent && codeExchangeEndpoints.has(endpoint) ? "reauthorize" as const : "retry" as const

/** A client whose requests live as long as the `Scope` they run in. */
type ScopedClient = HttpClient.HttpClient.With<Compat.ClientError, Scope.Scope>

const quietClients = new WeakMap<HttpClient.HttpClient, ScopedClient>()

// Effect's client span records `url.full` with the query string, where
// WeChat wants `secret` and `access_token`: our own span (from `Effect.fn`) replaces it.
// Each request's lifetime is its deadline's scope (internal/timeout.ts).
const quiet = (client: HttpClient.HttpClient): ScopedClient => {
  let out = quietClients.get(client)
  if (out === undefined) {
    out = Compat.untracedClient(HttpClient.withScope(client))
    quietClients.set(client, out)
  }
  return out
}

const attempt = (
  client: ScopedClient,
  baseUrl: string,
  request: Request,
  config: WechatConfigService
): Effect.Effect<string, WechatTransportError, Scope.Scope> => {
  let req = HttpClientRequest.make(request.method)(`${baseUrl}/${request.endpoint}`)
  if (request.query !== undefined) req = HttpClientRequest.setUrlParams(req, reveal(request.query))
  if (request.json !== undefined) req = Compat.bodyJson(req, reveal(request.json))
  const onError = (e: Compat.ClientError) => Effect.fail(transportError(request.endpoint, e, secretsOf(request, config)))
  const sent = client.execute(req).pipe(
    Effect.flatMap((response): Effect.Effect<string, Compat.ClientError | WechatTransportError> => {
      if (response.status >= 300 && response.status < 400) {
        // never followed: WeChat does not redirect its API, and a redirect target's answer is not WeChat's
        return Effect.andThen(Body.discard(response), Effect.fail(
          new WechatTransportError({
            endpoint: request.endpoint,
            reason: "redirect",
            status: response.status,
            sent: true,
            detail: `HTTP ${response.status} redirect${locationOrigin(response.headers["location"])}, not followed`,
            action: "stop"
          })
        ))
      }
      if (response.status < 200 || response.status >= 300) {
        const retryable = response.status >= 500 || response.status === 429
        return Effect.andThen(Body.discard(response), Effect.fail(
          new WechatTransportError({
            endpoint: request.endpoint,
            reason: "status",
            status: response.status,
            sent: true,
            detail: `HTTP ${response.status}`,
            action: retryable ? afterSending(request.endpoint, true) : "stop"
          })
        ))
      }
      return Body.readText(response, config.maxResponseBytes, () =>
        new WechatTransportError({
          endpoint: request.endpoint,
          reason: "too-large",
          sent: true,
          detail: `the answer is larger than ${config.maxResponseBytes} bytes (maxResponseBytes)`,
          action: "stop"
        }))
    })
  )
  return Compat.catchClientError(sent, onError)
}

/** Where a redirect pointed, origin only (a Location may carry the request's secrets). */
const locationOrigin = (location: string | undefined) => {
  if (location === undefined) return ""
  try {
    return ` to ${new URL(location).origin}`
  } catch {
    return ""
  }
}

/**
 * Fetch follows redirects unless told not to: set `redirect: "manual"` on the fetch
 * client's options (keeping the user's own), so a 3xx comes back as it is. Other clients
 * (Node's, undici's) do not follow redirects. Providing a service per request is costly,
 * so it is skipped when the context already says so (`WechatClient` provides it once).
 */
const noRedirects = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Compat.withFiber((fiber) => {
    const init = Context.getOption(Compat.fiberContext(fiber), FetchHttpClient.RequestInit)
    return Option.isSome(init) && init.value.redirect === "manual"
      ? effect
      : Effect.provideService(effect, FetchHttpClient.RequestInit, { ...Option.getOrUndefined(init), redirect: "manual" })
  })

/**
 * Fetch's options that keep it from following redirects, for a layer to provide once
 * (`WechatClient` does), so requests need not set them one by one.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerNoRedirects: Layer.Layer<FetchHttpClient.RequestInit> = Layer.succeed(FetchHttpClient.RequestInit, { redirect: "manual" })

/**
 * Sends a request to WeChat and decodes the answer. Tries `apiBaseUrl`, then each of
 * `fallbackApiBaseUrls` only while the connection could not be made (nothing was sent);
 * an errcode answer or a failure after sending never sends the request elsewhere. Two
 * timeouts or lost connections in a row make the next request probe the next host, and
 * requests go there once it answered, with a Warning (docs/robustness.md, "When a host
 * stops answering"). Each attempt is bounded by the configured timeout.
 *
 * Annotates the current span with `wechat.endpoint` and, on failure, `wechat.error`,
 * `wechat.errcode` and `wechat.rid`; no secret or query string is recorded.
 *
 * @since 0.1.0
 * @category execution
 */
export const execute = <A>(
  request: Request,
  decode: Decoder<A>
): Effect.Effect<A, WechatError, HttpClient.HttpClient | WechatConfig> =>
  // one step reads the config, the client, the retry policy and the tracer: this is every
  // request's path, so it takes as few steps as it can
  Compat.withFiber((fiber) => {
    const context = Compat.fiberContext(fiber) as Context.Context<HttpClient.HttpClient | WechatConfig>
    const config = Context.get(context, WechatConfig)
    const client = quiet(Context.get(context, HttpClient.HttpClient))
    const policy = Context.get(context as Context.Context<never>, WechatRetry.WechatRetry)
    const once = Effect.flatMap(noRedirects(send(client, config, request, Compat.fiberClock(fiber))), (text) =>
      Compat.Result.toEffect(decode(request.endpoint, text, () => secretsOf(request, config))))
    // a single-use code is never sent twice, whatever schedule the app composed: a
    // redemption is repeated only when WeChat cannot have seen it
    const run = policy === WechatRetry.none
      ? once
      : codeExchangeEndpoints.has(request.endpoint)
      ? Effect.retry(once, { schedule: policy, while: (error) => !WechatRetry.mayHaveReachedWechat(error) })
      : Effect.retry(once, policy)
    if (!Compat.fiberInSpan(fiber) || !Span.isTraced(Compat.fiberTracer(fiber))) return run
    return Effect.andThen(Effect.annotateCurrentSpan("wechat.endpoint", request.endpoint), run).pipe(
      Effect.tapError((error) =>
        Effect.annotateCurrentSpan({
          "wechat.error": error._tag,
          ...("errcode" in error ? { "wechat.errcode": error.errcode } : {}),
          ...("rid" in error && error.rid !== undefined ? { "wechat.rid": error.rid } : {})
        })
      )
    )
  })

/**
 * Tries each host in turn while nothing could be sent, starting where the route says
 * (internal/hosts.ts); each attempt has the timeout. A request that may have reached
 * WeChat is never sent again: timeouts and lost connections only tell the route where
 * later requests go.
 */
const send = (
  client: ScopedClient,
  config: WechatConfigService,
  request: Request,
  clock: Clock.Clock
): Effect.Effect<string, WechatTransportError> => {
  const timeoutMillis = Duration.toMillis(config.timeout)
  const onTimeout = () =>
    new WechatTransportError({
      endpoint: request.endpoint,
      reason: "timeout",
      sent: true,
      detail: `no answer within ${Duration.format(config.timeout)}`,
      action: afterSending(request.endpoint, true)
    })
  const tryHost = (base: string) => withDeadline(attempt(client, base, request, config), config.timeout, timeoutMillis, onTimeout)
  if (config.fallbackApiBaseUrls.length === 0) return tryHost(config.apiBaseUrl)
  const route = Hosts.routeOf(config)
  const hosts = route.urls.length
  // a probe's attempt, and any skipping, are over within one timeout per host
  const probeMillis = hosts * timeoutMillis + 1000
  // `epoch`: the route's when the request was picked; its reports count only while it holds
  const from = (start: number, k: number, probe: boolean, epoch: number): Effect.Effect<string, WechatTransportError> => {
    const at = (start + k) % hosts
    const tried = Effect.matchEffect(tryHost(route.urls[at]!), {
      onSuccess: (text) => {
        const was = route.current
        const moved = Hosts.answered(route, at, probe, k > 0, epoch, clock)
        return moved === -1 ? Effect.succeed(text) : Effect.as(switched(route, was, start, moved, probe), text)
      },
      onFailure: (error): Effect.Effect<string, WechatTransportError> => {
        if (probe) {
          // no answer from the probed host: the request goes on where requests go
          Hosts.probeFailed(route, at, epoch, clock)
          return error.sent ? Effect.fail(error) : from(route.current, 0, false, route.epoch)
        }
        if (error.sent && (error.reason === "timeout" || error.reason === "network")) Hosts.failed(route, at, epoch, clock)
        return !error.sent && k + 1 < hosts ? from(start, k + 1, false, epoch) : Effect.fail(error)
      }
    })
    return probe ? Effect.onInterrupt(tried, () => Effect.sync(() => Hosts.lost(route, at, epoch))) : tried
  }
  // read when the attempt starts: a retry of this effect starts where the route says then
  return Effect.suspend(() => {
    const picked = Hosts.pick(route, clock, probeMillis)
    return from(picked & ~Hosts.PROBE, 0, (picked & Hosts.PROBE) !== 0, route.epoch)
  })
}

/** Tells the operator where requests go now, and why (base URLs carry no secrets). */
const switched = (route: Hosts.Route, from: number, start: number, to: number, probe: boolean) => {
  const why = probe
    ? `${route.urls[from]} failed ${Hosts.STRIKES} requests in a row: no answer in time, or the connection lost`
    : `${skippedBetween(route, start, to).join(", ")} could not be reached`
  return Effect.logWarning(
    to === 0
      ? `WeChat API: requests go to ${route.urls[0]} again (${probe ? "it answered" : `${why}; it answered`})`
      : `WeChat API: requests go to ${route.urls[to]} for the next ${Hosts.SWITCH_MILLIS / 1000} s (${why}; ${route.urls[to]} answered)`
  )
}

/** The hosts a request skipped from `start` up to `to`. */
const skippedBetween = (route: Hosts.Route, start: number, to: number) => {
  const out: Array<string> = []
  for (let i = start; i !== to; i = (i + 1) % route.urls.length) out.push(route.urls[i]!)
  return out
}
