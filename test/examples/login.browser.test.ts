/**
 * The login demo (examples/login) in a real browser: Debian's chromium driven by
 * playwright-core, against the demo started in-process with its embedded FakeWechat.
 * A missing chromium fails the file with an install hint: this test never skips.
 */
import { Effect, Exit, Scope } from "effect"
import { existsSync, mkdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core"
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type Demo, startDemo } from "../../examples/login/app.js"

const CHROMIUM = "/usr/bin/chromium"
const INSTALL_HINT = "chromium is missing: run scripts/ensure-system-deps.sh (or apt-get install -y chromium)"
const OUTPUT = fileURLToPath(new URL("../../test-output/", import.meta.url))

let scope: Scope.CloseableScope | undefined
let demo: Demo
let browser: Browser | undefined
let context: BrowserContext | undefined
let page: Page

beforeAll(async () => {
  scope = Effect.runSync(Scope.make())
  demo = await Effect.runPromise(Scope.extend(startDemo({ port: 0 }), scope))
  // without chromium every browser test fails with the hint (see beforeEach), none is skipped
  if (!existsSync(CHROMIUM)) return
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
  })
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
const logIn = async (button: "#login-h5" | "#login-qr", choice: string) => {
  await page.goto(`${demo.url}/`)
  await page.click(button)
  await page.waitForURL((url) => url.origin === demo.fake?.url && url.pathname.startsWith("/connect/"))
  if (button === "#login-qr") {
    // QR login takes a phone: answer the QR code the PC page shows as the phone would
    const uuid = await page.getAttribute("#qr", "data-uuid")
    const userId = choice === "#deny" ? undefined : choice.replace("#allow-", "")
    await Effect.runPromise(fakeControl().answerQrLogin({ uuid: uuid ?? "", userId, decision: userId === undefined ? "deny" : "allow" }))
  } else {
    await page.click(choice)
  }
  await page.waitForURL((url) => url.origin === demo.url && url.pathname === "/callback")
}

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

  it("H5 login: consent with snsapi_userinfo, then the profile with nickname, avatar and openid", async () => {
    await logIn("#login-h5", "#allow-alice")
    expect(await page.textContent("#nickname")).toBe("Alice 🐱")
    const openid = await page.textContent("#openid")
    expect(openid?.trim()).not.toBe("")
    expect(openid).toBe(await Effect.runPromise(fakeControl().openid({ appId: "wxfakedemologin001", userId: "alice" })))
    // the avatar, served by the demo, loaded
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>("#avatar")
      return img !== null && img.complete && img.naturalWidth > 0
    })
    mkdirSync(OUTPUT, { recursive: true })
    await page.screenshot({ path: `${OUTPUT}login-profile.png`, fullPage: true })
    // reloading the callback redeems the same code again: the idempotent exchange answers
    // with the same token (no 40163), so the profile is still there, and WeChat saw one exchange
    const exchanges = await Effect.runPromise(fakeControl().callCount("sns/oauth2/access_token"))
    const reloaded = await page.reload()
    expect(reloaded?.status()).toBe(200)
    expect(await page.textContent("#nickname")).toBe("Alice 🐱")
    expect(await page.textContent("#openid")).toBe(openid)
    expect(await Effect.runPromise(fakeControl().callCount("sns/oauth2/access_token"))).toBe(exchanges)
  })

  it("QR login: the nickname is shown as text, HTML-escaped, and no avatar when there is none", async () => {
    await logIn("#login-qr", "#allow-carol")
    expect(page.url()).toContain("code=")
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
    expect(await page.textContent("#cancelled")).toContain("login cancelled")
  })

  it("a snapshot-page visitor: userinfo is refused (ApiUnauthorized), the page says snsapi_userinfo is needed", async () => {
    await logIn("#login-h5", "#allow-snap")
    expect(await page.textContent("#unauthorized")).toBeTruthy()
    expect(await page.textContent("body")).toContain("snsapi_userinfo")
  })

  it("a callback whose state is not this browser's: 400 state mismatch", async () => {
    const response = await page.goto(`${demo.url}/callback?code=CODE&state=abc123`)
    expect(response?.status()).toBe(400)
    expect(await page.textContent("#state-mismatch")).toContain("state mismatch")
  })
})

describe("examples/login /jssdk-config", () => {
  it("signs a page URL, reusing one cached ticket", async () => {
    const ticketCalls = () => Effect.runPromise(fakeControl().callCount("cgi-bin/ticket/getticket"))
    const get = async (url: string) => {
      const response = await fetch(`${demo.url}/jssdk-config?url=${url}`)
      return { status: response.status, body: await response.json() as Record<string, unknown> }
    }
    const first = await get("http://127.0.0.1/x")
    const second = await get(encodeURIComponent("http://127.0.0.1/x?y=1#top"))
    for (const { status, body } of [first, second]) {
      expect(status).toBe(200)
      expect(body.appId).toBe("wxfakedemologin001")
      expect(body.signature).toMatch(/^[0-9a-f]{40}$/)
      expect(body.nonceStr).toMatch(/^[A-Za-z0-9]+$/)
      expect(typeof body.timestamp).toBe("number")
      expect(JSON.stringify(body)).not.toContain("ticket")
    }
    expect(await ticketCalls()).toBe(1)
    expect(await Effect.runPromise(fakeControl().callCount("cgi-bin/stable_token"))).toBe(1)

    const bad = await get("not-a-url")
    expect(bad).toEqual({ status: 400, body: { error: "InvalidArgument", message: "Invalid url: must be the page's absolute http(s) URL" } })
    const missing = await fetch(`${demo.url}/jssdk-config`)
    expect(missing.status).toBe(400)
    expect(await missing.json()).toMatchObject({ error: "InvalidArgument" })
  })
})
