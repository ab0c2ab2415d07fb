import { Duplex } from 'streamx';

/**
 * One end of an in-process pipe. Each write arrives at the other end as one chunk, so
 * protomux sees the same message framing it gets from a Noise secret stream.
 */
class MemoryStream extends Duplex {
  peer: MemoryStream | null = null;
  /** Completes the peer's pending write once this side has room to read again. */
  private releaseWriter: (() => void) | null = null;

  override _write(data: unknown, cb: (err: Error | null) => void): void {
    const peer = this.peer;
    if (peer === null || peer.destroying) {
      cb(new Error('Memory stream: the other end is closed.'));
      return;
    }
    // A copy, so that a sender re-using its buffer cannot change what was sent.
    if (peer.push(Buffer.from(data as Uint8Array))) cb(null);
    else peer.releaseWriter = () => cb(null);
  }

  override _read(cb: (err: Error | null) => void): void {
    const release = this.releaseWriter;
    this.releaseWriter = null;
    release?.();
    cb(null);
  }

  override _final(cb: (err: Error | null) => void): void {
    this.peer?.push(null);
    cb(null);
  }

  override _predestroy(): void {
    // Like a TCP reset: the other end closes too, without an error of its own.
    const peer = this.peer;
    this.peer = null;
    if (peer !== null) {
      peer.peer = null;
      peer.destroy();
    }
  }
}

export type { MemoryStream };

/** Two linked ends: what one writes, the other reads, one chunk per write. */
export function createStreamPair(): [MemoryStream, MemoryStream] {
  const a = new MemoryStream();
  const b = new MemoryStream();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
