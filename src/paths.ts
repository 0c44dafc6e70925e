// Locations of the non-code assets, resolved from this module so they work from src/ (tests) and dist/ (runtime).
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const viewsDir = resolve(projectRoot, 'views')
export const publicDir = resolve(projectRoot, 'public')
