/**
 * Debian's chromium through playwright-core, for the browser tests. A missing chromium is
 * not a skip: `launchChromium` answers `undefined` and the tests fail with `INSTALL_HINT`.
 */
import { existsSync } from "node:fs"
import { type Browser, chromium } from "playwright-core"

export const CHROMIUM = "/usr/bin/chromium"

export const INSTALL_HINT = "chromium is missing: run scripts/ensure-system-deps.sh (or apt-get install -y chromium)"

/** Headless chromium with no background traffic (the tests touch loopback only). */
export const launchChromium = async (): Promise<Browser | undefined> =>
  existsSync(CHROMIUM)
    ? chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    })
    : undefined
