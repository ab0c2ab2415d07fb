import { Duplex } from 'streamx';
import type { Lane, MessageScheduler } from './scheduler.js';

/**
 * One end of an in-process pipe. Each write arrives at the other end as one chunk, so
 * protomux sees the same message framing it gets from a Noise secret stream.
 *
 * Without a scheduler a write is pushed to the other end at once. With one, it goes into
 * `outbound`, the lane of this direction, and arrives when the scheduler picks it.
 */
class MemoryStream extends Duplex {
  peer: MemoryStream | null = null;
  /** The lane this end writes into (scheduled pairs only). */
  outbound: Lane | null = null;
  /** The lane that delivers into this end, told to go on when this end has room (scheduled pairs only). */
  inbound: Lane | null = null;
  /** Completes the peer's pending write once this side has room to read again (unscheduled pairs). */
  private releaseWriter: (() => void) | null = null;
  /** Set by a scheduler reset, so that both ends report the same reason. */
  private resetError: Error | null = null;

  override _write(data: unknown, cb: (err: Error | null) => void): void {
    const peer = this.peer;
    if (peer === null || peer.destroying) {
      cb(new Error('Memory stream: the other end is closed.'));
      return;
    }
    // A copy, so that a sender re-using its buffer cannot change what was sent.
    const chunk = Buffer.from(data as Uint8Array);
    if (this.outbound !== null) this.outbound.write(chunk, () => cb(null));
    else if (peer.push(chunk)) cb(null);
    else peer.releaseWriter = () => cb(null);
  }

  override _read(cb: (err: Error | null) => void): void {
    const release = this.releaseWriter;
    this.releaseWriter = null;
    release?.();
    this.inbound?.resume();
    cb(null);
  }

  override _final(cb: (err: Error | null) => void): void {
    // Scheduled: the end travels behind the data still queued, like a FIN.
    if (this.outbound !== null) this.outbound.end();
    else this.peer?.push(null);
    cb(null);
  }

  override _predestroy(): void {
    // Whatever is still queued is lost both ways, as on a reset connection.
    this.outbound?.close();
    this.inbound?.close();
    this.outbound = null;
    this.inbound = null;
    // Like a TCP reset: the other end closes too, without an error of its own.
    const peer = this.peer;
    this.peer = null;
    if (peer !== null) {
      peer.peer = null;
      peer.destroy(this.resetError);
    }
  }

  /** A reset decided by the scheduler: both ends close with `err`. */
  reset(err: Error): void {
    this.resetError = err;
    this.destroy(err);
  }
}

export type { MemoryStream };

/**
 * Two linked ends: what one writes, the other reads, one chunk per write. With a scheduler,
 * each direction gets its own lane, delivered whenever the scheduler decides.
 */
export function createStreamPair(scheduler: MessageScheduler | null = null): [MemoryStream, MemoryStream] {
  const a = new MemoryStream();
  const b = new MemoryStream();
  a.peer = b;
  b.peer = a;
  if (scheduler !== null) {
    a.outbound = b.inbound = scheduler.open(sinkInto(b));
    b.outbound = a.inbound = scheduler.open(sinkInto(a));
  }
  return [a, b];
}

/** The reading end of a lane; a reset tears down the pair from that end. */
function sinkInto(reader: MemoryStream) {
  return {
    deliver: (chunk: Buffer | null) => reader.push(chunk),
    reset: (err: Error) => reader.reset(err),
  };
}
