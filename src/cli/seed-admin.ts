// bin/seed-admin: the only way to provision operators. Passwords come from a no-echo TTY prompt or stdin, never argv.
import { hostname, userInfo } from 'node:os'
import type { Readable, Writable } from 'node:stream'
import { type AdminsRepository, createAdminsRepository } from '../auth/admins-repository.js'
import { hashPassword, passwordProblem } from '../auth/passwords.js'
import { usernameProblem } from '../auth/usernames.js'
import type { Env } from '../config/secret-source.js'
import { createOperatorLogRepository, type OperatorLogRepository } from '../operator-log/operator-log-repository.js'
import { OperatorAction, Outcome } from '../operator-log/operator-action.js'
import { type AdminStore, openAdminStore } from './admin-store.js'

export const ExitCode = Object.freeze({ Done: 0, Refused: 1, Usage: 2 } as const)
export type ExitCode = typeof ExitCode[keyof typeof ExitCode]

export const Command = Object.freeze({
  Create: 'create',
  ResetPassword: 'reset-password',
  Disable: 'disable',
  Enable: 'enable',
  List: 'list'
} as const)
export type Command = typeof Command[keyof typeof Command]

export const USAGE = `Usage: seed-admin <command> [options]

Provision AtlasLens operators (every operator is a full administrator; there is no sign-up).

Commands:
  create --username U           create an operator (asks for a password)
  reset-password --username U   set a new password; ends all of that operator's sessions
  disable --username U          block sign-in and end all sessions
  enable --username U           allow sign-in again (old sessions stay ended)
  list                          show operators, their status and last login

Options:
  --username U        operator name: 2-64 letters, digits, ".", "_" or "-" (case-insensitive)
  --password-stdin    read the password from standard input (first line) instead of prompting
  -h, --help          show this help

Passwords are asked twice on the terminal without echo, or read with --password-stdin.
They are never accepted as arguments. At least 12 characters, at most 72 bytes, not equal
to the username. Only a bcrypt hash (cost 12) is stored.

Database (the same variables as the server; no encryption key or JWT secret needed):
  ATLASLENS_MONGODB_URI (or _FILE)  MongoDB to use; when unset, the embedded store under
  ATLASLENS_DATA_DIR (default ./data) is used: through the running server if there is one,
                                    otherwise the command starts the store itself for its run
  ATLASLENS_DB_NAME                 database name (default atlaslens)

Every change is recorded in the operator log (admin_audit).

Exit codes: 0 done, 1 refused (the reason is printed), 2 usage error.
`

export interface ParsedArgs {
  command: Command
  username: string | null
  passwordStdin: boolean
}

export type ParseResult = { ok: true, args: ParsedArgs } | { ok: false, help: boolean, problem: string | null }

const COMMANDS: readonly string[] = Object.values(Command)
const NEEDS_USERNAME: readonly Command[] = [Command.Create, Command.ResetPassword, Command.Disable, Command.Enable]
const NEEDS_PASSWORD: readonly Command[] = [Command.Create, Command.ResetPassword]

export function parseSeedAdminArgs (argv: readonly string[]): ParseResult {
  if (argv.includes('--help') || argv.includes('-h')) return { ok: false, help: true, problem: null }
  const [command, ...rest] = argv
  if (command === undefined) return { ok: false, help: false, problem: 'a command is required' }
  if (!COMMANDS.includes(command)) return { ok: false, help: false, problem: `unknown command "${printable(command)}"` }
  let username: string | null = null
  let passwordStdin = false
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string
    if (arg === '--username' || arg.startsWith('--username=')) {
      const value = arg === '--username' ? rest[++i] : arg.slice('--username='.length)
      if (value === undefined || value === '') return { ok: false, help: false, problem: '--username needs a value' }
      username = value
    } else if (arg === '--password-stdin') {
      passwordStdin = true
    } else if (/^--?pass(word)?($|=)/i.test(arg) || arg === '-p') {
      // Arguments end up in shell history and `ps`: refuse without echoing the value.
      return { ok: false, help: false, problem: 'passwords are never accepted as arguments; use the prompt or --password-stdin' }
    } else {
      return { ok: false, help: false, problem: `unexpected argument "${printable(arg)}"` }
    }
  }
  const cmd = command as Command
  if (NEEDS_USERNAME.includes(cmd) && username === null) return { ok: false, help: false, problem: `${cmd} needs --username` }
  if (!NEEDS_USERNAME.includes(cmd) && username !== null) return { ok: false, help: false, problem: `${cmd} takes no --username` }
  if (passwordStdin && !NEEDS_PASSWORD.includes(cmd)) return { ok: false, help: false, problem: `${cmd} reads no password` }
  return { ok: true, args: { command: cmd, username, passwordStdin } }
}

/** A terminal-ish input: process.stdin, or a test double. */
export type PromptInput = Readable & { isTTY?: boolean, setRawMode?: (raw: boolean) => unknown }

export interface SeedAdminIo {
  argv: readonly string[]
  env: Env
  stdin: PromptInput
  stdout: Writable
  stderr: Writable
  /** Who ran the command, for the operator log; defaults to the OS account. */
  actor?: string
}

export class PromptAbortedError extends Error {}

/** Reads one line from a TTY in raw mode so nothing is echoed. */
export async function readHiddenLine (input: PromptInput, output: Writable, prompt: string): Promise<string> {
  output.write(prompt)
  return new Promise((resolve, reject) => {
    let value = ''
    const finish = (): void => {
      input.removeListener('data', onData)
      input.removeListener('end', onEnd)
      input.setRawMode?.(false)
      input.pause()
      output.write('\n')
    }
    const onEnd = (): void => { finish(); reject(new PromptAbortedError('input ended')) }
    const onData = (chunk: string | Buffer): void => {
      const chars = [...String(chunk)]
      for (let i = 0; i < chars.length; i++) {
        const ch = chars[i] as string
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish()
          // A paste can hold both answers: hand the rest back for the next prompt.
          const rest = chars.slice(i + 1).join('').replace(/^\n/, '')
          if (rest !== '') input.unshift(rest)
          resolve(value)
          return
        }
        if (ch === '\u0003') { finish(); reject(new PromptAbortedError('cancelled')); return }
        if (ch === '\u007f' || ch === '\b') { value = [...value].slice(0, -1).join(''); continue }
        if (ch >= ' ') value += ch
      }
    }
    if (input.readableEnded) { output.write('\n'); reject(new PromptAbortedError('input ended')); return }
    input.setRawMode?.(true)
    input.on('data', onData)
    input.once('end', onEnd)
    input.resume()
  })
}

/** Reads the whole of stdin and takes its first line (a trailing newline from `echo` is not part of the password). */
export async function readPasswordFromStream (input: Readable): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)))
  const text = Buffer.concat(chunks).toString('utf8')
  return text.split(/\r?\n/)[0] ?? ''
}

class Refusal extends Error {}
class UsageProblem extends Error {}

async function obtainPassword (io: SeedAdminIo, args: ParsedArgs): Promise<string> {
  if (args.passwordStdin) return readPasswordFromStream(io.stdin)
  if (io.stdin.isTTY !== true) {
    throw new UsageProblem('standard input is not a terminal: pipe the password in and pass --password-stdin')
  }
  const first = await readHiddenLine(io.stdin, io.stderr, 'Password: ')
  const second = await readHiddenLine(io.stdin, io.stderr, 'Repeat password: ')
  if (first !== second) throw new Refusal('the two passwords differ')
  return first
}

export async function runSeedAdmin (io: SeedAdminIo): Promise<ExitCode> {
  const parsed = parseSeedAdminArgs(io.argv)
  if (parsed.ok === false) {
    if (parsed.help) { io.stdout.write(USAGE); return ExitCode.Done }
    io.stderr.write(`seed-admin: ${parsed.problem ?? 'usage error'}\n\n${USAGE}`)
    return ExitCode.Usage
  }
  const { args } = parsed
  const actor = io.actor ?? osActor()

  try {
    if (args.username !== null) {
      const problem = usernameProblem(args.username)
      if (problem !== null) throw new Refusal(`invalid username: ${problem}`)
    }
    // Ask for the password before touching the database, so a typo costs nothing.
    let password: string | null = null
    if (NEEDS_PASSWORD.includes(args.command)) {
      password = await obtainPassword(io, args)
      const problem = passwordProblem(args.username ?? '', password)
      if (problem !== null) throw new Refusal(`password refused: ${problem}`)
    }

    let store: AdminStore
    try {
      store = await openAdminStore(io.env)
    } catch (err) {
      throw new Refusal(`cannot open the database: ${(err as Error).message}`)
    }
    try {
      const admins = createAdminsRepository(store.db)
      const log = createOperatorLogRepository(store.db)
      await admins.ensureIndexes()
      await log.ensureIndexes()
      await execute(args, password, admins, log, actor, io)
    } finally {
      await store.close()
    }
    return ExitCode.Done
  } catch (err) {
    if (err instanceof UsageProblem) {
      io.stderr.write(`seed-admin: ${err.message}\n`)
      return ExitCode.Usage
    }
    if (err instanceof Refusal || err instanceof PromptAbortedError) {
      io.stderr.write(`seed-admin: refused: ${err.message}\n`)
      return ExitCode.Refused
    }
    const coded = err as { code?: string, message?: string }
    if (typeof coded.code === 'string' && coded.code.startsWith('ATL_')) {
      io.stderr.write(`seed-admin: refused: ${coded.message ?? coded.code}\n`)
      return ExitCode.Refused
    }
    throw err
  }
}

async function execute (
  args: ParsedArgs, password: string | null, admins: AdminsRepository, log: OperatorLogRepository,
  actor: string, io: SeedAdminIo
): Promise<void> {
  const username = args.username ?? ''
  const audit = async (action: string, outcome: Outcome, extra: Record<string, string> = {}): Promise<void> => {
    await log.record({ action, username, ip: null, outcome, details: { via: 'seed-admin', actor, ...extra } })
  }

  switch (args.command) {
    case Command.Create: {
      if (await admins.findByUsername(username) !== null) {
        await audit(OperatorAction.AdminChangeRefused, Outcome.Failure, { command: 'create', reason: 'exists' })
        throw new Refusal(`an admin named "${username}" already exists (use reset-password)`)
      }
      const hash = await hashPassword(password as string)
      try {
        await admins.create(username, hash)
      } catch (err) {
        // Lost a race with a concurrent create: the unique index decided.
        if ((err as { code?: string }).code === 'ATL_ADMIN_EXISTS') {
          await audit(OperatorAction.AdminChangeRefused, Outcome.Failure, { command: 'create', reason: 'exists' })
        }
        throw err
      }
      await audit(OperatorAction.AdminCreated, Outcome.Success)
      io.stdout.write(`created admin "${username}"\n`)
      return
    }
    case Command.ResetPassword: {
      const hash = await hashPassword(password as string)
      await admins.setPasswordHash(username, hash)
      await audit(OperatorAction.AdminPasswordReset, Outcome.Success)
      io.stdout.write(`password of "${username}" reset; existing sessions ended\n`)
      return
    }
    case Command.Disable:
    case Command.Enable: {
      const disable = args.command === Command.Disable
      await admins.setDisabled(username, disable)
      await audit(disable ? OperatorAction.AdminDisabled : OperatorAction.AdminEnabled, Outcome.Success)
      io.stdout.write(disable ? `disabled "${username}"; existing sessions ended\n` : `enabled "${username}"\n`)
      return
    }
    case Command.List: {
      const rows = await admins.list()
      if (rows.length === 0) { io.stdout.write('no admins yet (create one with: seed-admin create --username NAME)\n'); return }
      io.stdout.write('username\tstatus\tcreated\tlast login\n')
      for (const r of rows) {
        io.stdout.write(`${r.username}\t${r.disabled ? 'disabled' : 'enabled'}\t${r.createdAt.toISOString()}\t${r.lastLoginAt?.toISOString() ?? 'never'}\n`)
      }
    }
  }
}

function osActor (): string {
  try {
    return `${userInfo().username}@${hostname()}`
  } catch {
    return `uid ${process.getuid?.() ?? '?'}@${hostname()}`
  }
}

function printable (value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 40)
}

/** Entry point used by bin/seed-admin. */
export async function main (): Promise<void> {
  let code: number
  try {
    code = await runSeedAdmin({
      argv: process.argv.slice(2),
      env: process.env,
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr
    })
  } catch (err) {
    // Unexpected failure: name it without dumping objects that could hold connection strings.
    process.stderr.write(`seed-admin: failed: ${(err as Error).name}: ${(err as Error).message}\n`)
    code = ExitCode.Refused
  }
  process.exit(code)
}
