// How fast this machine runs right now. The build machine is shared and its speed moves in phases of seconds: the
// probe below takes 17-20 ms in one second and 30-37 ms the next (most often the slower), on either core, in CPU
// time as well as wall time, with no steal time shown. A bench's figures are only comparable (with each other, and with a
// target) when each is printed beside the machine's speed at the time. The probe is a fixed workload like the
// benches' own: BSON encode and decode of event-shaped documents, the driver's and the store's per-document work.
import { readFileSync } from 'node:fs'
import { BSON } from 'mongodb'
import { benchEvent } from './event-fixture.mjs'

const DOCS = 1_000
let docs = null

/** One sample: milliseconds to encode and decode DOCS event documents (about 20 ms at the machine's best). */
export function probe () {
  if (docs === null) {
    docs = Array.from({ length: DOCS }, (_, i) => benchEvent(i, DOCS))
    for (let i = 0; i < 5; i++) for (const d of docs) BSON.deserialize(BSON.serialize(d)) // JIT warm-up
  }
  const t = process.hrtime.bigint()
  for (const d of docs) BSON.deserialize(BSON.serialize(d))
  return Number(process.hrtime.bigint() - t) / 1e6
}

/** The best of `samples` probes a little apart (a calibration for a whole run). */
export async function calibrate (samples = 10) {
  let best = Infinity
  for (let i = 0; i < samples; i++) {
    best = Math.min(best, probe())
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return best
}

export const PROBE_LABEL = `${DOCS} BSON encodes+decodes of an event document (lower = faster machine)`

function readCpuTicks () {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
    return { steal: f[7] ?? 0, total: f.reduce((a, b) => a + b, 0) }
  } catch { return null }
}

function readCpuPressureMicros () {
  try {
    const m = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'))
    return m === null ? null : Number(m[1])
  } catch { return null }
}

/**
 * Starts watching how contended the machine is (Linux only); the returned function describes the interval since:
 * steal (CPU time the hypervisor gave to other guests) and CPU pressure (wall time in which some runnable task of
 * this machine waited for a CPU).
 */
export function watchContention () {
  const t0 = process.hrtime.bigint()
  const ticks0 = readCpuTicks()
  const pressure0 = readCpuPressureMicros()
  return () => {
    const wallMicros = Number(process.hrtime.bigint() - t0) / 1000
    const ticks1 = readCpuTicks()
    const pressure1 = readCpuPressureMicros()
    const parts = []
    if (ticks0 !== null && ticks1 !== null && ticks1.total > ticks0.total) parts.push(`steal ${((100 * (ticks1.steal - ticks0.steal)) / (ticks1.total - ticks0.total)).toFixed(0)}%`)
    if (pressure0 !== null && pressure1 !== null) parts.push(`CPU pressure ${((100 * (pressure1 - pressure0)) / wallMicros).toFixed(0)}% of wall time`)
    return parts.length > 0 ? parts.join(', ') : 'not available on this system'
  }
}
