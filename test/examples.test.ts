import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))

describe("examples/quickstart.ts", () => {
  it("exchanges a code, reads the profile and handles CodeAlreadyUsed and InvalidCode", () => {
    const out = execFileSync("npx", ["tsx", "--conditions=effect-wechat-source", "examples/quickstart.ts"], { cwd: root, encoding: "utf8" })
    const lines = out.trim().split("\n")
    expect(lines[0]).toBe(
      "1. send the user to: https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx520c15f417810387&redirect_uri=https%3A%2F%2Fexample.com%2Fwechat%2Fcallback&response_type=code&scope=snsapi_userinfo&state=xyz123#wechat_redirect"
    )
    expect(lines[1]).toBe(`2. logged in: "小明\\u0007" (openid oRrdQt2LF0SpCODdV4KhLuEoPgwg, unionid oU5Yyt8X-WpQeBsNFS4HuvmDwEhs, scope snsapi_userinfo)`)
    expect(lines[2]).toBe(`3. same code again: logged in: "小明\\u0007" (openid oRrdQt2LF0SpCODdV4KhLuEoPgwg, unionid oU5Yyt8X-WpQeBsNFS4HuvmDwEhs, scope snsapi_userinfo)`)
    expect(lines[3]).toBe("4. same code from another browser: code already used (errcode 40163): start the login again")
    expect(lines[4]).toBe("5. same code on another instance: code already used (errcode 40163, rid 645ca8fe-448ccd42-1a78a4b0): start the login again")
    expect(lines[5]).toBe("6. invalid code (errcode 40029): redirect to the consent page again")
  }, 60_000)
})
