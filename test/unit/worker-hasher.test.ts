/**
 * WorkerHasher runs the compiled worker (dist/, built by `npm run build`, which `npm test`
 * runs first): its blocks must be exactly the in-thread ones, whatever the slicing.
 */
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerHasher } from '../../src/adapters/hasher-worker/worker-hasher.js';
import { SPLIT_MIN_BYTES, hashFile, inThreadHasher } from '../../src/core/sync/chunking/hash-file.js';
import { hashBuffer } from '../../src/protocol/index.js';
import type { ReadHandle } from '../../src/ports/fs.js';
import { pseudoRandom } from '../helpers/bytes.js';

const workerUrl = new URL('../../dist/adapters/hasher-worker/hash-worker.js', import.meta.url);
const built = existsSync(workerUrl);

function memoryHandle(data: Buffer): ReadHandle {
  return {
    read: async (buffer, offset, length, position) => (position >= data.length ? 0 : data.copy(buffer, offset, position, Math.min(data.length, position + length))),
    stat: async () => ({ type: 'file', size: data.length, mtimeMs: 0, mode: 0o644, inode: 1 }),
    close: async () => undefined,
  };
}

describe.skipIf(!built)('WorkerHasher', () => {
  const hasher = new WorkerHasher({ threads: 2, workerUrl });
  afterAll(() => hasher.close());

  it('gives the in-thread blocks for files of several sizes, several at once', async () => {
    const files = [0, 1, 1024 * 1024, 5 * 1024 * 1024 + 7, 9 * 1024 * 1024].map((size, i) => pseudoRandom(size, i + 1));
    const got = await Promise.all(files.map((f) => hashFile(memoryHandle(f), f.length, undefined, hasher)));
    got.forEach((blocks, i) => {
      const want = hashBuffer(files[i]!);
      expect(blocks.map((b) => [b.hash.toString('hex'), b.size])).toEqual(want.map((b) => [b.hash.toString('hex'), b.size]));
    });
  });

  it('gives the in-thread blocks for a big file cut into segments hashed on both workers', async () => {
    const data = pseudoRandom(SPLIT_MIN_BYTES + 5 * 1024 * 1024 + 3, 42);
    const blocks = await hashFile(memoryHandle(data), data.length, undefined, hasher, 2);
    expect(blocks.map((b) => [b.hash.toString('hex'), b.size])).toEqual(hashBuffer(data).map((b) => [b.hash.toString('hex'), b.size]));
  });

  it('gives the in-thread blocks for an appended and an edited big file hashed with its earlier blocks', async () => {
    const old = pseudoRandom(SPLIT_MIN_BYTES + 3 * 1024 * 1024, 43);
    const prior = hashBuffer(old);
    const extra = pseudoRandom(1024 * 1024 + 9, 44);
    const half = old.length / 2;
    for (const data of [Buffer.concat([old, extra]), Buffer.concat([old.subarray(0, half), extra, old.subarray(half)])]) {
      const blocks = await hashFile(memoryHandle(data), data.length, undefined, hasher, 2, prior);
      expect(blocks.map((b) => [b.hash.toString('hex'), b.size])).toEqual(hashBuffer(data).map((b) => [b.hash.toString('hex'), b.size]));
    }
  });

  it('copies a buffer it does not own instead of moving it', async () => {
    const data = pseudoRandom(3 * 1024 * 1024, 9);
    const backing = Buffer.concat([Buffer.alloc(16), data]);
    const view = backing.subarray(16);
    const stream = hasher.stream();
    const back = await stream.push(view, view.length);
    expect(back).toBe(view);
    expect(backing.subarray(16).equals(data)).toBe(true);
    const blocks = await stream.finish();
    expect(blocks.map((b) => b.size)).toEqual(hashBuffer(data).map((b) => b.size));
  });

  it('reports a file that grew, like the in-thread path', async () => {
    const data = pseudoRandom(2 * 1024 * 1024, 3);
    await expect(hashFile(memoryHandle(data), data.length - 10, undefined, hasher)).rejects.toThrow(/changed/);
    await expect(hashFile(memoryHandle(data), data.length - 10, undefined, inThreadHasher)).rejects.toThrow(/changed/);
  });
});
