import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/**
 * Keeps a small heap from being collected back to back while a transfer runs.
 *
 * After each full GC, V8 lets the old generation grow to about twice what was live before the
 * next one starts. A node in a transfer has little live (20-25 MB) but allocates a buffer or two
 * per block; when the peer slows down (measured: the receiver writing into memory the VM had
 * not touched for minutes) blocks wait longer, more of them survive, the young generation grows
 * to its maximum, and V8 starts marking again as soon as it finishes. In the bench's slow big
 * rounds both daemons made 62-92 full GCs in 5 s, one every 50-100 ms, and each used 2-4
 * CPU-s more than usual; a fast round makes 2-11. Giving the old generation ~48 MiB of headroom
 * above what is live ended the cycle: with this module, the first round after 7 idle minutes
 * took 5.9 s instead of 8.5, with 7 and 4 full GCs (docs/benchmarks.md, session s19).
 *
 * V8's growing factor is a flag (`--heap-growing-percent`) read each time it sets the limit, so
 * it is set after every full GC from what was live: headroom / live, for a small heap only.
 * Above HEADROOM_BYTES live, V8's own factor decides (about 2 in our traces, which leaves at least
 * that much), so a big folder's heap grows no more than it would have: the cost is at most
 * HEADROOM_BYTES of heap in a node whose heap is small.
 */
export const HEADROOM_BYTES = 48 * 1024 * 1024;
/** Past this, an almost empty heap would get an absurd factor; the headroom is reached anyway. */
const MAX_PERCENT = 1000;

/**
 * The growing percent that leaves HEADROOM_BYTES above `liveBytes`: 0 (V8 decides) once V8's
 * own factor of about 2 leaves that much, else over 100.
 */
export function growingPercent(liveBytes: number): number {
  if (liveBytes >= HEADROOM_BYTES) return 0;
  return Math.min(MAX_PERCENT, Math.ceil((HEADROOM_BYTES / liveBytes) * 100));
}

export interface HeapHeadroomProbe {
  /** Heap in use right now (read just after a full GC: what was live). */
  heapUsed(): number;
  /** Sets V8's growing percent (0: V8's own factor). */
  setPercent(percent: number): void;
}

/** The decision, apart from V8, so that it can be tested. */
export class HeapHeadroom {
  private current = 0;

  constructor(private readonly probe: HeapHeadroomProbe) {}

  /** A full GC ended. Returns the percent now in force. */
  afterFullGc(): number {
    const percent = growingPercent(this.probe.heapUsed());
    // Within 10 points of what is set: not worth a flag change after every collection. (Going
    // to or from 0 is always a change of over 100.)
    if (Math.abs(percent - this.current) >= 10) {
      this.probe.setPercent(percent);
      this.current = percent;
    }
    return this.current;
  }
}

/** Starts following full GCs; the returned function stops (and gives the factor back to V8). */
export function startHeapHeadroom(): () => void {
  const probe: HeapHeadroomProbe = {
    heapUsed: () => getHeapStatistics().used_heap_size,
    setPercent: (percent) => setFlagsFromString(`--heap-growing-percent=${percent}`),
  };
  try {
    probe.setPercent(0); // a V8 that throws for the flag: leave it alone
  } catch {
    return () => {};
  }
  const headroom = new HeapHeadroom(probe);
  const observer = new PerformanceObserver((list) => {
    if (list.getEntries().some(isFullGc)) headroom.afterFullGc();
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    observer.disconnect();
    probe.setPercent(0);
  };
}

function isFullGc(entry: PerformanceEntry): boolean {
  const { detail } = entry as PerformanceEntry & { detail?: { kind?: number } };
  return detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
}
