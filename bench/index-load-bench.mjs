// Secondary-index maintenance figures (not assertions): loads event-shaped documents straight into an embedded-store
// Collection carrying the events indexes (EVENT_INDEXES + the occurred_at TTL index), on this thread, no driver/wire.
// Run: npm run build && node --expose-gc bench/index-load-bench.mjs [N]   (default 100k)
// Also: 10k `$inc`-style rewrites that leave indexed fields unchanged, and heap bytes per document and per entry.
import { Collection } from '../dist/db/embedded/collection.js'
import { normaliseSpec } from '../dist/db/embedded/engine.js'
import { EVENT_INDEXES, RETENTION_SECONDS } from '../dist/events/event-indexes.js'
import { benchEvent, DAY, T0 as t0 } from './event-fixture.mjs'

const N = Number(process.argv[2] ?? 100_000)
const event = (i) => benchEvent(i, N, { shuffled: true })
const specs = [{ key: { occurred_at: 1 }, name: 'occurred_at_ttl', expireAfterSeconds: RETENTION_SECONDS }, ...EVENT_INDEXES]
  .map((s) => normaliseSpec(s))
const gc = () => { global.gc?.(); global.gc?.() }
const timed = (fn) => {
  const c0 = process.cpuUsage(); const w0 = process.hrtime.bigint()
  fn()
  const c = process.cpuUsage(c0)
  return { wallMs: Number(process.hrtime.bigint() - w0) / 1e6, cpuMs: (c.user + c.system) / 1000 }
}
const fmt = (t) => `${t.wallMs.toFixed(0)} ms wall, ${t.cpuMs.toFixed(0)} ms cpu`

// Documents are built before timing so that only the store's put() is measured.
const docs = Array.from({ length: N }, (_, i) => event(i))
const figures = {}
// Same documents without indexes: the baseline that index time is measured against.
const plain = new Collection('bench', 'plain')
const plainDocs = docs.map((d) => structuredClone(d))
const tPlain = timed(() => { for (const d of plainDocs) plain.put(d) })
figures[`put ${N} docs, no secondary index`] = fmt(tPlain)
const clones = docs.map((d) => structuredClone(d))
gc()
const c = new Collection('bench', 'events')
for (const s of specs) c.addIndex(s)
const tIx = timed(() => { for (const d of clones) c.put(d) })
let entries = 0
for (const ix of c.indexes.values()) entries += ix.size
figures[`put ${N} docs, ${specs.length} indexes`] = fmt(tIx)
figures['index cost per doc (cpu)'] = `${((tIx.cpuMs - tPlain.cpuMs) * 1000 / N).toFixed(1)} µs`
// Rewrites that change no indexed field (a rollup's $inc): index maintenance should cost ~nothing.
const M = Math.min(10_000, N)
const rewrites = Array.from({ length: M }, (_, i) => ({ ...c.getById(docs[i]._id), count: i }))
const tRe = timed(() => { for (const d of rewrites) c.put(d) })
figures[`${M} rewrites, indexed fields unchanged`] = fmt(tRe)
// Rewrites that move every document in time: remove + insert on every index.
const moved = Array.from({ length: M }, (_, i) => ({ ...c.getById(docs[i]._id), occurred_at: new Date(t0 + ((i * 31) % 365) * DAY + 1) }))
const tMv = timed(() => { for (const d of moved) c.put(d) })
figures[`${M} rewrites, occurred_at changed`] = fmt(tMv)

// Reads through the planner: one actor's newest 50, and a 30-day range scan.
const tQ = timed(() => {
  for (let k = 0; k < 200; k++) c.find({ filter: { actor_account_id: `5b10ac8d82e05b22cc7d4e${k}` }, sort: { occurred_at: -1 }, limit: 50 })
})
figures['200 x one actor newest 50'] = fmt(tQ)
let got = 0
const tR = timed(() => { got = c.find({ filter: { occurred_at: { $gte: new Date(t0 + 335 * DAY), $lt: new Date(t0 + 365 * DAY) } } }).raws.length })
figures['30-day occurred_at range'] = `${fmt(tR)} (${got} docs)`
// Index heap = heap with the indexes minus heap once they are dropped (documents stay referenced either way).
gc()
const withIx = process.memoryUsage().heapUsed
c.indexes.clear()
// Rewriting one document refreshes the collection's cached index field list, which still references the indexes.
c.put(c.getById(docs[0]._id))
gc()
const ixHeap = withIx - process.memoryUsage().heapUsed
figures['index heap per doc / per entry'] = `${(ixHeap / N).toFixed(0)} B / ${(ixHeap / entries).toFixed(1)} B (${entries} entries)`

console.log(JSON.stringify({ n: N, node: process.version, figures }, null, 2))
