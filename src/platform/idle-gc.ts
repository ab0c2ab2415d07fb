import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/**
 * Gives back the heap that a burst of work left behind once the node has gone quiet.
 *
 * V8 collects when the heap reaches a limit it sets after each full GC, at about twice what was
 * live then. After a big burst (a first sync of 100k files, a start-up, a full rescan) the node
 * idles with that much garbage and V8's own memory reducer did not run in our measurements: a
 * node of 101k files stayed at 351 MB for minutes, 232 MB after collecting. So: when the event
 * loop has been nearly idle for a whole period and the heap holds well over what was live after
 * the last collection, collect. A full GC of a 100 MB heap pauses the loop ~0.1-0.3 s,
 * which an idle node can afford.
 */
export interface IdleGcOptions {
  /** How often to look (ms; default 1000). */
  periodMs?: number;
  /** The loop counts as idle below this share of busy time over a whole period. */
  idleUtilization?: number;
  /** Collect once the heap holds this much more than after the last collection (bytes)... */
  minGrowthBytes?: number;
  /** ...and at least this share of what was live then. */
  minGrowthRatio?: number;
  /**
   * Or collect once V8 holds this much more heap that it does not use than after the last
   * collection (bytes). A transfer leaves little live but a young generation grown to its
   * maximum (32 MB on Node 20, all of it touched), which only a full GC gives back.
   */
  minUnusedGrowthBytes?: number;
  /**
   * ...once the loop has been quiet this long (ms). V8 shrinks its young generation in a full GC
   * only when it has allocated little over its last 5 s: on Node 20 a GC one second after a burst
   * left 16 MB semi-spaces as they were, 5.5 s after it shrank them to 1 MB.
   */
  unusedQuietMs?: number;
  /** Told about each collection. */
  onCollect?(info: { beforeBytes: number; afterBytes: number; ms: number }): void;
}

export interface IdleGcProbe {
  heapUsed(): number;
  /** What V8 holds for its heap, used or not (total_heap_size). */
  heapCommitted(): number;
  /** Busy share of the event loop since the previous call (0..1). */
  utilization(): number;
  collect(): void;
  now(): number;
}

/** The decision, apart from timers and V8, so that it can be tested. */
export class IdleGcPolicy {
  /**
   * What was live after the last collection. Unknown at first: the node's start-up (loading its
   * folders) is itself a burst, so the first quiet period with a heap past minGrowthBytes collects.
   */
  private baseline = 0;
  /**
   * What V8 held beyond what it used after the last collection. None at first: a young
   * generation that the start-up grew is given back like any other.
   */
  private unusedBaseline = 0;
  /** When the current run of quiet periods began (null while busy). */
  private quietSince: number | null = null;
  /** Whether the last collection was quiet long enough and still left V8 holding what it grew. */
  private keptOnce = false;

  constructor(
    private readonly probe: IdleGcProbe,
    private readonly options: Required<Omit<IdleGcOptions, 'periodMs' | 'onCollect'>> & Pick<IdleGcOptions, 'onCollect'>,
  ) {}

  /** One period went by: collects if it was idle and the heap grew enough. Returns whether it did. */
  tick(): boolean {
    const busy = this.probe.utilization();
    const used = this.probe.heapUsed();
    const unused = this.probe.heapCommitted() - used;
    // A heap that shrank on its own (V8 collected) is the new reference.
    if (used < this.baseline) this.baseline = used;
    if (unused < this.unusedBaseline) this.unusedBaseline = unused;
    const growth = used - this.baseline;
    if (busy >= this.options.idleUtilization) {
      this.quietSince = null;
      this.keptOnce = false;
      return false;
    }
    this.quietSince ??= this.probe.now();
    const quietLongEnough = this.probe.now() - this.quietSince >= this.options.unusedQuietMs;
    const liveGrew = growth >= this.options.minGrowthBytes && growth >= this.baseline * this.options.minGrowthRatio;
    const unusedGrew = quietLongEnough && unused - this.unusedBaseline >= this.options.minUnusedGrowthBytes;
    if (!liveGrew && !unusedGrew) return false;
    const start = this.probe.now();
    this.probe.collect();
    // The collection ran on the loop: that is not the node being busy, so the next period's
    // reading starts after it (a pause of 20-50 ms is 2-5 % of a period, over idleUtilization).
    this.probe.utilization();
    const after = this.probe.heapUsed();
    this.baseline = after;
    // Sooner than that, V8 may have kept its young generation: the next look may still collect.
    if (quietLongEnough) {
      const unusedAfter = this.probe.heapCommitted() - after;
      // V8 measures "allocated little" from its previous GC, which may be the burst's last
      // scavenge: then the burst's tail (up to a whole semi-space) counts against the quiet
      // seconds, and V8 keeps its young generation. After our collection the window is clean,
      // so one more quiet stretch settles it.
      if (!this.keptOnce && unusedAfter - this.unusedBaseline >= this.options.minUnusedGrowthBytes) {
        this.keptOnce = true;
        this.quietSince = this.probe.now();
      } else {
        this.keptOnce = false;
        this.unusedBaseline = unusedAfter;
      }
    }
    this.options.onCollect?.({ beforeBytes: used, afterBytes: after, ms: this.probe.now() - start });
    return true;
  }
}

/**
 * V8's gc(), which Node hides unless started with --expose-gc; null if this V8 refuses. Two
 * full GCs: V8 gives the pages the first one emptied back to the system only during the next
 * (one GC of a 101k-file node: heap 168 MB committed, 106 used, RSS unchanged). Called without
 * options: Node 20's V8 freed almost nothing when given `{ type: 'major', execution: 'sync' }`.
 *
 * The first one compacts every page (`--compact-on-every-full-gc`, set only for it). A burst
 * leaves the objects that stay (a folder's records) spread over pages among its garbage, and a
 * normal full GC moves only a few pages, so the rest stay committed: a node that had just synced
 * 100k files kept 294 MB of heap for 112 MB live. Compacted, a heap of 174 MB live in 323 MB
 * committed went to 210 MB (RSS 393 -> 269 MB), for a pause of 450 ms instead of 300.
 */
export function exposedGc(): (() => void) | null {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    if (typeof gc !== 'function') return null;
    const collect = gc as () => void;
    return () => {
      setFlagsFromString('--compact-on-every-full-gc');
      try {
        collect();
      } finally {
        setFlagsFromString('--no-compact-on-every-full-gc');
      }
      collect();
    };
  } catch {
    return null;
  }
}

/** Starts looking; the returned function stops. Does nothing where gc() cannot be had. */
export function startIdleGc(options: IdleGcOptions = {}): () => void {
  const gc = exposedGc();
  if (!gc) return () => {};
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  const policy = new IdleGcPolicy(
    {
      heapUsed: () => getHeapStatistics().used_heap_size,
      heapCommitted: () => getHeapStatistics().total_heap_size,
      utilization: () => {
        const now = performance.eventLoopUtilization();
        const delta = performance.eventLoopUtilization(now, last);
        last = now;
        return delta.utilization;
      },
      collect: gc,
      now: () => performance.now(),
    },
    {
      idleUtilization: options.idleUtilization ?? 0.02,
      minGrowthBytes: options.minGrowthBytes ?? 32 * 1024 * 1024,
      minGrowthRatio: options.minGrowthRatio ?? 0.5,
      minUnusedGrowthBytes: options.minUnusedGrowthBytes ?? 16 * 1024 * 1024,
      unusedQuietMs: options.unusedQuietMs ?? 5_000,
      ...(options.onCollect ? { onCollect: options.onCollect } : {}),
    },
  );
  // One quiet second after a burst is enough to tell: sooner, a burst that resumes after a
  // short wait would be paused; later, the memory stays taken for longer.
  const timer = setInterval(() => policy.tick(), options.periodMs ?? 1000);
  timer.unref();
  return () => clearInterval(timer);
}
