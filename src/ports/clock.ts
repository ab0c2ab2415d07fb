/** Time, injectable so that simulations can run on a manual clock. */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls fn once after ms; the handle cancels it. Timers never keep the process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Calls fn every ms until cancelled. */
  setInterval(fn: () => void, ms: number): TimerHandle;
}
