// serverStatus.opLatencies as mongod reports it: per class of operation, how many were served and their summed
// latency in microseconds, from the start of a command's processing until its reply is ready (a write's journal
// commit included, the network not). One command counts once, however many statements it carries. Benchmarks read
// it to tell the store's own share of a bulk write from the driver's encoding and decoding on the client side.
import { Long } from 'bson'
import type { Doc } from './values.js'

type OpClass = 'reads' | 'writes' | 'commands'

const CLASS_OF: Readonly<Record<string, OpClass>> = {
  find: 'reads', getMore: 'reads', aggregate: 'reads', count: 'reads', distinct: 'reads',
  insert: 'writes', update: 'writes', delete: 'writes', findAndModify: 'writes', findandmodify: 'writes'
}

export class OpLatencies {
  private readonly totals: Record<OpClass, { micros: number; ops: number }> = {
    reads: { micros: 0, ops: 0 }, writes: { micros: 0, ops: 0 }, commands: { micros: 0, ops: 0 }
  }

  /** Records one command; `startedAt` is the `process.hrtime.bigint()` taken when its processing began. */
  record (command: string, startedAt: bigint): void {
    const total = this.totals[CLASS_OF[command] ?? 'commands']
    total.micros += Number((process.hrtime.bigint() - startedAt) / 1000n)
    total.ops++
  }

  toDoc (): Doc {
    const out: Doc = {}
    for (const [name, t] of Object.entries(this.totals)) out[name] = { latency: Long.fromNumber(t.micros), ops: Long.fromNumber(t.ops) }
    return out
  }
}
