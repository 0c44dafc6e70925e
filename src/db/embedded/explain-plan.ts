// Reads an explain() result from either store and says which index (if any) served the query.
// mongod nests plans differently by engine and version (classic, SBE `queryPlan`, aggregate `$cursor` stages),
// so this walks the whole document instead of trusting one shape.

export interface IndexUse { usedIndex: boolean; indexNames: string[]; collectionScan: boolean }

const INDEX_STAGES = new Set(['IXSCAN', 'IDHACK', 'EXPRESS_IXSCAN', 'EXPRESS_CLUSTERED_IXSCAN', 'DISTINCT_SCAN', 'COUNT_SCAN'])

export function indexUse (explain: unknown): IndexUse {
  const names = new Set<string>()
  let usedIndex = false
  let collectionScan = false
  const visit = (v: unknown, underRejected: boolean): void => {
    if (v === null || typeof v !== 'object') return
    if (Array.isArray(v)) { for (const x of v) visit(x, underRejected); return }
    const o = v as Record<string, unknown>
    if (!underRejected && typeof o.stage === 'string') {
      if (INDEX_STAGES.has(o.stage)) {
        usedIndex = true
        if (typeof o.indexName === 'string') names.add(o.indexName)
        else if (o.stage === 'IDHACK' || o.stage.startsWith('EXPRESS')) names.add('_id_')
      }
      if (o.stage === 'COLLSCAN') collectionScan = true
    }
    for (const [k, x] of Object.entries(o)) visit(x, underRejected || k === 'rejectedPlans' || k === 'allPlansExecution')
  }
  visit(explain, false)
  return { usedIndex, indexNames: [...names], collectionScan }
}
