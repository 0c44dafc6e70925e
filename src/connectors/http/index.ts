// The read-only Atlassian HTTP client: the only way connectors talk to Atlassian.
export * from './errors.js'
export * from './credentials.js'
export * from './backoff.js'
export * from './rate-limit.js'
export * from './read-only-paths.js'
export * from './read-only-client.js'
export * from './paging.js'
