import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CHUNK_LIMITS,
  ChunkBoundaryFinder,
  MASK_LARGE,
  MASK_SMALL,
  chunkLengths,
  gearTable,
  blockHash,
  hashBuffer,
} from '../../src/protocol/index.js';
import { FileChangedError, SLICE_BYTES, SPLIT_MIN_BYTES, SPLIT_OVERLAP_BYTES, hashFile, joinSegments } from '../../src/core/sync/chunking/hash-file.js';
import { AbortedError } from '../../src/errors/index.js';
import type { FsStat, ReadHandle } from '../../src/ports/fs.js';
import type { BlockRef } from '../../src/protocol/file-record.js';
import { GearScanner } from '../../src/protocol/gear-scan.js';

import { waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const { min: MIN, avg: AVG, max: MAX } = CHUNK_LIMITS;

/** Deterministic bytes from xorshift32 (Marsaglia), so vectors are reproducible anywhere. */
function prng(length: number, seed: number): Buffer {
  const words = new Uint32Array(Math.ceil(length / 4));
  let s = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    words[i] = s >>> 0;
  }
  // Little-endian on every platform Node runs on in practice; the vector test would catch otherwise.
  return Buffer.from(words.buffer, 0, length);
}

function cutsOf(lengths: number[]): number[] {
  let offset = 0;
  return lengths.map((n) => (offset += n));
}

/** A ReadHandle over a Buffer that returns at most `maxRead` bytes per call (short reads). */
function bufferHandle(data: Buffer, maxRead = Infinity): ReadHandle & { reads: number } {
  const handle = {
    reads: 0,
    async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
      handle.reads++;
      const n = Math.max(0, Math.min(length, maxRead, data.length - position));
      data.copy(buffer, offset, position, position + n);
      return n;
    },
    async stat(): Promise<FsStat> {
      return { type: 'file', size: data.length, mtimeMs: 0, mode: 0o644, inode: 1 };
    },
    async close(): Promise<void> {},
  };
  return handle;
}

const hex = (blocks: BlockRef[]) => blocks.map((b) => b.hash.toString('hex'));

describe('FastCDC parameters (part of the protocol)', () => {
  it('keeps the limits, masks and gear table frozen', () => {
    expect(CHUNK_LIMITS).toEqual({ min: 32768, avg: 131072, max: 524288 });
    expect(MASK_SMALL >>> 0).toBe(0xffffe000);
    expect(MASK_LARGE >>> 0).toBe(0xfffe0000);
    const table = gearTable();
    expect(table.length).toBe(256);
    expect([table[0], table[1], table[255]].map((v) => v!.toString(16).padStart(8, '0'))).toEqual(GEAR_SAMPLES);
    const bytes = Buffer.alloc(1024);
    table.forEach((v, i) => bytes.writeUInt32BE(v, i * 4));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(GEAR_DIGEST);
  });

  it('cuts a seeded 4 MiB buffer at the known offsets', () => {
    const data = prng(4 * MiB, 0x5eed);
    const lengths = chunkLengths(data);
    expect(cutsOf(lengths)).toEqual(VECTOR_CUTS);
    const blocks = hashBuffer(data);
    const all = Buffer.concat(blocks.map((b) => b.hash));
    expect(createHash('sha256').update(all).digest('hex')).toBe(VECTOR_DIGEST);
  });
});

/** The rule as fastcdc.ts states it for implementers, one byte at a time: the reference for the WebAssembly loop. */
function referenceLengths(data: Uint8Array): number[] {
  const gear = new Int32Array(gearTable());
  const lengths: number[] = [];
  let start = 0;
  while (start < data.length) {
    let h = 0;
    let end = Math.min(data.length, start + MAX);
    for (let k = MIN; start + k < end; k++) {
      h = ((h << 1) + gear[data[start + k]!]!) | 0;
      if ((h & (k < AVG ? MASK_SMALL : MASK_LARGE)) === 0) {
        end = start + k + 1;
        break;
      }
    }
    lengths.push(end - start);
    start = end;
  }
  return lengths;
}

/** Bytes that cut often and at every position mod 4: runs of one repeated byte between random stretches. */
function patchy(length: number, seed: number): Buffer {
  const data = prng(length, seed);
  const pick = prng(length / 64, seed + 1);
  for (let i = 0; i + 64 <= length; i += 64) {
    if (pick[i / 64]! < 96) data.fill(pick[i / 64 + 1] ?? 0, i, i + 64 - (pick[i / 64]! % 61));
  }
  return data;
}

describe('the WebAssembly Gear loop', () => {
  it('cuts exactly where the one-byte reference rule does', () => {
    for (const data of [prng(9 * MiB + 3, 77), patchy(4 * MiB, 5), Buffer.alloc(MAX * 2 + 1, 0x5a)]) {
      expect(chunkLengths(data)).toEqual(referenceLengths(data));
    }
  });

  it('finds the first zero of the masked hash in any range, across its 32 KiB pieces, and returns the hash at the end', () => {
    const gear = new Int32Array(gearTable());
    const scanner = new GearScanner(gear);
    const data = patchy(1 * MiB, 11);
    let seed = 9;
    const next = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    let found = 0;
    for (let t = 0; t < 400; t++) {
      const from = next(data.length);
      const to = Math.min(data.length, from + next(100_000));
      const mask = [MASK_SMALL, MASK_LARGE, 0x0f, 0x3, -1 << 28][t % 5]!;
      const start = next(2 ** 31) - 2 ** 30;
      let h = start;
      let at = -1;
      for (let i = from; i < to && at < 0; i++) {
        h = ((h << 1) + gear[data[i]!]!) | 0;
        if ((h & mask) === 0) at = i;
      }
      expect(scanner.scan(data, from, to, mask, start)).toBe(at);
      if (at < 0) expect(scanner.hash).toBe(h);
      else found++;
    }
    expect(found).toBeGreaterThan(100);
  });
});

describe('chunk boundaries', () => {
  it('is deterministic', () => {
    const a = hashBuffer(prng(3 * MiB, 7));
    const b = hashBuffer(prng(3 * MiB, 7));
    expect(hex(a)).toEqual(hex(b));
    expect(a.map((x) => x.size)).toEqual(b.map((x) => x.size));
  });

  it('respects min and max, and averages near AVG on random data', () => {
    const data = prng(64 * MiB, 42);
    const lengths = chunkLengths(data);
    expect(lengths.reduce((s, n) => s + n, 0)).toBe(data.length);
    for (const n of lengths.slice(0, -1)) {
      expect(n).toBeGreaterThanOrEqual(MIN);
      expect(n).toBeLessThanOrEqual(MAX);
    }
    const mean = data.length / lengths.length;
    expect(mean).toBeGreaterThan(AVG * 0.7);
    expect(mean).toBeLessThan(AVG * 1.3);
  });

  it('cuts data without entropy at MAX', () => {
    const lengths = chunkLengths(Buffer.alloc(2 * MiB + 5));
    expect(lengths).toEqual([MAX, MAX, MAX, MAX, 5]);
  });

  it('gives the same boundaries whatever the slice sizes of the stream', () => {
    const data = prng(5 * MiB, 99);
    const expected = cutsOf(chunkLengths(data));
    for (const sizes of [[1], [7, 1, 3], [4096], [MIN - 1, 1], [AVG + 1], [MAX, 13], [1_000_003]]) {
      const finder = new ChunkBoundaryFinder();
      const cuts: number[] = [];
      let offset = 0;
      // Tiny slices over the whole 5 MiB are slow; use them for the first 1.2 MiB only.
      for (let k = 0; offset < data.length; k++) {
        const size = offset < 1.2 * MiB ? sizes[k % sizes.length]! : 1_000_000;
        const end = Math.min(data.length, offset + size);
        cuts.push(...finder.push(data.subarray(offset, end)));
        offset = end;
      }
      const tail = finder.end();
      if (tail !== null) cuts.push(tail);
      expect(cuts).toEqual(expected);
    }
  });

  it('changes at most 2 blocks when 1 byte is inserted at the start of 16 MiB', () => {
    const data = prng(16 * MiB, 1234);
    const before = hashBuffer(data);
    const after = hashBuffer(Buffer.concat([Buffer.of(0xab), data]));
    const known = new Set(hex(before));
    const fresh = hex(after).filter((h) => !known.has(h));
    expect(before.length).toBeGreaterThan(80);
    expect(fresh.length).toBeLessThanOrEqual(2);
  });

  it('changes only the last block(s) on append', () => {
    const data = prng(8 * MiB + 12345, 555);
    const before = hex(hashBuffer(data));
    const after = hex(hashBuffer(Buffer.concat([data, prng(300_000, 556)])));
    expect(after.slice(0, before.length - 1)).toEqual(before.slice(0, -1));
  });

  it('handles empty and small inputs', () => {
    expect(hashBuffer(Buffer.alloc(0))).toEqual([]);
    expect(chunkLengths(Buffer.alloc(0))).toEqual([]);
    const small = prng(MIN - 1, 3);
    expect(hashBuffer(small)).toEqual([{ hash: blockHash(small), size: MIN - 1 }]);
    const exact = prng(MIN, 4);
    expect(hashBuffer(exact)).toEqual([{ hash: blockHash(exact), size: MIN }]);
    expect(blockHash(Buffer.from('abc')).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('hashFile', () => {
  it('equals hashBuffer, with whole and short reads', async () => {
    for (const size of [0, 1, MIN - 1, MIN + 1, SLICE_BYTES, SLICE_BYTES + 1, 2 * SLICE_BYTES + 777_777]) {
      const data = prng(size, size + 1);
      const expected = hashBuffer(data);
      expect(await hashFile(bufferHandle(data), size)).toEqual(expected);
      expect(await hashFile(bufferHandle(data, 65_537), size)).toEqual(expected);
    }
  });

  it('reads large slices, not the whole file', async () => {
    const data = prng(3 * SLICE_BYTES + 5, 8);
    const handle = bufferHandle(data);
    await hashFile(handle, data.length);
    expect(handle.reads).toBe(5); // four slices and the probe past the end
  });

  it('reports a file that is shorter or longer than expected', async () => {
    const data = prng(SLICE_BYTES + 100, 9);
    await expect(hashFile(bufferHandle(data), data.length + 1)).rejects.toBeInstanceOf(FileChangedError);
    await expect(hashFile(bufferHandle(data), data.length - 1)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(hashFile(bufferHandle(data.subarray(0, 10)), 0)).rejects.toBeInstanceOf(FileChangedError);
  });

  it('stops when the signal fires', async () => {
    const data = prng(3 * SLICE_BYTES, 10);
    const controller = new AbortController();
    const handle = bufferHandle(data);
    const read = handle.read;
    handle.read = async (...args) => {
      controller.abort();
      return read(...args);
    };
    await expect(hashFile(handle, data.length, controller.signal)).rejects.toBeInstanceOf(AbortedError);
    expect(handle.reads).toBe(1);
    await expect(hashFile(bufferHandle(data), data.length, AbortSignal.abort())).rejects.toBeInstanceOf(AbortedError);
  });
});

describe('hashFile in segments', () => {
  const sizes = (blocks: BlockRef[]) => blocks.map((b) => b.size);
  const same = (a: BlockRef[], b: BlockRef[]) => expect(a.map((x) => [x.hash.toString('hex'), x.size])).toEqual(b.map((x) => [x.hash.toString('hex'), x.size]));

  it('gives exactly the one-pass blocks, in 2, 3 and 5 segments', async () => {
    const data = prng(SPLIT_MIN_BYTES + 3 * MiB + 12_345, 21);
    const expected = hashBuffer(data);
    for (const segments of [2, 3, 5]) same(await hashFile(bufferHandle(data), data.length, undefined, undefined, segments), expected);
  });

  it('gives the one-pass blocks where chunking finds no cut near a segment start (long runs of one byte)', async () => {
    // Zeros around the middle, for longer than the overlap: the two chunkings never meet there.
    const data = Buffer.concat([prng(20 * MiB, 22), Buffer.alloc(SPLIT_MIN_BYTES - 20 * MiB + 2 * SPLIT_OVERLAP_BYTES), prng(7 * MiB + 3, 23)]);
    same(await hashFile(bufferHandle(data), data.length, undefined, undefined, 2), hashBuffer(data));
    const zeros = Buffer.alloc(SPLIT_MIN_BYTES + 777);
    same(await hashFile(bufferHandle(zeros), zeros.length, undefined, undefined, 3), hashBuffer(zeros));
  });

  it('still reports a file that is longer than expected', async () => {
    const data = prng(SPLIT_MIN_BYTES + 100, 24);
    await expect(hashFile(bufferHandle(data), data.length - 1, undefined, undefined, 2)).rejects.toBeInstanceOf(FileChangedError);
  });

  it('throws the first failure only once every segment has stopped reading the handle', async () => {
    const data = prng(SPLIT_MIN_BYTES + 100, 25);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let waiting = 0;
    const inner = bufferHandle(data);
    const handle: ReadHandle = {
      ...inner,
      async read(buffer, offset, length, position) {
        if (position === 0) throw new Error('disk error in the first segment');
        waiting++;
        await gate; // the second segment's first read is still out when the first one fails
        return inner.read(buffer, offset, length, position);
      },
    };
    let settled = false;
    const hashing = hashFile(handle, data.length, undefined, undefined, 2).finally(() => (settled = true));
    hashing.catch(() => undefined);
    await waitFor(() => waiting === 1, 'the second segment reading');
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    release();
    await expect(hashing).rejects.toThrow('disk error in the first segment');
  });

  it('joins where both lists cut at the same offset, and says where to go on when they never do', () => {
    const b = (size: number, tag: number): BlockRef => ({ hash: Buffer.alloc(32, tag), size });
    // Range 0 from 0: cuts at 10, 25, 40 (its last block ends where the range ended); range 1 from 20: cuts at 25, 40.
    const joined = joinSegments([0, 20], [[b(10, 1), b(15, 2), b(15, 3), b(5, 4)], [b(5, 9), b(15, 5), b(7, 6)]]);
    expect(joined.complete).toBe(true);
    expect(sizes(joined.blocks)).toEqual([10, 15, 15, 7]);
    expect(joined.blocks[2]!.hash[0]).toBe(5);
    const apart = joinSegments([0, 20], [[b(10, 1), b(13, 2), b(9, 3)], [b(6, 9), b(9, 5)]]);
    expect(apart).toEqual({ complete: false, blocks: [b(10, 1), b(13, 2)], resumeAt: 23 });
  });
});

// Frozen values: if one of these changes, every node would cut differently (a protocol break).
// Cross-checked against a separate byte-at-a-time implementation of the rule in fastcdc.ts.
const GEAR_SAMPLES = ['89ae5d66', '9b319972', '7ddda0f9'];
const GEAR_DIGEST = 'c6cdbcee5e49d573ce1ca0379666f076d2ca6a262e11c31c1cbaec5c2abd8552';
const VECTOR_CUTS = [
  142600, 276868, 399874, 547926, 689821, 842814, 1011184, 1145478, 1309277, 1466667, 1610098,
  1750987, 1837498, 2014271, 2147091, 2337962, 2497795, 2664267, 2751934, 2909081, 3010469,
  3170834, 3322123, 3520515, 3678303, 3820850, 4002905, 4135926, 4194304,
];
const VECTOR_DIGEST = 'a112ea5a3a3dbe8cba4a24aea6559f7af9b81e4727be6547a69862f222c93ad3';
