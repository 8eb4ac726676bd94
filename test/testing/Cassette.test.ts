import { describe, expect, it } from "@effect/vitest"
import { Cassette } from "../../src/testing/index.js"

const get = (path: string, query: Record<string, string>): Cassette.RequestShape => ({ method: "GET", path, query, body: undefined })
const matcher = (path: string, query: Record<string, string>): Cassette.RequestMatcher => ({ method: "GET", path, query })

describe("Cassette: numbered placeholders", () => {
  it("bind on their first match, then match only that value, one to one", () => {
    const first = Cassette.matchWith(matcher("sns/userinfo", { access_token: "<redacted:1>" }), get("/sns/userinfo", { access_token: "TOKEN-A" }), Cassette.emptyBindings)
    expect(first?.values.get(1)).toBe(JSON.stringify("TOKEN-A"))
    if (first === undefined) return
    // the same placeholder later: the same value only
    expect(Cassette.matchWith(matcher("sns/userinfo", { access_token: "<redacted:1>" }), get("/sns/userinfo", { access_token: "TOKEN-A" }), first)).toBe(first)
    expect(Cassette.matchWith(matcher("sns/userinfo", { access_token: "<redacted:1>" }), get("/sns/userinfo", { access_token: "TOKEN-B" }), first)).toBeUndefined()
    // a value bound to 1 binds to no other placeholder; a new value binds to a new one
    expect(Cassette.matchWith(matcher("sns/userinfo", { access_token: "<redacted:2>" }), get("/sns/userinfo", { access_token: "TOKEN-A" }), first)).toBeUndefined()
    expect(Cassette.matchWith(matcher("sns/userinfo", { access_token: "<redacted:2>" }), get("/sns/userinfo", { access_token: "TOKEN-B" }), first)?.values.get(2)).toBe(JSON.stringify("TOKEN-B"))
    // one matcher naming the same placeholder twice wants the same value twice
    const twice = matcher("x", { a: "<redacted:7>", b: "<redacted:7>" })
    expect(Cassette.matches(twice, get("x", { a: "S", b: "S" }))).toBe(true)
    expect(Cassette.matches(twice, get("x", { a: "S", b: "T" }))).toBe(false)
    // a failed match binds nothing
    expect(Cassette.matchWith(matcher("x", { a: "<redacted:8>", b: "literal" }), get("x", { a: "S", b: "other" }), Cassette.emptyBindings)).toBeUndefined()
  })

  it("a request value that is itself a placeholder matches only that placeholder", () => {
    expect(Cassette.matches(matcher("p", { access_token: "<redacted:3>" }), get("p", { access_token: "<redacted:3>" }))).toBe(true)
    expect(Cassette.matches(matcher("p", { access_token: "<redacted:3>" }), get("p", { access_token: "<redacted:5>" }))).toBe(false)
  })

  it("plain <redacted> and * still match anything", () => {
    for (const wildcard of [Cassette.MASK, "*"]) {
      expect(Cassette.matches(matcher("p", { access_token: wildcard }), get("p", { access_token: "<redacted:3>" }))).toBe(true)
      expect(Cassette.matches(matcher("p", { access_token: wildcard }), get("p", { access_token: "ANY" }))).toBe(true)
    }
  })
})

describe("Cassette: exact matchers and host", () => {
  const stable = (body: Record<string, unknown>, host = "api.weixin.qq.com"): Cassette.RequestShape => ({ method: "POST", host, path: "/cgi-bin/stable_token", query: {}, body })
  const recorded: Cassette.RequestMatcher = {
    method: "POST",
    host: "api.weixin.qq.com",
    path: "/cgi-bin/stable_token",
    query: {},
    body: { grant_type: "client_credential", appid: "wx1", secret: "<redacted:1>" },
    exact: true
  }
  const normal = { grant_type: "client_credential", appid: "wx1", secret: "S" }

  it("an exact matcher wants exactly the listed query and body keys", () => {
    expect(Cassette.matches(recorded, stable(normal))).toBe(true)
    expect(Cassette.matches(recorded, stable({ ...normal, force_refresh: true }))).toBe(false)
    expect(Cassette.matches(recorded, { ...stable(normal), query: { debug: "1" } })).toBe(false)
    expect(Cassette.matches({ ...recorded, body: { ...recorded.body, force_refresh: "*" } }, stable(normal))).toBe(false)
    // a hand-written matcher still ignores what it does not list
    expect(Cassette.matches({ ...recorded, exact: undefined }, stable({ ...normal, force_refresh: true }))).toBe(true)
    expect(Cassette.matches({ method: "GET", path: "sns/userinfo", query: { openid: "o1" } }, get("/sns/userinfo", { openid: "o1", lang: "en" }))).toBe(true)
    expect(Cassette.matches({ method: "GET", path: "sns/userinfo", query: { openid: "o1" }, exact: true }, get("/sns/userinfo", { openid: "o1", lang: "en" }))).toBe(false)
  })

  it("a matcher with a host wants the request sent there", () => {
    expect(Cassette.matches(recorded, stable(normal, "API.weixin.qq.com"))).toBe(true)
    expect(Cassette.matches(recorded, stable(normal, "evil.example"))).toBe(false)
    expect(Cassette.matches(recorded, stable(normal, "api.weixin.qq.com:8443"))).toBe(false)
    expect(Cassette.matches({ ...recorded, host: undefined }, stable(normal, "evil.example"))).toBe(true)
  })
})
