/**
 * Content-defined chunking: FastCDC (Xia et al., USENIX ATC 2016) with normalized chunking
 * (level 2) as the 2020 TPDS paper and the `fastcdc` Rust crate's "v2020" describe it, but
 * with a 32-bit Gear hash instead of a 64-bit one: V8 keeps 32-bit integers unboxed, whereas
 * 64-bit arithmetic would need BigInt or two halves and run several times slower.
 *
 * Cut points depend only on the bytes of the current chunk, so an insert or delete moves at
 * most the chunk(s) around it and every later block keeps its hash: that is what lets peers
 * re-use blocks they already hold. Every node must cut identically, so the gear table, the
 * masks and the limits below are part of the protocol: changing any of them changes every
 * block hash. test/unit/fastcdc.test.ts freezes them with known vectors.
 *
 * The rule, for implementers elsewhere: for each chunk, skip its first MIN bytes; then for
 * each byte b at chunk offset k (k = MIN, MIN+1, ...), h = (h << 1) + GEAR[b] mod 2^32 with h
 * starting at 0; the chunk ends after that byte when h & (k < AVG ? MASK_SMALL : MASK_LARGE)
 * is 0, or when it reaches MAX bytes, or at the end of the data.
 */
import { createHash } from 'node:crypto';
import { GearScanner } from './gear-scan.js';

/** Chunk sizes in bytes. Only the last chunk of a file may be shorter than `min`. */
export const CHUNK_LIMITS = Object.freeze({ min: 32 * 1024, avg: 128 * 1024, max: 512 * 1024 });

const MIN = CHUNK_LIMITS.min;
const AVG = CHUNK_LIMITS.avg;
const MAX = CHUNK_LIMITS.max;

/** Normalization level 2: two bits more than log2(AVG) before AVG, two bits fewer after. */
export const NORMALIZATION_LEVEL = 2;

/*
 * The masks take the top bits of the hash: bit j of a Gear hash depends on the last j + 1
 * bytes, so the top bits have the widest window (up to 32 bytes) and the least correlation
 * with short repeated patterns. As signed int32: 19 bits (1/512 Ki) and 15 bits (1/32 Ki).
 */
const BITS_AVG = Math.log2(AVG);
export const MASK_SMALL = (~0 << (32 - (BITS_AVG + NORMALIZATION_LEVEL))) | 0;
export const MASK_LARGE = (~0 << (32 - (BITS_AVG - NORMALIZATION_LEVEL))) | 0;

/** Domain-separation prefix of the gear table: GEAR[i] = first 4 bytes (big-endian) of SHA-256(seed || i). */
export const GEAR_SEED = 'agora/fastcdc/gear/v1';

/*
 * Derived rather than pasted as 256 literals, so the rule is short to state and a typo
 * cannot slip in; the test pins a digest of the result. Signed, as the hot loop
 * (gear-scan.ts) adds them: two's complement, so the sums mod 2^32 are the same.
 */
const GEAR = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  GEAR[i] = createHash('sha256').update(GEAR_SEED).update(Uint8Array.of(i)).digest().readInt32BE(0);
}

/** A copy of the gear table as unsigned values (for tests and other implementations). */
export function gearTable(): Uint32Array {
  return new Uint32Array(GEAR);
}

/*
 * The hot loop, one per thread (module instances are per isolate, so each hash worker has
 * its own). Created on first use: most processes that import this module never chunk.
 */
let scanner: GearScanner | null = null;
function gearScanner(): GearScanner {
  return (scanner ??= new GearScanner(GEAR));
}

/**
 * Finds chunk boundaries in a stream fed piece by piece, never holding more than the piece
 * it is given: the state between pieces is the length of the open chunk and the hash.
 * Any split of the stream into pieces yields the same boundaries.
 */
export class ChunkBoundaryFinder {
  /** Bytes of the open chunk seen so far. */
  private chunkLength = 0;
  private hash = 0;
  /** Stream offset of the end of the data seen so far. */
  private streamOffset = 0;

  /**
   * Scans data[start..end), which must follow what was scanned before. Returns the index in
   * `data` just past the first chunk that completes in this range, or -1 if the open chunk
   * continues past `end`. Call again from the returned index to look for the next cut.
   * Allocates nothing: this is the form the file hasher uses.
   */
  nextCut(data: Uint8Array, start: number, end: number): number {
    let i = start;
    let len = this.chunkLength;
    // No cut can fall in the first MIN bytes, so they are skipped without hashing.
    if (len < MIN) {
      const skip = Math.min(MIN - len, end - i);
      i += skip;
      len += skip;
      if (len < MIN) return this.pause(len, end - start);
    }
    const scanner = gearScanner();
    let h = this.hash;
    if (len < AVG) {
      const limit = i + Math.min(AVG - len, end - i);
      const at = scanner.scan(data, i, limit, MASK_SMALL, h);
      if (at >= 0) return this.cut(at + 1, start);
      h = scanner.hash;
      len += limit - i;
      i = limit;
      if (len < AVG) {
        this.hash = h;
        return this.pause(len, end - start);
      }
    }
    const limit = i + Math.min(MAX - len, end - i);
    const at = scanner.scan(data, i, limit, MASK_LARGE, h);
    if (at >= 0) return this.cut(at + 1, start);
    len += limit - i;
    if (len === MAX) return this.cut(limit, start);
    this.hash = scanner.hash;
    return this.pause(len, end - start);
  }

  /** Feeds the next piece; returns the stream offsets where chunks end (ascending). */
  push(data: Uint8Array): number[] {
    const cuts: number[] = [];
    const base = this.streamOffset;
    for (let at = this.nextCut(data, 0, data.length); at >= 0; at = this.nextCut(data, at, data.length)) {
      cuts.push(base + at);
    }
    return cuts;
  }

  /** Ends the stream: the offset where the last chunk ends, or null if no bytes are left over. */
  end(): number | null {
    const tail = this.chunkLength > 0 ? this.streamOffset : null;
    this.chunkLength = 0;
    this.hash = 0;
    return tail;
  }

  /** Stream offset of the end of everything scanned so far. */
  get offset(): number {
    return this.streamOffset;
  }

  private pause(len: number, scanned: number): number {
    this.chunkLength = len;
    this.streamOffset += scanned;
    return -1;
  }

  private cut(at: number, start: number): number {
    this.chunkLength = 0;
    this.hash = 0;
    this.streamOffset += at - start;
    return at;
  }
}

/** Chunk lengths of a whole in-memory buffer (for small data and tests). */
export function chunkLengths(data: Uint8Array): number[] {
  const finder = new ChunkBoundaryFinder();
  const lengths: number[] = [];
  let from = 0;
  for (let at = finder.nextCut(data, 0, data.length); at >= 0; at = finder.nextCut(data, from, data.length)) {
    lengths.push(at - from);
    from = at;
  }
  if (finder.end() !== null) lengths.push(data.length - from);
  return lengths;
}
