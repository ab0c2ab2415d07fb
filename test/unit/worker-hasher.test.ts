/**
 * WorkerHasher runs the compiled worker (dist/, built by `npm run build`, which `npm test`
 * runs first): its blocks must be exactly the in-thread ones, whatever the slicing.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeFs } from '../../src/adapters/fs-node/index.js';
import { AbortedError } from '../../src/errors/index.js';
import type { BlockHasher } from '../../src/ports/hasher.js';
import { WorkerHasher } from '../../src/adapters/hasher-worker/worker-hasher.js';
import { SPLIT_MIN_BYTES, hashFile, inThreadHasher } from '../../src/core/sync/chunking/hash-file.js';
import { hashBuffer } from '../../src/protocol/index.js';
import type { FolderFs, ReadHandle } from '../../src/ports/fs.js';
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

/** Which way hashFile went: the worker reading the file itself, or slices pushed from here. */
function counting(inner: WorkerHasher): BlockHasher & { fileJobs: number; streams: number } {
  const counted = {
    parallelism: inner.parallelism,
    fileJobs: 0,
    streams: 0,
    stream: (from?: Parameters<BlockHasher['stream']>[0]) => {
      counted.streams++;
      return inner.stream(from);
    },
    hashOpenFile: (range: Parameters<NonNullable<BlockHasher['hashOpenFile']>>[0], signal?: AbortSignal) => {
      counted.fileJobs++;
      return inner.hashOpenFile(range, signal);
    },
    close: () => inner.close(),
  };
  return counted;
}

describe.skipIf(!built)('WorkerHasher reading files itself (real files, through their descriptors)', () => {
  const hasher = new WorkerHasher({ threads: 2, workerUrl });
  const root = mkdtempSync(join(tmpdir(), 'agora-hash-fd-'));
  let folder: FolderFs;
  afterAll(async () => {
    await hasher.close();
    rmSync(root, { recursive: true, force: true });
  });

  const hashPath = async (path: string, size: number, via: BlockHasher, segments = 1, signal?: AbortSignal, prior?: Parameters<typeof hashFile>[5]) => {
    folder ??= await new NodeFs().folder(root);
    const handle = await folder.openRead(path);
    try {
      return await hashFile(handle, size, signal, via, segments, prior);
    } finally {
      await handle.close();
    }
  };
  const asRefs = (blocks: { hash: Buffer; size: number }[]) => blocks.map((b) => [b.hash.toString('hex'), b.size]);

  it('gives the in-thread blocks, in one pass and in segments, without a slice from this thread', async () => {
    const via = counting(hasher);
    for (const [name, size, segments] of [['one.bin', 3 * 1024 * 1024 + 11, 1], ['empty.bin', 0, 1], ['big.bin', SPLIT_MIN_BYTES + 2 * 1024 * 1024 + 5, 2]] as const) {
      const data = pseudoRandom(size, size % 97);
      writeFileSync(join(root, name), data);
      expect(asRefs(await hashPath(name, size, via, segments))).toEqual(asRefs(hashBuffer(data)));
    }
    expect(via.fileJobs).toBe(1 + 1 + 2);
    expect(via.streams).toBe(0);
  });

  it('confirms the earlier blocks of an appended file and gives the one-pass result', async () => {
    const old = pseudoRandom(6 * 1024 * 1024, 71);
    const data = Buffer.concat([old, pseudoRandom(700_000, 72)]);
    writeFileSync(join(root, 'grown.bin'), data);
    expect(asRefs(await hashPath('grown.bin', data.length, hasher, 1, undefined, hashBuffer(old)))).toEqual(asRefs(hashBuffer(data)));
  });

  it('reports a file that is longer or shorter than expected', async () => {
    writeFileSync(join(root, 'moving.bin'), pseudoRandom(2 * 1024 * 1024, 5));
    await expect(hashPath('moving.bin', 2 * 1024 * 1024 - 10, hasher)).rejects.toThrow(/changed while it was being read/);
    await truncate(join(root, 'moving.bin'), 1024 * 1024);
    await expect(hashPath('moving.bin', 2 * 1024 * 1024, hasher)).rejects.toThrow(/changed while it was being read/);
  });

  it('stops when the signal fires, and answers only once the worker is done with the descriptor', async () => {
    const size = 48 * 1024 * 1024;
    writeFileSync(join(root, 'long.bin'), pseudoRandom(size, 8));
    folder ??= await new NodeFs().folder(root);
    const handle = await folder.openRead('long.bin');
    const controller = new AbortController();
    const hashing = hashFile(handle, size, controller.signal, hasher);
    controller.abort();
    await expect(hashing).rejects.toBeInstanceOf(AbortedError);
    // The handle is still ours and whole: the worker read nothing into it after answering.
    const probe = Buffer.alloc(4);
    expect(await handle.read(probe, 0, 4, 0)).toBe(4);
    await handle.close();
    // And the worker is free for the next file.
    const data = pseudoRandom(1024 * 1024 + 3, 9);
    writeFileSync(join(root, 'after.bin'), data);
    expect(asRefs(await hashPath('after.bin', data.length, hasher))).toEqual(asRefs(hashBuffer(data)));
  });
});
