import type { BlockRef } from '../protocol/index.js';

/**
 * Chunking and hashing of byte streams, on this thread or elsewhere (adapters/hasher-worker). The
 * scanner gets one through its deps, so simulations hash in-thread and a real node can use
 * its other cores.
 */
export interface BlockHasher {
  /** Streams it works on at once: the scanner hashes up to this many big files in parallel. */
  readonly parallelism: number;
  /** A stream of a file's bytes; `from`: where in the file it starts, and the file's earlier blocks. */
  stream(from?: StreamOrigin): HashStream;
  close(): Promise<void>;
}

/**
 * The stream starts at file offset `start` (as if a chunk started there), and the file's
 * earlier version had the blocks `prior`, which the hasher may confirm by their hashes instead
 * of chunking those bytes again (protocol PriorBlocks). The blocks come out the same.
 */
export interface StreamOrigin {
  start: number;
  prior: readonly BlockRef[];
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

