// `npm run simulator -- --port N --seed S --size small|medium|large --guard on|off --faults none|default|heavy
//  --email E --token T --org-key K [--hostile] [--now ISO] [--people N --events N]`
import closeWithGrace from 'close-with-grace'
import { parseCliArgs } from './cli-args.js'
import { startSimulator } from './index.js'

const { port, options } = parseCliArgs(process.argv.slice(2))
const sim = await startSimulator(options, port)
// Secrets are never printed: only where to point AtlasLens.
process.stdout.write([
  `Atlassian simulator listening on ${sim.url}`,
  `  Jira/Confluence site: ${sim.url}`,
  `  Bitbucket:            ${sim.url}/2.0  (workspace ${sim.handle.workspace})`,
  `  Admin API:            ${sim.url}/admin  (org ${sim.handle.orgId}, Guard ${options.guard === false ? 'off' : 'on'})`,
  `  Ground truth:         ${sim.url}/_simulator/ground-truth`,
  `  Clock:                ${sim.handle.clock.now().toISOString()} (faults: ${String(options.faults)})`,
  ''
].join('\n'))
closeWithGrace({ delay: 5000 }, async () => { await sim.close() })
