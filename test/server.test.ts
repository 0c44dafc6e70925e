// The process: refuses bad configuration with a clear message, serves probes, and closes gracefully on SIGTERM.
import t from 'tap'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { randomFernetKey } from './helpers/test-config.js'

const serverEntry = fileURLToPath(new URL('../src/server.ts', import.meta.url))

interface Run { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

function runServer (env: Record<string, string>, onLine?: (line: string, proc: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [...process.execArgv, serverEntry], {
      // Keep the loader's settings (TS_NODE_*, TAP_*); drop any ATLASLENS_* of the outer shell.
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ATLASLENS_'))), ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    proc.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      for (const line of chunk.toString().split('\n')) if (line !== '') onLine?.(line, proc)
    })
    proc.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    const timer = setTimeout(() => proc.kill('SIGKILL'), 150_000)
    proc.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }) })
  })
}

t.test('an invalid Fernet key stops start-up, naming the variable and not echoing the value', async (t) => {
  const run = await runServer({ ATLASLENS_ENCRYPTION_KEY: 'not-a-key', ATLASLENS_JWT_SECRET: randomBytes(32).toString('hex') })
  t.equal(run.code, 1)
  t.match(run.stderr, /ATLASLENS_ENCRYPTION_KEY must be a Fernet key/)
  t.notMatch(run.stderr + run.stdout, /not-a-key/)
})

t.test('a short JWT secret stops start-up the same way', async (t) => {
  const run = await runServer({ ATLASLENS_ENCRYPTION_KEY: randomFernetKey(), ATLASLENS_JWT_SECRET: 'tooshort-abc' })
  t.equal(run.code, 1)
  t.match(run.stderr, /ATLASLENS_JWT_SECRET must be at least 32 bytes/)
  t.notMatch(run.stderr + run.stdout, /tooshort-abc/)
})

t.test('with valid settings it serves /healthz on the embedded store and closes on SIGTERM', async (t) => {
  const dataDir = t.testdir({})
  let health: number | null = null
  const run = await runServer({
    ATLASLENS_ENCRYPTION_KEY: randomFernetKey(),
    ATLASLENS_JWT_SECRET: randomBytes(32).toString('hex'),
    ATLASLENS_DATA_DIR: dataDir,
    ATLASLENS_PORT: '0',
    ATLASLENS_SCHEDULER_ENABLED: 'false'
  }, (line, proc) => {
    const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
    if (m !== null) {
      fetch(`${m[1]}/healthz`)
        .then((res) => { health = res.status })
        .catch(() => { health = -1 })
        .finally(() => proc.kill('SIGTERM'))
    }
  })
  t.equal(health, 200)
  t.equal(run.code, 0, 'graceful exit after SIGTERM')
  t.match(run.stdout, /closing gracefully/)
})
