// `atlaslens-store`: starts on a data directory, says what it is, serves the driver, stops cleanly on SIGTERM.
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { MongoClient } from 'mongodb'

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/db/embedded/store-cli.ts')

t.test('the standalone store runs, logs its nature, and exits 0 on SIGTERM', async (t) => {
  const dataDir = t.testdir()
  const proc = spawn(process.execPath, [...process.execArgv, cli, '--data-dir', dataDir, '--port', '0', '--ttl-interval-ms', '500'], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (proc.exitCode === null) proc.kill('SIGKILL') })
  let out = ''
  for await (const chunk of proc.stdout) {
    out += String(chunk)
    if (out.includes('"uri"')) break
  }
  const line = JSON.parse(out.split('\n').find((l) => l.includes('"uri"')) as string) as { uri: string; msg: string }
  t.match(line.msg, /embedded single-node/)
  t.match(line.msg, /ATLASLENS_MONGODB_URI/)
  const client = await MongoClient.connect(line.uri)
  await client.db('cli').collection('c').insertOne({ ok: true })
  t.equal(await client.db('cli').collection('c').countDocuments(), 1)
  await client.close()
  proc.kill('SIGTERM')
  const [code] = await once(proc, 'exit') as [number | null]
  t.equal(code, 0)
  t.notOk((await readdir(dataDir)).includes('store.lock'), 'lock released')
})

t.test('without a data directory it explains its usage', async (t) => {
  const proc = spawn(process.execPath, [...process.execArgv, cli], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ATLASLENS_DATA_DIR: '' } })
  let out = ''
  proc.stdout.on('data', (c: Buffer) => { out += String(c) })
  const [code] = await once(proc, 'exit') as [number | null]
  t.equal(code, 2)
  t.match(out, /usage: atlaslens-store --data-dir DIR/)
})
