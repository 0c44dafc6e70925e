/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// A real browser against a listening app: login, an htmx Sync now that polls only while the run is active,
// a CSP that the page itself never violates, and an expired session on an htmx request landing on /login.
import t from 'tap'
import type { AddressInfo } from 'node:net'
import { startSimulator } from '../../src/simulator/index.js'
import type { SiteConfig } from '../../src/connectors/connector.js'
import { buildTestApp } from '../helpers/build-test-app.js'
import { createAdmin } from '../helpers/inject-as-admin.js'
import { launchBrowser } from '../helpers/browser.js'

t.test('login, htmx sync with self-stopping polling, and HX-Redirect after revocation', async (t) => {
  const sim = await startSimulator({ seed: 11, size: 'small', guard: true, faults: 'none' })
  t.teardown(() => sim.close())
  const site: SiteConfig = {
    id: 'browser.example', site: 'browser.example', cloudId: null,
    email: sim.handle.credentials.email,
    jiraApiToken: sim.handle.credentials.token, confluenceApiToken: null,
    bitbucketWorkspace: null, bitbucketApiToken: null, bitbucketEmail: null, orgId: null, orgApiKey: null,
    baseUrls: { jira: sim.url, confluence: null, bitbucket: `${sim.url}/2.0`, admin: `${sim.url}/admin` }
  }
  const app = await buildTestApp(t, { cookieSecure: false, sites: [site] })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const admin = await createAdmin(app, 'browser-admin', 'a long browser password')

  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  const problems: string[] = []
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()) })
  page.on('pageerror', (e) => problems.push(e.message))

  // Anonymous → login page, then back to the page asked for.
  await page.goto(`${base}/connectors`)
  t.match(page.url(), /\/login\?next=%2Fconnectors$/)
  await page.fill('input[name=username]', admin.username)
  await page.fill('input[name=password]', admin.password)
  await Promise.all([page.waitForURL(`${base}/connectors`), page.click('button[type=submit]')])
  t.equal(await page.locator('h1').first().textContent(), 'Connector health')

  // Sync now through htmx: the card swaps in place, polls while running, and stops polling once done.
  const card = page.locator('article.connector-card[data-availability]').filter({ hasText: 'jira-audit' })
  await card.locator('button', { hasText: 'Sync now' }).click()
  await page.waitForFunction(() => {
    const el = [...document.querySelectorAll('article.connector-card')].find((a) => a.textContent?.includes('jira-audit'))
    return el !== undefined && el.getAttribute('data-running') === 'false' && /Totals\s*1 runs?,/.test(el.textContent ?? '')
  }, undefined, { timeout: 60_000 }).catch(async (err: Error) => {
    throw new Error(`${err.message}\ncard now: ${(await card.textContent() ?? '').replace(/\s+/g, ' ')}`)
  })
  const finished = await card.getAttribute('hx-trigger')
  t.equal(finished, null, 'a finished card carries no polling trigger')
  t.match(await card.textContent() ?? '', /1 runs?/)
  t.equal(page.url(), `${base}/connectors`, 'htmx swapped the card without a navigation')

  t.same(problems, [], 'no console errors, CSP violations or page errors while signed in')
  problems.length = 0

  // Revoke every session ("log out everywhere" from elsewhere); the next htmx request must land on /login.
  const stored = await app.admins.findByUsername(admin.username)
  if (stored === null) throw new Error('admin vanished')
  await app.admins.bumpTokenVersion(stored._id)
  await Promise.all([
    page.waitForURL(/\/login/, { timeout: 30_000 }),
    card.locator('button', { hasText: 'Sync now' }).click()
  ])
  t.match(page.url(), /\/login/)

  // The browser reports the 401 that carried HX-Redirect; nothing else may appear.
  t.same(problems.filter((p) => !/status of 401/.test(p)), [], 'only the expected 401 after revocation')
})
