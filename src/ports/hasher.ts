import type { BlockRef } from '../protocol/index.js';

/**
 * Chunking and hashing of byte streams, on this thread or elsewhere (adapters/hasher-worker). The
 * scanner gets one through its deps, so simulations hash in-thread and a real node can use
 * its other cores.
 */
export interface BlockHasher {
  /** Streams it works on at once: the scanner hashes up to this many big files in parallel. */
  readonly parallelism: number;
  stream(): HashStream;
  close(): Promise<void>;
}

/** One stream of bytes, fed in order. */
export interface HashStream {
  /**
   * Consumes data[0..length). Resolves, once the bytes are hashed, with a buffer of the same
   * size for the caller's next read: `data` itself, or (after a transfer to another thread
   * left `data` empty) the same memory handed back.
   */
  push(data: Buffer, length: number): Promise<Buffer>;
  /** Ends the stream: the blocks, in order. */
  finish(): Promise<BlockRef[]>;
  /** Gives up after an error: drops the stream's state. */
  abort(): void;
}

