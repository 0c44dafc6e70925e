// Event-shaped documents shared by the store benches: document i of n, its occurred_at spread over one year.
// `shuffled` spreads times pseudo-randomly (index inserts land all over the key space) instead of in i order.
export const DAY = 86_400_000
const ops = ['issue_created', 'issue_updated', 'page_viewed', 'permission_changed', 'user_added', 'space_exported']
const products = ['jira', 'confluence', 'bitbucket', 'admin']
export const T0 = Date.UTC(2025, 0, 1)

export function benchEvent (i, n, { shuffled = false } = {}) {
  const product = products[i % products.length]
  const fraction = shuffled ? ((i * 7919) % n) / n : i / n
  return {
    _id: `${product}:acme:${i.toString(36).padStart(8, '0')}`,
    occurred_at: new Date(T0 + Math.floor(fraction * 365 * DAY)),
    ingested_at: new Date(),
    site: 'acme.atlassian.net',
    product,
    pipeline: 'audit',
    category: i % 7 === 0 ? 'security' : 'content',
    operation: ops[i % ops.length],
    severity: i % 11 === 0 ? 'high' : 'low',
    actor_account_id: `5b10ac8d82e05b22cc7d4e${(i * 7919) % 2000}`,
    object: { type: 'issue', id: String(i), name: `Issue ${i}`, container: `PROJ${i % 40}`, url: `https://acme.atlassian.net/browse/PROJ-${i}` },
    changes: [{ field: 'status', from: 'Open', to: 'Done' }],
    source_ip: `10.0.${i % 255}.${i % 253}`,
    summary: `Changed status of PROJ-${i}`,
    source: `${product}-audit`,
    source_record_id: String(i)
  }
}
