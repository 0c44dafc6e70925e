// The simulator's clock: fixed (advanced by tests) or following real time from a start instant.
// Records stamped after clock-now are invisible, so advancing the clock reveals new activity.

export interface SimClock {
  now: () => Date
  nowMs: () => number
  advance: (ms: number) => void
}

export function createClock (start: Date | undefined): SimClock {
  if (start !== undefined) {
    let fixed = start.getTime()
    return {
      now: () => new Date(fixed),
      nowMs: () => fixed,
      advance: (ms) => { fixed += ms }
    }
  }
  // Real time plus any explicit advance.
  let offset = 0
  return {
    now: () => new Date(Date.now() + offset),
    nowMs: () => Date.now() + offset,
    advance: (ms) => { offset += ms }
  }
}
