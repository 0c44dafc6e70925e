// Coded errors of the sync scheduler.
import createError from '@fastify/error'

export const CheckpointOrderError = createError('ATL_SYNC_CHECKPOINT_ORDER', 'Checkpoint not committed: %s', 500)
export const LeaseLostError = createError('ATL_SYNC_LEASE_LOST', 'Lease for %s was lost to another instance', 500)
export const SyncCancelledError = createError('ATL_SYNC_CANCELLED', 'Sync of %s was cancelled: %s', 500)
export const UnknownSourceError = createError('ATL_SYNC_UNKNOWN_SOURCE', 'No configured connector matches %s', 404)
export const SchedulerClosedError = createError('ATL_SYNC_CLOSED', 'The scheduler is shutting down', 503)
