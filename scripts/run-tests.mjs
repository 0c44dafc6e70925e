#!/usr/bin/env node
// The README's test command: makes sure the browser the UI tests need is present, runs tap over test/,
// and ends with a plain "N passed, N failed" line so CI can tell a run that executed nothing.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'

const hasBrowserTests = existsSync('test/browser') && readdirSync('test/browser').some((f) => f.endsWith('.test.ts'))
if (hasBrowserTests && !existsSync('/usr/bin/chromium')) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0
  console.log('Browser tests need Debian\'s chromium; installing it with apt-get…')
  const sudo = root ? [] : ['sudo']
  const run = (args) => spawnSync(sudo[0] ?? args[0], sudo.length > 0 ? args : args.slice(1), { stdio: 'inherit' })
  if (run(['apt-get', 'update']).status !== 0 || run(['apt-get', 'install', '-y', '--no-install-recommends', 'chromium']).status !== 0) {
    console.error('Could not install chromium (apt-get install -y chromium); browser tests cannot run.')
    process.exit(1)
  }
}

const args = ['tap', ...process.argv.slice(2)]
const child = spawn('npx', args, { stdio: ['ignore', 'pipe', 'inherit'] })
let summary = null
let tail = ''
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk)
  tail = (tail + chunk.toString()).slice(-4096)
  const lines = tail.split('\n')
  for (const line of lines) {
    const m = /^# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?(?:, skip: (\d+))?(?:, todo: (\d+))?/.exec(line)
    if (m !== null) summary = { total: +m[1], pass: +m[2], fail: +(m[3] ?? 0), skip: +(m[4] ?? 0), todo: +(m[5] ?? 0) }
  }
})
child.on('close', (code) => {
  if (summary === null) {
    console.log('0 passed, 0 failed')
    console.error('tap printed no summary: no test ran')
    process.exit(code === 0 ? 1 : code ?? 1)
  }
  const extra = summary.skip > 0 ? `, ${summary.skip} skipped` : ''
  const failed = summary.total - summary.pass - summary.skip - summary.todo
  console.log(`\n${summary.pass} passed, ${Math.max(failed, summary.fail)} failed${extra}`)
  process.exit(code ?? 1)
})
