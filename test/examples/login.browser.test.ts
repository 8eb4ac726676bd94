/**
 * The login demo (examples/login) in a real browser: Debian's chromium driven by
 * playwright-core, against the demo started in-process with its embedded FakeWechat.
 * A missing chromium fails the file with an install hint: this test never skips.
 */
import { Effect, Exit, Scope } from "effect"
import { mkdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { INSTALL_HINT, launchChromium } from "../support/browser.js"
import { type Demo, startDemo } from "../../examples/login/app.js"
import { type CloseableScope, makeScope, inScope } from "#test-compat"

const OUTPUT = fileURLToPath(new URL("../../test-output/", import.meta.url))

let scope: CloseableScope | undefined
let demo: Demo
let browser: Browser | undefined
let context: BrowserContext | undefined
let page: Page

beforeAll(async () => {
  scope = Effect.runSync(makeScope)
  demo = await Effect.runPromise(inScope(startDemo({ port: 0 }), scope))
  // without chromium every browser test fails with the hint (see beforeEach), none is skipped
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
})

const fakeControl = () => {
  if (demo.fake === undefined) throw new Error("the demo runs without the embedded FakeWechat")
  return demo.fake.control
}

/** From the landing page through the fake's consent page, clicking `choice` there (`#allow-<userId>` or `#deny`). */
const logIn = async (button: "#login-h5" | "#login-qr", choice: string, on: Page = page) => {
  const callbacks: Array<string> = []
  on.on("request", (request) => {
    if (new URL(request.url()).pathname === "/login/wechat/callback") callbacks.push(request.url())
  })
  await on.goto(`${demo.url}/`)
  await on.click(button)
  await on.waitForURL((url) => url.origin === demo.fake?.url && url.pathname.startsWith("/connect/"))
  if (button === "#login-qr") {
    // QR login takes a phone: answer the QR code the PC page shows, as the phone would
    const uuid = await on.getAttribute("#qr", "data-uuid")
    const userId = choice === "#deny" ? undefined : choice.replace("#allow-", "")
    await Effect.runPromise(fakeControl().answerQrLogin({ uuid: uuid ?? "", userId, decision: userId === undefined ? "deny" : "allow" }))
  } else {
    await on.click(choice)
  }
  // HTTP redirects are followed before a URL commits: this is where the callback ended
  await on.waitForURL((url) => url.origin === demo.url)
  await on.waitForLoadState()
  return callbacks[0]
}

const exchanges = () => Effect.runPromise(fakeControl().callCount("sns/oauth2/access_token"))

describe("examples/login in chromium", () => {
  // a fresh cookie jar per test
  beforeEach(async () => {
    if (browser === undefined) throw new Error(INSTALL_HINT)
    context = await browser.newContext()
    page = await context.newPage()
  })

  afterEach(async () => {
    await context?.close()
  })

  it("H5 login: consent, then /me with nickname, avatar and openid; no code left in the address bar; reload and logout", async () => {
    const before = await exchanges()
    const callbacks: Array<string> = []
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/login/wechat/callback") callbacks.push(request.url())
    })
    const callback = await logIn("#login-h5", "#allow-alice")
    expect(callback).toContain("code=")
    // the fake delivers the H5 callback twice, as WeChat's in-app browser may: one exchange at WeChat
    expect(callbacks.length).toBe(2)
    expect(callbacks[1]).toBe(callbacks[0])
    expect(await exchanges()).toBe(before + 1)
    expect(new URL(page.url()).pathname).toBe("/me")
    expect(page.url()).not.toContain("code=")
    expect(await page.textContent("#nickname")).toBe("Alice 🐱")
    const openid = await page.textContent("#openid")
    expect(openid).toBe(await Effect.runPromise(fakeControl().openid({ appId: "wx00000000000de0a1", userId: "alice" })))
    // the avatar, served by the demo, loaded
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>("#avatar")
      return img !== null && img.complete && img.naturalWidth > 0
    })
    mkdirSync(OUTPUT, { recursive: true })
    await page.screenshot({ path: `${OUTPUT}login-profile.png`, fullPage: true })
    // reloading /me keeps the session
    const reloaded = await page.reload()
    expect(reloaded?.status()).toBe(200)
    expect(await page.textContent("#nickname")).toBe("Alice 🐱")
    // log out: /me sends back to the start
    await page.click("#logout")
    await page.waitForURL(`${demo.url}/`)
    await page.goto(`${demo.url}/me`)
    expect(new URL(page.url()).pathname).toBe("/")
    expect(await page.locator("#signed-in").count()).toBe(0)
  })

  it("the callback URL again in the same browser (a duplicate callback) logs in with the same token; replayed from another browser it does not", async () => {
    const callback = (await logIn("#login-h5", "#allow-alice"))!
    const before = await exchanges()
    // same browser: the login cookie binds the cached exchange, no second request to WeChat
    await page.goto(callback)
    expect(new URL(page.url()).pathname).toBe("/me")
    expect(await page.textContent("#nickname")).toBe("Alice 🐱")
    expect(await exchanges()).toBe(before)
    // another browser (an attacker who saw the URL): refused, nobody logged in, WeChat not asked
    const other = await browser!.newContext()
    try {
      const attacker = await other.newPage()
      const response = await attacker.goto(callback)
      expect(response?.status()).toBe(400)
      expect(await attacker.textContent("#wechat-login-error")).toContain("not for this browser")
      await attacker.goto(`${demo.url}/me`)
      expect(new URL(attacker.url()).pathname).toBe("/")
      expect(await attacker.locator("#signed-in").count()).toBe(0)
    } finally {
      await other.close()
    }
    expect(await exchanges()).toBe(before)
  })

  it("QR login: the nickname is shown as text, HTML-escaped, and no avatar when there is none", async () => {
    const callback = await logIn("#login-qr", "#allow-carol")
    expect(new URL(callback!).searchParams.has("code")).toBe(true)
    expect(await page.textContent("#nickname")).toBe("Carol <b>&amp;</b>")
    expect(await page.locator("#nickname b").count()).toBe(0)
    expect(await page.locator("#avatar").count()).toBe(0)
    expect((await page.textContent("#openid"))?.trim()).not.toBe("")
  })

  it("a nickname with a control character is shown with a visible control picture", async () => {
    await logIn("#login-h5", "#allow-bob")
    expect(await page.textContent("#nickname")).toBe("小明\u2407")
  })

  it("deny on the consent page: the login-cancelled page", async () => {
    await logIn("#login-h5", "#deny")
    expect(new URL(page.url()).searchParams.has("code")).toBe(false)
    expect(await page.textContent("#wechat-login-cancelled")).toContain("login cancelled")
  })

  it("a snapshot-page visitor is never signed in: the page asks to open it in WeChat", async () => {
    await logIn("#login-h5", "#allow-snap")
    expect(await page.textContent("#snapshot")).toContain("open this page in WeChat")
    await page.goto(`${demo.url}/me`)
    expect(new URL(page.url()).pathname).toBe("/")
  })

  it("a forged state, or one from another session, gets a clear 400 page", async () => {
    const forged = await page.goto(`${demo.url}/login/wechat/callback?code=CODE&state=abc123`)
    expect(forged?.status()).toBe(400)
    expect(await page.textContent("#wechat-login-code")).toBe("InvalidState")
    // a state made for another browser's login (login CSRF): start a login elsewhere, bring its state here
    const other = await browser!.newContext()
    try {
      const theirs = await other.newPage()
      const response = await theirs.request.get(`${demo.url}/login/wechat?mode=h5`, { maxRedirects: 0 })
      const state = new URL(response.headers()["location"]!).searchParams.get("state")!
      const csrf = await page.goto(`${demo.url}/login/wechat/callback?code=CODE&state=${state}`)
      expect(csrf?.status()).toBe(400)
      expect(await page.textContent("#wechat-login-error")).toContain("not for this browser")
    } finally {
      await other.close()
    }
  })

  it("a path the demo does not serve: a 404 page", async () => {
    const response = await page.goto(`${demo.url}/nowhere`)
    expect(response?.status()).toBe(404)
    expect(await page.textContent("#not-found")).toBe("Not found")
  })
})

describe("examples/login /jssdk-config", () => {
  it("signs a page URL, reusing one cached ticket", async () => {
    const ticketCalls = () => Effect.runPromise(fakeControl().callCount("cgi-bin/ticket/getticket"))
    const get = async (url: string) => {
      const response = await fetch(`${demo.url}/wechat/jssdk-config?url=${url}`)
      return { status: response.status, body: await response.json() as Record<string, unknown> }
    }
    const first = await get(encodeURIComponent("http://127.0.0.1/x"))
    const second = await get(encodeURIComponent("http://127.0.0.1/x?y=1#top"))
    for (const { status, body } of [first, second]) {
      expect(status).toBe(200)
      expect(body.appId).toBe("wx00000000000de0a1")
      expect(body.signature).toMatch(/^[0-9a-f]{40}$/)
      expect(body.nonceStr).toMatch(/^[A-Za-z0-9]+$/)
      expect(typeof body.timestamp).toBe("number")
      expect(JSON.stringify(body)).not.toContain("ticket")
    }
    expect(await ticketCalls()).toBe(1)
    expect(await Effect.runPromise(fakeControl().callCount("cgi-bin/stable_token"))).toBe(1)

    const bad = await get("not-a-url")
    expect(bad).toEqual({ status: 400, body: { error: "InvalidArgument", argument: "url", reason: "is not an absolute URL (percent-encode it)" } })
    const foreign = await get(encodeURIComponent("https://evil.example/page"))
    expect(foreign).toEqual({ status: 400, body: { error: "InvalidArgument", argument: "url", reason: "https://evil.example is not an allowed origin" } })
    const missing = await fetch(`${demo.url}/wechat/jssdk-config`)
    expect(missing.status).toBe(400)
    expect(await missing.json()).toMatchObject({ error: "InvalidArgument" })
  })
})
