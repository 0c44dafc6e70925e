// bin/seed-admin: argument rules and prompt handling in-process, then the real shim end to end as child processes
// against the real store (by URI, via its own embedded store, and through a running server's store).
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { PassThrough } from 'node:stream'
import t from 'tap'
import { MongoClient } from 'mongodb'
import {
  ExitCode, parseSeedAdminArgs, type PromptInput, readHiddenLine, readPasswordFromStream, runSeedAdmin, USAGE
} from '../../src/cli/seed-admin.js'
import { startEmbeddedStore } from '../../src/db/embedded/index.js'
import { startTestMongo } from '../helpers/mongo-for-tests.js'

const repo = resolve(import.meta.dirname, '../..')

function sink (): PassThrough & { text: () => string } {
  const out = new PassThrough()
  let text = ''
  out.on('data', (c: Buffer) => { text += c.toString() })
  return Object.assign(out, { text: () => text })
}

t.test('argument parsing', async (t) => {
  t.same(parseSeedAdminArgs(['create', '--username', 'ann']), { ok: true, args: { command: 'create', username: 'ann', passwordStdin: false } })
  t.same(parseSeedAdminArgs(['reset-password', '--username=ann', '--password-stdin']), { ok: true, args: { command: 'reset-password', username: 'ann', passwordStdin: true } })
  t.same(parseSeedAdminArgs(['list']), { ok: true, args: { command: 'list', username: null, passwordStdin: false } })
  t.match(parseSeedAdminArgs(['--help']), { ok: false, help: true })
  t.match(parseSeedAdminArgs(['create', '-h']), { ok: false, help: true })
  t.match(parseSeedAdminArgs([]), { ok: false, problem: 'a command is required' })
  t.match(parseSeedAdminArgs(['register', '--username', 'x']), { ok: false, problem: /unknown command/ })
  t.match(parseSeedAdminArgs(['create']), { ok: false, problem: 'create needs --username' })
  t.match(parseSeedAdminArgs(['create', '--username']), { ok: false, problem: '--username needs a value' })
  t.match(parseSeedAdminArgs(['list', '--username', 'x']), { ok: false, problem: /takes no --username/ })
  t.match(parseSeedAdminArgs(['disable', '--username', 'x', '--password-stdin']), { ok: false, problem: /reads no password/ })
  t.match(parseSeedAdminArgs(['create', '--username', 'x', '--extra']), { ok: false, problem: /unexpected argument/ })
  for (const arg of ['--password', '--password=hunter2hunter2', '-p', '--pass', '--PASSWORD=x']) {
    const r = parseSeedAdminArgs(['create', '--username', 'x', arg])
    t.match(r, { ok: false, problem: /never accepted as arguments/ }, arg)
    t.notMatch(JSON.stringify(r), 'hunter2', 'the value is not echoed')
  }
  t.match(USAGE, /--password-stdin/)
  t.match(USAGE, /Exit codes: 0 done, 1 refused/)
})

t.test('hidden prompt: raw mode on while reading, off afterwards, backspace handled, nothing echoed', async (t) => {
  const input = new PassThrough() as PassThrough & PromptInput
  const modes: boolean[] = []
  input.isTTY = true
  input.setRawMode = (raw: boolean) => { modes.push(raw); return input }
  const out = sink()
  const pending = readHiddenLine(input, out, 'Password: ')
  input.write('secret-pass')
  input.write('X\u007f')
  input.write('word\r')
  t.equal(await pending, 'secret-password')
  t.same(modes, [true, false])
  t.equal(out.text(), 'Password: \n', 'only the prompt and a newline were written')

  const ctrlC = readHiddenLine(input, sink(), 'Password: ')
  input.write('abc\u0003')
  await t.rejects(ctrlC, /cancelled/)
})

t.test('password from a stream: first line, without its newline', async (t) => {
  const s = new PassThrough()
  s.end('long-enough-password\r\nsecond line\n')
  t.equal(await readPasswordFromStream(s), 'long-enough-password')
})

t.test('in-process runs against the test store', async (t) => {
  const mongo = await startTestMongo(t)
  const env = { ATLASLENS_MONGODB_URI: mongo.uri, ATLASLENS_DB_NAME: mongo.dbName }
  async function run (argv: string[], stdinText: string | null, tty = false) {
    const stdin = new PassThrough() as PassThrough & PromptInput
    if (tty) { stdin.isTTY = true; stdin.setRawMode = () => stdin }
    const stdout = sink()
    const stderr = sink()
    const running = runSeedAdmin({ argv, env, stdin, stdout, stderr, actor: 'tester@host' })
    if (stdinText !== null) {
      if (tty) stdin.write(stdinText)
      else stdin.end(stdinText)
    }
    return { code: await running, out: stdout.text(), err: stderr.text() }
  }

  t.equal((await run(['create', '--username', 'ann'], null)).code, ExitCode.Usage, 'no TTY and no --password-stdin: usage')
  const short = await run(['create', '--username', 'ann', '--password-stdin'], 'short\n')
  t.equal(short.code, ExitCode.Refused)
  t.match(short.err, /at least 12 characters/)
  const same = await run(['create', '--username', 'ann-the-admin', '--password-stdin'], 'ANN-THE-ADMIN\n')
  t.equal(same.code, ExitCode.Refused)
  t.match(same.err, /must not equal the username/)
  const long = await run(['create', '--username', 'ann', '--password-stdin'], `${'é'.repeat(40)}\n`)
  t.equal(long.code, ExitCode.Refused, 'more than 72 bytes refused (bcrypt would truncate)')
  t.equal((await run(['create', '--username', 'bad name', '--password-stdin'], 'long-enough-password\n')).code, ExitCode.Refused)
  t.equal((await run(['create', '--username', 'ann@example.com', '--password-stdin'], 'long-enough-password\n')).code, ExitCode.Refused, 'no emails as usernames')

  // TTY: asked twice (one pasted chunk holding both answers); a mismatch is refused.
  const mismatch = await run(['create', '--username', 'ann'], 'long-password-one\rlong-password-two\r', true)
  t.equal(mismatch.code, ExitCode.Refused)
  t.equal((await run(['disable', '--username', 'nobody'], null)).code, ExitCode.Refused, 'unknown admin')
  t.equal((await run([], null)).code, ExitCode.Usage)
  t.match(mismatch.err, /Password: \nRepeat password: \n.*the two passwords differ/s)
  t.equal(await mongo.db.collection('admins').countDocuments(), 0, 'nothing was written by refused commands')

  const viaTty = await run(['create', '--username', 'ann'], 'long-password-one\rlong-password-one\r', true)
  t.equal(viaTty.code, ExitCode.Done, viaTty.err)
  t.match(viaTty.out, 'created admin "ann"')
  t.notMatch(viaTty.err + viaTty.out, 'long-password-one', 'never echoed')
  const resetUnknown = await run(['reset-password', '--username', 'nobody', '--password-stdin'], 'long-enough-password\n')
  t.equal(resetUnknown.code, ExitCode.Refused)
  t.match(resetUnknown.err, 'No admin named "nobody"')
  const list = await run(['list'], null)
  t.match(list.out, /^ann\tenabled\t\S+\tnever$/m)
})

// --- end to end through bin/seed-admin -------------------------------------------------------------------

/** Compiles the CLI's import closure into a scratch tree laid out like the package: bin/ + dist/ + node_modules. */
async function buildCliTree (dir: string): Promise<string> {
  mkdirSync(join(dir, 'bin'), { recursive: true })
  copyFileSync(join(repo, 'bin/seed-admin'), join(dir, 'bin/seed-admin'))
  copyFileSync(join(repo, 'package.json'), join(dir, 'package.json'))
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'))
  const args = [join(repo, 'node_modules/typescript/bin/tsc'), '--outDir', join(dir, 'dist'), '--rootDir', join(repo, 'src'),
    '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--skipLibCheck', '--esModuleInterop',
    '--resolveJsonModule', '--types', 'node', '--strict', '--noCheck', join(repo, 'src/cli/seed-admin.ts')]
  const r = await runProcess(process.execPath, args, {}, null)
  const entry = join(dir, 'dist/cli/seed-admin.js')
  if (!existsSync(entry)) throw new Error(`tsc emitted no ${entry}: ${r.out}${r.err}`)
  return join(dir, 'bin/seed-admin')
}

// One compiled tree for the whole file (compiling is the slow part); removed when the file's tests end.
const scratch = mkdtempSync(join(tmpdir(), 'atlaslens-seed-admin-'))
t.teardown(() => rmSync(scratch, { recursive: true, force: true }))
let cliTree: Promise<string> | null = null
const cliBin = async (): Promise<string> => (cliTree ??= buildCliTree(join(scratch, 'tree')))

interface Ran { code: number | null, out: string, err: string }

async function runProcess (cmd: string, args: string[], env: Record<string, string>, stdin: string | null): Promise<Ran> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['pipe', 'pipe', 'pipe']
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    child.stderr.on('data', (c: Buffer) => { err += c.toString() })
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, out, err }))
    if (stdin !== null) child.stdin.end(stdin)
    else child.stdin.end()
  })
}

t.test('bin/seed-admin end to end', async (t) => {
  const bin = await cliBin()
  const mongo = await startTestMongo(t)
  const env = { ATLASLENS_MONGODB_URI: mongo.uri, ATLASLENS_DB_NAME: mongo.dbName }
  const passwords = ['first-Password-123', 'second-Password-456']
  const transcript: string[] = []
  const cli = async (args: string[], stdin: string | null = null): Promise<Ran> => {
    const r = await runProcess(process.execPath, [bin, ...args], env, stdin)
    transcript.push(r.out, r.err)
    return r
  }

  const help = await cli(['--help'])
  t.equal(help.code, 0)
  t.match(help.out, /reset-password --username U/)
  t.equal((await cli(['create', '--username', 'ann', '--password', passwords[0] as string])).code, 2, 'password in argv: usage error')

  const created = await cli(['create', '--username', 'Ann', '--password-stdin'], `${passwords[0]}\n`)
  t.equal(created.code, 0, created.err)
  t.match(created.out, 'created admin "Ann"')
  const dup = await cli(['create', '--username', 'ANN', '--password-stdin'], `${passwords[1]}\n`)
  t.equal(dup.code, 1, 'duplicate (case-insensitive) refused')
  t.match(dup.err, /already exists/)

  const admins = mongo.db.collection('admins')
  const before = await admins.findOne({ username_key: 'ann' })
  t.ok(before)
  t.match(before?.password_hash, /^\$2[aby]\$12\$/, 'bcrypt, cost 12')

  const reset = await cli(['reset-password', '--username', 'ann', '--password-stdin'], `${passwords[1]}\n`)
  t.equal(reset.code, 0, reset.err)
  const after = await admins.findOne({ username_key: 'ann' })
  t.not(after?.password_hash, before?.password_hash)
  t.equal(after?.token_version, (before?.token_version as number) + 1, 'reset ends existing sessions')

  t.equal((await cli(['disable', '--username', 'ann'])).code, 0)
  t.equal((await admins.findOne({ username_key: 'ann' }))?.disabled, true)
  const listed = await cli(['list'])
  t.equal(listed.code, 0)
  t.match(listed.out, /^Ann\tdisabled\t/m)
  t.equal((await cli(['enable', '--username', 'ann'])).code, 0)
  t.equal((await admins.findOne({ username_key: 'ann' }))?.disabled, false)

  const audit = await mongo.db.collection('admin_audit').find({}, { sort: { at: 1 } }).toArray()
  t.same(audit.map((e) => e.action), [
    'admin_created', 'admin_change_refused', 'admin_password_reset', 'admin_disabled', 'admin_enabled'
  ], 'provisioning changes are in the operator log')
  t.match(audit[0], { username: 'Ann', outcome: 'success', details: { via: 'seed-admin' } })

  // The plaintext appears nowhere: not in any collection, not in anything the CLI printed.
  const dump: string[] = []
  for (const c of await mongo.db.listCollections().toArray()) {
    dump.push(JSON.stringify(await mongo.db.collection(c.name).find({}).toArray()))
  }
  for (const p of passwords) {
    t.notOk(dump.join('\n').includes(p), 'password not in the database')
    t.notOk(transcript.join('\n').includes(p), 'password not in CLI output')
  }
})

t.test('embedded store: the CLI runs its own store, or talks to the running one', async (t) => {
  const bin = await cliBin()
  const dataDir = join(scratch, 'data')
  mkdirSync(dataDir)
  const env = { ATLASLENS_DATA_DIR: dataDir, ATLASLENS_DB_NAME: 'atl_cli' }

  const alone = await runProcess(process.execPath, [bin, 'create', '--username', 'solo', '--password-stdin'], env, 'solo-password-1234\n')
  t.equal(alone.code, 0, alone.err)
  t.notOk(existsSync(join(dataDir, 'store.lock')), 'the store it started was closed again')

  // Now a "server" owns the data directory.
  const store = await startEmbeddedStore({ dataDir, port: 0 })
  t.teardown(() => store.close())
  const shared = await runProcess(process.execPath, [bin, 'create', '--username', 'second', '--password-stdin'], env, 'second-password-1234\n')
  t.equal(shared.code, 0, shared.err)
  const client = await MongoClient.connect(store.uri)
  t.teardown(() => client.close())
  const names = (await client.db('atl_cli').collection('admins').find({}).toArray()).map((a) => a.username).sort()
  t.same(names, ['second', 'solo'], 'both admins are in the one store, written through the running server')
  t.equal(readFileSync(join(dataDir, 'store.lock'), 'utf8').trim(), String(process.pid), 'the running store still owns its lock')
})
