// Secrets come from VAR or from the file named by VAR_FILE (Docker/Kubernetes secrets), never both.
import { readFileSync } from 'node:fs'

export type Env = Readonly<Record<string, string | undefined>>

export interface SecretResult {
  value: string | null
  problem: string | null
}

export function readSecret (env: Env, name: string): SecretResult {
  const direct = nonEmpty(env[name])
  const file = nonEmpty(env[`${name}_FILE`])
  if (direct !== null && file !== null) {
    return { value: null, problem: `set either ${name} or ${name}_FILE, not both` }
  }
  if (file !== null) return readSecretFile(file, `${name}_FILE`)
  return { value: direct, problem: null }
}

export function readSecretFile (path: string, label: string): SecretResult {
  try {
    const value = readFileSync(path, 'utf8').trim()
    if (value === '') return { value: null, problem: `${label} names an empty file` }
    return { value, problem: null }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable'
    return { value: null, problem: `${label} names a file that cannot be read (${code})` }
  }
}

export function nonEmpty (value: string | undefined): string | null {
  if (value === undefined) return null
  const trimmed = value.trim()
  return trimmed === '' ? null : trimmed
}
