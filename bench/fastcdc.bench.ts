/**
 * Throughput of chunking and file hashing. Run alone (the numbers mean little on a busy
 * machine): npx vitest bench --run bench/fastcdc.bench.ts
 * `vitest run` does not pick this file up (vitest.config.ts includes test/** only).
 * Besides vitest's table, prints MB/s per case (1 MB = 10^6 bytes).
 */
import { createHash } from 'node:crypto';
import { afterAll, bench, describe } from 'vitest';
import { CHUNK_LIMITS, ChunkBoundaryFinder } from '../src/protocol/index.js';
import { SLICE_BYTES, hashFile } from '../src/core/sync/chunking/hash-file.js';
import type { FsStat, ReadHandle } from '../src/ports/fs.js';

const SIZE = 256 * 1024 * 1024;

/** Incompressible deterministic data (xorshift32), like the media and archives that dominate bytes synced. */
function prng(length: number, seed: number): Buffer {
  const words = new Uint32Array(Math.ceil(length / 4));
  let s = seed;
  for (let i = 0; i < words.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    words[i] = s >>> 0;
  }
  return Buffer.from(words.buffer, 0, length);
}

const data = prng(SIZE, 2024);

/** Copies like a real read would (into the hasher's buffer), but costs no I/O. */
const handle: ReadHandle = {
  async read(buffer, offset, length, position) {
    const n = Math.max(0, Math.min(length, data.length - position));
    data.copy(buffer, offset, position, position + n);
    return n;
  },
  async stat(): Promise<FsStat> {
    return { type: 'file', size: data.length, mtimeMs: 0, mode: 0o644, inode: 1 };
  },
  async close() {},
};

const totals = new Map<string, { bytes: number; ns: bigint; chunks: number }>();
function record(name: string, start: bigint, chunks: number): void {
  const t = totals.get(name) ?? { bytes: 0, ns: 0n, chunks: 0 };
  t.bytes += SIZE;
  t.ns += process.hrtime.bigint() - start;
  t.chunks += chunks;
  totals.set(name, t);
}

const options = { time: 3000, iterations: 5, warmupIterations: 2 };

describe(`${SIZE / 2 ** 20} MiB of random data`, () => {
  bench(
    'boundary search (ChunkBoundaryFinder.nextCut, 4 MiB slices)',
    () => {
      const start = process.hrtime.bigint();
      const finder = new ChunkBoundaryFinder();
      let chunks = 0;
      for (let offset = 0; offset < SIZE; offset += SLICE_BYTES) {
        const end = Math.min(SIZE, offset + SLICE_BYTES);
        for (let at = finder.nextCut(data, offset, end); at >= 0; at = finder.nextCut(data, at, end)) chunks++;
      }
      if (finder.end() !== null) chunks++;
      record('boundary search', start, chunks);
    },
    options,
  );

  bench(
    'SHA-256 alone (4 MiB updates), for reference',
    () => {
      const start = process.hrtime.bigint();
      const h = createHash('sha256');
      for (let offset = 0; offset < SIZE; offset += SLICE_BYTES) h.update(data.subarray(offset, offset + SLICE_BYTES));
      h.digest();
      record('sha-256 alone', start, 0);
    },
    options,
  );

  bench(
    'hashFile (in-memory ReadHandle)',
    async () => {
      const start = process.hrtime.bigint();
      const blocks = await hashFile(handle, SIZE);
      record('hashFile', start, blocks.length);
    },
    options,
  );
});

afterAll(() => {
  for (const [name, t] of totals) {
    const mbps = t.bytes / (Number(t.ns) / 1e9) / 1e6;
    const avg = t.chunks > 0 ? ` (mean chunk ${(t.bytes / t.chunks / 1024).toFixed(1)} KiB, AVG ${CHUNK_LIMITS.avg / 1024})` : '';
    console.log(`${name}: ${mbps.toFixed(0)} MB/s${avg}`);
  }
});
