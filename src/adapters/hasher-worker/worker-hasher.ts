/**
 * A BlockHasher on worker threads, so that FastCDC and SHA-256 of big files use the other
 * cores while the main thread serves peers. A file open with a descriptor is read by the
 * worker itself (hashOpenFile): the main thread, busy serving, would otherwise hold up every
 * slice. Other streams' slices are transferred (not copied) to a worker and back. Each
 * stream stays on one worker (its chunker state lives there); streams are spread over the
 * workers, least busy first. Workers start on first use, stop after
 * IDLE_MS without a stream (a worker is an isolate of its own: ~10 MB), and do not keep the
 * process alive.
 */
import { Worker } from 'node:worker_threads';
import { AgoraError } from '../../errors/index.js';
import type { BlockHasher, HashStream, OpenFileHashResult, OpenFileRange, StreamOrigin } from '../../ports/hasher.js';
import type { HashReply, HashRequest } from './hash-messages.js';
import { packBlocks, unpackBlocks } from './packed-blocks.js';

interface Waiter {
  resolve(reply: HashReply): void;
  reject(err: Error): void;
}

/**
 * A worker without streams for this long is stopped (the next stream starts a new one). Real
 * time (setTimeout) rather than the Clock port: worker threads exist only in a real node.
 */
const IDLE_MS = 30_000;

interface Slot {
  worker: Worker;
  index: number;
  idle: ReturnType<typeof setTimeout> | null;
  /** Outstanding requests per stream, oldest first (a worker answers each stream in order). */
  waiting: Map<number, Waiter[]>;
  streams: number;
}

export class WorkerHasher implements BlockHasher {
  readonly parallelism: number;
  private readonly slots: (Slot | null)[];
  private nextId = 1;
  private closed = false;

  constructor(options: { threads: number; workerUrl?: URL }) {
    this.parallelism = Math.max(1, options.threads);
    this.slots = new Array<Slot | null>(this.parallelism).fill(null);
    this.workerUrl = options.workerUrl ?? new URL('./hash-worker.js', import.meta.url);
  }

  private readonly workerUrl: URL;

  stream(from?: StreamOrigin): HashStream {
    const { slot, id, end } = this.claim();
    const request = (msg: HashRequest, transfer: ArrayBuffer[] = []): Promise<HashReply> =>
      new Promise<HashReply>((resolve, reject) => {
        const queue = slot.waiting.get(id);
        const waiter = { resolve, reject };
        if (queue) queue.push(waiter);
        else slot.waiting.set(id, [waiter]);
        slot.worker.postMessage(msg, transfer);
      }).then((reply) => {
        if ('error' in reply) throw new AgoraError('INTERNAL', `hashing failed: ${reply.error}`);
        return reply;
      });
    if (from) {
      // Packed, and moved rather than copied: ~2,000 blocks for a 256 MiB file. No reply.
      const { hashes, sizes } = packBlocks(from.prior);
      slot.worker.postMessage({ op: 'open', id, start: from.start, hashes, sizes } satisfies HashRequest, [hashes, sizes]);
    }
    return {
      push: async (data, length) => {
        // Only a buffer that owns its whole ArrayBuffer can be moved; anything else is copied.
        const own = data.byteOffset === 0 && data.buffer.byteLength === data.byteLength && data.buffer instanceof ArrayBuffer;
        const memory = own ? (data.buffer as ArrayBuffer) : (Uint8Array.from(data.subarray(0, length)).buffer as ArrayBuffer);
        const reply = await request({ op: 'push', id, data: memory, length }, [memory]);
        if (!('data' in reply)) throw new AgoraError('INTERNAL', 'hash worker answered out of order');
        return own ? Buffer.from(reply.data) : data;
      },
      finish: async () => {
        try {
          const reply = await request({ op: 'finish', id });
          if (!('hashes' in reply)) throw new AgoraError('INTERNAL', 'hash worker answered out of order');
          // Each hash is a view of one shared buffer: ~8,000 blocks per GiB, one allocation.
          return unpackBlocks(reply.hashes, reply.sizes);
        } finally {
          end();
        }
      },
      abort: () => {
        if (!end()) return;
        slot.worker.postMessage({ op: 'abort', id } satisfies HashRequest);
      },
    };
  }

  async hashOpenFile(range: OpenFileRange, signal?: AbortSignal): Promise<OpenFileHashResult> {
    if (signal?.aborted) return { aborted: true };
    const { slot, id, end } = this.claim();
    const stop = () => slot.worker.postMessage({ op: 'abort', id } satisfies HashRequest);
    try {
      const packed = range.prior ? packBlocks(range.prior) : undefined;
      const message: HashRequest = { op: 'file', id, fd: range.descriptor, start: range.start, end: range.end, size: range.size, sliceBytes: range.sliceBytes, ...packed };
      const reply = new Promise<HashReply>((resolve, reject) => {
        slot.waiting.set(id, [{ resolve, reject }]);
        slot.worker.postMessage(message, packed ? [packed.hashes, packed.sizes] : []);
      });
      // The reply is awaited even after an abort: only then is the worker done with the descriptor.
      signal?.addEventListener('abort', stop, { once: true });
      if (signal?.aborted) stop();
      const r = await reply;
      if ('error' in r) throw new AgoraError('INTERNAL', `hashing failed: ${r.error}`);
      if ('aborted' in r) return { aborted: true };
      if ('observedSize' in r) return { observedSize: r.observedSize };
      if ('hashes' in r) return { blocks: unpackBlocks(r.hashes, r.sizes) };
      throw new AgoraError('INTERNAL', 'hash worker answered out of order');
    } finally {
      signal?.removeEventListener('abort', stop);
      end();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const live = this.slots.filter((s): s is Slot => s !== null);
    for (const s of live) if (s.idle) clearTimeout(s.idle);
    const workers = live.map((s) => s.worker);
    this.slots.fill(null);
    await Promise.all(workers.map((w) => w.terminate()));
  }

  /**
   * A worker for one stream or file job, and `end` to give it back (true the first time):
   * a worker without work is stopped after IDLE_MS.
   */
  private claim(): { slot: Slot; id: number; end: () => boolean } {
    if (this.closed) throw new AgoraError('INTERNAL', 'the hasher is closed');
    const slot = this.pick();
    const id = this.nextId++;
    slot.streams++;
    if (slot.idle) clearTimeout(slot.idle);
    slot.idle = null;
    let ended = false;
    const end = () => {
      if (ended) return false;
      ended = true;
      slot.streams--;
      if (slot.streams === 0) {
        slot.idle = setTimeout(() => {
          // Out of the pool first, so that no new stream picks a worker on its way out.
          if (slot.streams !== 0 || this.slots[slot.index] !== slot) return;
          this.slots[slot.index] = null;
          void slot.worker.terminate();
        }, IDLE_MS);
        slot.idle.unref();
      }
      return true;
    };
    return { slot, id, end };
  }

  /** The least busy worker, starting one if a slot is empty. */
  private pick(): Slot {
    let best: Slot | null = null;
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i] ?? this.start(i);
      if (slot.streams === 0) return slot;
      if (!best || slot.streams < best.streams) best = slot;
    }
    return best!;
  }

  private start(index: number): Slot {
    const worker = new Worker(this.workerUrl);
    worker.unref(); // a hasher never keeps the node alive
    const slot: Slot = { worker, index, idle: null, waiting: new Map(), streams: 0 };
    worker.on('message', (reply: HashReply) => {
      const queue = slot.waiting.get(reply.id);
      const waiter = queue?.shift();
      if (queue?.length === 0) slot.waiting.delete(reply.id);
      waiter?.resolve(reply);
    });
    const fail = (err: Error) => {
      // A dead (or idle-stopped) worker fails what it held; the next stream starts a fresh one.
      if (this.slots[index] === slot) this.slots[index] = null;
      if (slot.idle) clearTimeout(slot.idle);
      for (const queue of slot.waiting.values()) for (const w of queue) w.reject(err);
      slot.waiting.clear();
    };
    worker.on('error', (err) => fail(err));
    worker.on('exit', (code) => fail(new AgoraError('INTERNAL', `hash worker exited (code ${code})`)));
    this.slots[index] = slot;
    return slot;
  }
}
