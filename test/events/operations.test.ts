import t from 'tap'
import { readFileSync } from 'node:fs'
import { DEFAULT_RATING, OPERATIONS, rateOperation } from '../../src/events/operations.js'

t.test('documented ratings', async (t) => {
  t.same(rateOperation('permission_changed', 'audit'), { category: 'security', severity: 'high' })
  t.same(rateOperation('group_membership_changed', 'audit'), { category: 'security', severity: 'medium' })
  t.same(rateOperation('user_created', 'audit'), { category: 'security', severity: 'medium' })
  t.same(rateOperation('login', 'audit'), { category: 'security', severity: 'low' })
  t.same(rateOperation('issue_created', 'activity'), { category: 'content', severity: 'low' })
})

t.test('unknown operations get the pipeline default', async (t) => {
  t.same(rateOperation('something_new', 'audit'), DEFAULT_RATING.audit)
  t.same(rateOperation('something_new', 'activity'), { category: 'content', severity: 'low' })
  t.same(rateOperation('toString', 'activity'), DEFAULT_RATING.activity, 'prototype keys are not operations')
})

t.test('README table matches the code table', async (t) => {
  const md = readFileSync(new URL('../../src/events/README.md', import.meta.url), 'utf8')
  const rows = new Map<string, string>()
  for (const m of md.matchAll(/^\| `([a-z0-9_]+)` \| (security|content) \| (low|medium|high) \|/gm)) rows.set(m[1] as string, `${m[2]}/${m[3]}`)
  t.equal(rows.size, Object.keys(OPERATIONS).length)
  for (const [op, r] of Object.entries(OPERATIONS)) t.equal(rows.get(op), `${r.category}/${r.severity}`, op)
})
