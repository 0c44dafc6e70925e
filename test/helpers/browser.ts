// Headless Debian chromium through playwright-core, with the flags this workplace needs (no network beyond loopback).
import { chromium, type Browser } from 'playwright-core'

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'
]

interface TapLike { teardown: (fn: () => unknown) => void }

export async function launchBrowser (t: TapLike): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS, headless: true })
  t.teardown(() => browser.close())
  return browser
}
