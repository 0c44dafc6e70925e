// The TCP side: one loopback listener, per-connection framing, command dispatch, journal commit before replies.
import net from 'node:net'
import type { Logger } from 'pino'
import { HANDLERS, WRITE_COMMANDS, type CommandContext } from './commands.js'
import { CommandError } from './errors.js'
import type { Engine } from './engine.js'
import type { CursorManager } from './cursors.js'
import { encodeMsg, encodeReply, MsgFlags, parseMessage } from './wire-protocol.js'
import { OpLatencies } from './op-latencies.js'
import type { Doc } from './values.js'

const MAX_MESSAGE = 48_000_000

function errorReply (err: unknown): Doc {
  if (err instanceof CommandError) return { ok: 0, errmsg: err.message, code: err.code, codeName: err.codeName, ...err.extra }
  return { ok: 0, errmsg: err instanceof Error ? err.message : String(err), code: 1, codeName: 'InternalError' }
}

export class WireServer {
  private readonly server: net.Server
  private readonly sockets = new Set<net.Socket>()
  private connections = 0
  private readonly startedAt = new Date()
  private readonly opLatencies = new OpLatencies()

  constructor (private readonly engine: Engine, private readonly cursors: CursorManager, private readonly logger?: Logger) {
    this.server = net.createServer((s) => this.accept(s))
  }

  listen (port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject)
        resolve((this.server.address() as net.AddressInfo).port)
      })
    })
  }

  async close (): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    for (const s of this.sockets) s.destroy()
    await closed
  }

  private accept (socket: net.Socket): void {
    this.sockets.add(socket)
    socket.setNoDelay(true)
    const ctx: CommandContext = { engine: this.engine, cursors: this.cursors, connectionId: ++this.connections, startedAt: this.startedAt, opLatencies: this.opLatencies }
    let buffered: Buffer[] = []
    let size = 0
    // Replies go out in request order even though write commands wait for the journal.
    let chain: Promise<void> = Promise.resolve()
    // Chunks are only joined once a whole message has arrived (joining on every chunk is quadratic for big bulks).
    socket.on('data', (chunk: Buffer) => {
      buffered.push(chunk)
      size += chunk.length
      while (size >= 4) {
        if ((buffered[0] as Buffer).length < 4) buffered = [Buffer.concat(buffered)]
        const len = (buffered[0] as Buffer).readInt32LE(0)
        if (len < 16 || len > MAX_MESSAGE) { socket.destroy(); return }
        if (size < len) break
        const head = buffered.length === 1 ? buffered[0] as Buffer : Buffer.concat(buffered)
        const msg = head.subarray(0, len)
        const rest = head.subarray(len)
        buffered = rest.length > 0 ? [rest] : []
        size = rest.length
        const reply = this.handle(msg, ctx)
        chain = chain.then(async () => {
          const out = await reply
          if (out === 'close') socket.destroy()
          else if (out !== null && !socket.destroyed) socket.write(out)
        })
      }
    })
    socket.on('error', () => socket.destroy())
    socket.on('close', () => this.sockets.delete(socket))
  }

  /** Runs the command synchronously (so concurrent clients see a serial order), then awaits durability. */
  private async handle (buf: Buffer, ctx: CommandContext): Promise<Buffer | null | 'close'> {
    const startedAt = process.hrtime.bigint()
    let parsed
    try { parsed = parseMessage(buf) } catch (err) {
      // The client would wait forever for a reply it will never get: drop the connection instead.
      this.logger?.warn({ err }, 'embedded store could not parse a wire message; closing the connection')
      return 'close'
    }
    const { command, db, requestId, legacy, flags } = parsed
    const name = Object.keys(command)[0] ?? ''
    let body: Doc
    try {
      const handler = HANDLERS[name] ?? HANDLERS[name.toLowerCase()]
      if (handler === undefined) body = { ok: 0, errmsg: `no such command: '${name}'`, code: 59, codeName: 'CommandNotFound' }
      else body = handler(command, db, ctx)
    } catch (err) {
      body = errorReply(err)
      if (!(err instanceof CommandError)) this.logger?.error({ err, command: name }, 'embedded store command failed')
    }
    if (WRITE_COMMANDS.has(name)) {
      try { await this.engine.commit() } catch (err) {
        this.logger?.error({ err }, 'embedded store journal write failed')
        body = { ok: 0, errmsg: 'journal write failed; the write may not be durable', code: 1, codeName: 'InternalError' }
      }
    }
    const reply = (flags & MsgFlags.MoreToCome) !== 0 ? null : legacy ? encodeReply(requestId, body) : encodeMsg(requestId, body)
    this.opLatencies.record(name, startedAt)
    return reply
  }
}
