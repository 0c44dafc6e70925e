// Parses the simulator CLI flags into SimulatorOptions (pure, so it is testable without a process).
import type { SimulatorOptions } from './index.js'
import { SimulatorOptionsInvalid } from './errors.js'

export interface CliConfig { port: number, options: SimulatorOptions }

const VALUE_FLAGS = new Set(['--port', '--seed', '--size', '--guard', '--faults', '--email', '--token', '--org-key', '--org-id', '--workspace', '--now', '--people', '--events'])

export function parseCliArgs (argv: readonly string[]): CliConfig {
  const v: Record<string, string> = {}
  let hostile = false
  let logger = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--hostile') { hostile = true; continue }
    if (a === '--log') { logger = true; continue }
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined]
    if (!VALUE_FLAGS.has(flag!)) throw new SimulatorOptionsInvalid(`unknown flag ${flag!}`)
    const value = inline ?? argv[++i]
    if (value === undefined) throw new SimulatorOptionsInvalid(`${flag!} needs a value`)
    v[flag!] = value
  }
  const int = (flag: string, def: number): number => {
    if (v[flag] === undefined) return def
    const n = Number(v[flag])
    if (!Number.isInteger(n) || n < 0) throw new SimulatorOptionsInvalid(`${flag} must be a non-negative integer`)
    return n
  }
  const size = v['--size'] ?? 'small'
  if (!['small', 'medium', 'large'].includes(size)) throw new SimulatorOptionsInvalid('--size must be small, medium or large')
  const guard = v['--guard'] ?? 'on'
  if (guard !== 'on' && guard !== 'off') throw new SimulatorOptionsInvalid('--guard must be on or off')
  const faults = v['--faults'] ?? 'none'
  if (!['none', 'default', 'heavy'].includes(faults)) throw new SimulatorOptionsInvalid('--faults must be none, default or heavy')
  let now: Date | undefined
  if (v['--now'] !== undefined) {
    now = new Date(v['--now'])
    if (Number.isNaN(now.getTime())) throw new SimulatorOptionsInvalid('--now must be an ISO date')
  }
  const options: SimulatorOptions = {
    seed: int('--seed', 1),
    size: v['--people'] !== undefined || v['--events'] !== undefined
      ? { people: int('--people', 40), events: int('--events', 3000) }
      : size as 'small' | 'medium' | 'large',
    guard: guard === 'on',
    faults: faults as 'none' | 'default' | 'heavy',
    hostile,
    logger,
    credentials: { email: v['--email'] ?? 'admin@example.com', token: v['--token'] ?? 'sim-token', orgKey: v['--org-key'] ?? 'sim-org-key' },
    orgId: v['--org-id'] ?? 'sim-org',
    workspace: v['--workspace'] ?? 'acme'
  }
  if (now !== undefined) options.now = now
  return { port: int('--port', 8900), options }
}
