/**
 * The fake's pages in a real browser (Debian's chromium through playwright-core): QR login
 * on two devices, a desktop and a phone, the phone reading the QR code off the desktop's
 * screen; and a consent whose callback is delivered twice. The callbacks land on a small
 * loopback server standing in for the app. A missing chromium fails with an install hint.
 */
import * as Compat from "#compat"
import { FetchHttpClient, type HttpClient } from "#compat"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import jsqr from "jsqr"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import type { Browser, BrowserContext } from "playwright-core"
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { INSTALL_HINT, launchChromium } from "../support/browser.js"
import { Sns, TokenStore, WechatConfig } from "../../src/index.js"
import { FakeWechat } from "../../src/testing/index.js"
import { type CloseableScope, makeScope, inScope } from "#test-compat"

const PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800322d) NetType/WIFI Language/zh_CN"

interface Hit {
  readonly path: string
  readonly query: URLSearchParams
  readonly cookie: string | undefined
}

let scope: CloseableScope
let fake: FakeWechat.Service
let fakeUrl: string
let appUrl: string
const hits: Array<Hit> = []
let browser: Browser | undefined
let desktop: BrowserContext
let phone: BrowserContext

const SITE = { appId: "wx0000000000000005", appSecret: "site-secret-0001", kind: "website", name: "Site" } as const
const OA = { appId: "wx000000000000000a", appSecret: "oa-secret-0002", kind: "official-account", name: "OA", duplicateCallbacks: true } as const

/** The app: `/start` sets its session cookie, `/cb` records the callback and says which hit it was. */
const startApp = () =>
  new Promise<string>((resolve) => {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://app")
      if (url.pathname === "/start") {
        res.writeHead(200, { "set-cookie": "session=s1; Path=/; HttpOnly; SameSite=Lax", "content-type": "text/html" })
        res.end("<p>app</p>")
        return
      }
      if (url.pathname !== "/cb") {
        res.writeHead(404).end()
        return
      }
      hits.push({ path: url.pathname, query: url.searchParams, cookie: req.headers.cookie })
      res.writeHead(200, { "content-type": "text/html", "cache-control": "no-store" })
      res.end(`<p id="hit">${hits.length}</p>`)
    })
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))
    Effect.runSync(Scope.addFinalizer(scope, Compat.callback<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })))
  })

const clientFor = (app: { appId: string; appSecret: string }) =>
  Layer.mergeAll(FetchHttpClient.layer, TokenStore.layerMemory, WechatConfig.layer({ ...app, apiBaseUrl: fakeUrl, openBaseUrl: fakeUrl }))

const run = <A, E>(effect: Effect.Effect<A, E, FakeWechat | WechatConfig.WechatConfig | Compat.RefId<TokenStore.TokenStore> | HttpClient.HttpClient>, app: { appId: string; appSecret: string } = SITE) =>
  Effect.runPromise(effect.pipe(Effect.provideService(FakeWechat, fake), Effect.provide(clientFor(app))))

beforeAll(async () => {
  scope = Effect.runSync(makeScope)
  appUrl = await startApp()
  const layer = FakeWechat.layerControl({ users: [{ id: "u1", nickname: "扫码\u0007" }] })
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
  fake = Context.get(context, FakeWechat)
  fakeUrl = (await Effect.runPromise(inScope(FakeWechat.serve({ port: 0 }), scope).pipe(Effect.provideService(FakeWechat, fake)))).url
  const domains = [appUrl.replace("http://", "")]
  await Effect.runPromise(Effect.all([fake.addApp({ ...SITE, authorizedDomains: domains }), fake.addApp({ ...OA, authorizedDomains: domains })]))
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

beforeEach(async () => {
  if (browser === undefined) throw new Error(INSTALL_HINT)
  hits.length = 0
  desktop = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  phone = await browser.newContext({ viewport: { width: 390, height: 844 }, userAgent: PHONE_UA, isMobile: true, hasTouch: true, deviceScaleFactor: 2 })
})

afterEach(async () => {
  await desktop.close()
  await phone.close()
})

/** Opens the QR login on the desktop and reads the QR code off the page, as the phone's camera would. */
const openQrOnDesktop = async (state: string) => {
  const pc = await desktop.newPage()
  await pc.goto(`${appUrl}/start`)
  await pc.goto(await run(Sns.qrConnectUrl({ redirectUri: `${appUrl}/cb`, state })))
  const pixels = await pc.evaluate(async () => {
    const svg = document.querySelector("#qr svg")!
    const image = new Image()
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(new XMLSerializer().serializeToString(svg))}`
    await image.decode()
    const canvas = document.createElement("canvas")
    canvas.width = canvas.height = 400
    const context = canvas.getContext("2d")!
    context.drawImage(image, 0, 0, 400, 400)
    return Array.from(context.getImageData(0, 0, 400, 400).data)
  })
  // jsqr is CommonJS: its function is both the module and its `default`
  const scanned = jsqr.default(Uint8ClampedArray.from(pixels), 400, 400)
  expect(scanned).not.toBeNull()
  return { pc, phoneUrl: scanned!.data }
}

describe("QR login on two devices", () => {
  it("the desktop shows a QR code, the phone scans it and allows, the desktop goes to the callback (twice, as asked)", async () => {
    const { pc, phoneUrl } = await openQrOnDesktop("qr1")
    expect(phoneUrl).toMatch(new RegExp(`^${fakeUrl}/connect/qrconnect/phone\\?uuid=[0-9a-f]{24}$`))
    const handset = await phone.newPage()
    await handset.goto(phoneUrl)
    expect(await handset.evaluate(() => [window.innerWidth, navigator.userAgent.includes("MicroMessenger")])).toEqual([390, true])
    // the same consent form, the nickname's control character shown as a control picture
    expect(await handset.textContent("#allow-u1 .nickname")).toBe("扫码\u2407")
    await pc.waitForSelector("#scanned")
    // the phone also asks for the callback twice: the desktop page delivers it so
    await handset.check("#duplicate-callback")
    await handset.click("#allow-u1")
    await handset.waitForSelector("#confirmed")
    await pc.waitForURL((url) => url.origin === appUrl && url.pathname === "/cb")
    expect(await pc.textContent("#hit")).toBe("2")
    expect(hits.map((h) => [h.query.get("state"), h.cookie])).toEqual([["qr1", "session=s1"], ["qr1", "session=s1"]])
    const hit = hits[1]!
    expect(hits[0]!.query.get("code")).toBe(hit.query.get("code"))
    const token = await run(Sns.exchangeCode(hit.query.get("code")!))
    expect(token.scope).toEqual(["snsapi_login"])
    expect(token.openid).toBe(await Effect.runPromise(fake.openid({ appId: SITE.appId, userId: "u1" })))
  })

  it("deny on the phone: the desktop shows the login cancelled and goes nowhere", async () => {
    const { pc, phoneUrl } = await openQrOnDesktop("qr2")
    const handset = await phone.newPage()
    await handset.goto(phoneUrl)
    await handset.click("#deny")
    await handset.waitForSelector("#cancelled")
    expect(await pc.textContent("#cancelled", { timeout: 10_000 })).toContain("你已取消此次登录")
    expect(new URL(pc.url()).origin).toBe(fakeUrl)
    expect(hits).toHaveLength(0)
  })
})

describe("duplicateCallbacks", () => {
  it("the in-app browser's consent delivers the callback twice; the app sees the second hit", async () => {
    const inWechat = await phone.newPage()
    await inWechat.goto(`${appUrl}/start`)
    await inWechat.goto(await run(Sns.authorizeUrl({ redirectUri: `${appUrl}/cb`, scope: "snsapi_base", state: "dup1" }), OA))
    await inWechat.click("#allow-u1")
    await inWechat.waitForURL((url) => url.origin === appUrl && url.pathname === "/cb")
    expect(await inWechat.textContent("#hit")).toBe("2")
    expect(hits.map((h) => [h.path, h.query.get("state"), h.cookie])).toEqual([["/cb", "dup1", "session=s1"], ["/cb", "dup1", "session=s1"]])
    expect(hits[0]!.query.get("code")).toBe(hits[1]!.query.get("code"))
    // the second exchange of the same code, in another process, is 40163
    const code = hits[0]!.query.get("code")!
    await run(Sns.exchangeCode(code), OA)
    const again = await run(Effect.flip(Sns.exchangeCode(code)), OA)
    expect(again._tag).toBe("CodeAlreadyUsed")
  })
})
