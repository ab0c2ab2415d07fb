import type { Clock, TimerHandle } from '../../ports/clock.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  every: number | null;
  cancelled: boolean;
}

/** A clock that moves only when told to: simulations advance time deterministically. */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, null);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, Math.max(1, ms));
  }

  /** Moves time forward by ms, firing due timers in time order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.time = next.at;
      if (next.every === null) next.cancelled = true;
      else next.at += next.every;
      next.fn();
    }
    this.time = end;
  }

  private add(fn: () => void, ms: number, every: number | null): TimerHandle {
    const timer: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, every, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }
}
