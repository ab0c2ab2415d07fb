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
  /**
   * Where the hasher runs on a thread of its own: chunks and hashes bytes [start, end) of an
   * open file, reading them there itself (through `descriptor`, see ReadHandle), so that a
   * busy calling thread does not hold the reads up. Resolves only once the hasher is done with
   * the descriptor, also when the signal aborts it (then with `aborted`).
   */
  hashOpenFile?(range: OpenFileRange, signal?: AbortSignal): Promise<OpenFileHashResult>;
  close(): Promise<void>;
}

/** Bytes [start, end) of a file open as `descriptor`, read `sliceBytes` at a time; see StreamOrigin for `prior`. */
export interface OpenFileRange {
  descriptor: number;
  start: number;
  end: number;
  /** The size the file should have: at end === size, one byte past it is probed (it must be EOF). */
  size: number;
  sliceBytes: number;
  prior?: readonly BlockRef[];
}

/**
 * The blocks; or, if the file ended before `end` or went on past `size`, what was seen of its
 * size (the caller decides what that means); or that the signal stopped it.
 */
export type OpenFileHashResult = { blocks: BlockRef[] } | { observedSize: number } | { aborted: true };

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

