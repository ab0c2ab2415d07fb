import { randomInt } from 'node:crypto';

/**
 * mulberry32: a tiny 32-bit PRNG, good enough to shuffle messages and small enough to keep
 * the sequence identical on every platform. Returns numbers in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

export interface MessageSchedulerOptions {
  /** An integer in [0, 2^32). The same seed and the same writes give the same delivery order. */
  seed: number;
  /** Each step delivers between 1 and this many chunks (drawn at random); default 1. */
  maxBatch?: number;
  /** For each chunk about to be delivered, the chance that its connection is reset instead; default 0. */
  dropConnectionProbability?: number;
}

/** The reading side of one direction of one connection, as a lane sees it. */
export interface LaneSink {
  /** Hands over the next chunk (null: the writer ended); false when the reader is full for now. */
  deliver(chunk: Buffer | null): boolean;
  /** Tears down the whole connection, both directions, like a TCP reset. */
  reset(err: Error): void;
}

/** One direction of one connection: a FIFO, so order within it is kept, as on TCP. */
export interface Lane {
  /** Queues a chunk; `done` runs once it is queued, or later while the lane is over its limit. */
  write(chunk: Buffer, done: () => void): void;
  /** Queues the end of the stream behind the data already queued. */
  end(): void;
  /** The reader has room again (its _read ran). */
  resume(): void;
  /** Drops whatever is still queued; the lane is never scheduled again. */
  close(): void;
}

/**
 * Past this many queued bytes a writer waits, so that a fast sender cannot grow a lane
 * without bound; the same role the socket buffer plays on a real connection.
 */
const LANE_LIMIT_BYTES = 1024 * 1024;

class QueuedLane implements Lane {
  private readonly chunks: (Buffer | null)[] = [];
  private bytes = 0;
  /** The reader said it was full: hold deliveries until it reads. */
  private blocked = false;
  private waitingWriter: (() => void) | null = null;
  closed = false;

  constructor(
    private readonly sink: LaneSink,
    private readonly wake: () => void,
  ) {}

  get ready(): boolean {
    return !this.closed && !this.blocked && this.chunks.length > 0;
  }

  write(chunk: Buffer, done: () => void): void {
    if (this.closed) return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes <= LANE_LIMIT_BYTES) done();
    else this.waitingWriter = done;
    this.wake();
  }

  end(): void {
    if (this.closed) return;
    this.chunks.push(null);
    this.wake();
  }

  resume(): void {
    if (!this.blocked) return;
    this.blocked = false;
    this.wake();
  }

  close(): void {
    this.closed = true;
    this.chunks.length = 0;
    this.bytes = 0;
    // Like the unscheduled stream: a writer stuck on a dead connection is never completed.
    this.waitingWriter = null;
  }

  /** Called by the scheduler only when `ready`. */
  deliverNext(): void {
    const chunk = this.chunks.shift();
    if (chunk === undefined) return;
    if (chunk !== null) this.bytes -= chunk.length;
    const writer = this.waitingWriter;
    if (writer !== null && this.bytes <= LANE_LIMIT_BYTES) {
      this.waitingWriter = null;
      writer();
    }
    if (!this.sink.deliver(chunk) && !this.closed) this.blocked = true;
  }

  reset(err: Error): void {
    this.sink.reset(err);
    this.close();
  }
}

/**
 * Decides when queued chunks of the memory network arrive. Each step, driven by setImmediate
 * so that real I/O callbacks run in between, picks a random lane that has something to
 * deliver: messages get reordered across connections and directions, and delayed, while each
 * lane stays in order. Draws come from a seeded PRNG so that a failing run can be replayed.
 */
export class MessageScheduler {
  readonly seed: number;
  readonly maxBatch: number;
  readonly dropConnectionProbability: number;
  /** Chunks handed to readers so far; lets a simulation show that traffic went through. */
  delivered = 0;
  /** Connections reset by `dropConnectionProbability` so far. */
  resets = 0;

  private readonly drawForDelivery: () => number;
  // A separate stream for the test's own draws (partitions...), so that adding one to a test
  // does not shift every later delivery decision.
  private readonly drawForTest: () => number;
  /** Open lanes in creation order: a stable order is what makes a seed replayable. */
  private readonly lanes: QueuedLane[] = [];
  private stepPending = false;

  /** A fresh seed from the OS, for runs that did not ask for one; print it. */
  static randomSeed(): number {
    return randomInt(0, 0x1_0000_0000);
  }

  constructor(options: MessageSchedulerOptions) {
    const { seed, maxBatch = 1, dropConnectionProbability = 0 } = options;
    if (!Number.isInteger(seed) || seed < 0 || seed >= 0x1_0000_0000) {
      throw new RangeError(`MessageScheduler: the seed must be an integer in [0, 2^32), got ${seed}.`);
    }
    if (!Number.isInteger(maxBatch) || maxBatch < 1) {
      throw new RangeError(`MessageScheduler: maxBatch must be a positive integer, got ${maxBatch}.`);
    }
    if (!(dropConnectionProbability >= 0 && dropConnectionProbability <= 1)) {
      throw new RangeError(`MessageScheduler: dropConnectionProbability must be in [0, 1], got ${dropConnectionProbability}.`);
    }
    this.seed = seed;
    this.maxBatch = maxBatch;
    this.dropConnectionProbability = dropConnectionProbability;
    this.drawForDelivery = mulberry32(seed);
    this.drawForTest = mulberry32(seed ^ 0x9e3779b9);
  }

  /** A new lane delivering into `sink`. */
  open(sink: LaneSink): Lane {
    const lane = new QueuedLane(sink, () => this.wake());
    this.lanes.push(lane);
    return lane;
  }

  /** The next number in [0, 1) of the test's own seeded stream. */
  random(): number {
    return this.drawForTest();
  }

  private wake(): void {
    if (this.stepPending) return;
    this.stepPending = true;
    setImmediate(() => this.step());
  }

  private step(): void {
    this.stepPending = false;
    this.forgetClosedLanes();
    let budget = 1 + Math.floor(this.drawForDelivery() * this.maxBatch);
    while (budget-- > 0) {
      const ready = this.lanes.filter((lane) => lane.ready);
      const lane = ready[Math.floor(this.drawForDelivery() * ready.length)];
      if (lane === undefined) return;
      if (this.dropConnectionProbability > 0 && this.drawForDelivery() < this.dropConnectionProbability) {
        this.resets += 1;
        lane.reset(new Error(`Memory network: connection reset by the message scheduler (seed ${this.seed}).`));
        continue;
      }
      this.delivered += 1;
      lane.deliverNext();
    }
    if (this.lanes.some((lane) => lane.ready)) this.wake();
  }

  private forgetClosedLanes(): void {
    let kept = 0;
    for (const lane of this.lanes) if (!lane.closed) this.lanes[kept++] = lane;
    this.lanes.length = kept;
  }
}
