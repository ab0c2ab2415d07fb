/**
 * Puller.pullFile on a file system that clones (a MemoryFs with reflinks, as Btrfs, XFS or APFS):
 * a new version of a big file starts as a clone of the one it replaces, so the blocks that sit
 * where they were are neither read nor written; only the rest is fetched or copied.
 */
import { describe, expect, it } from 'vitest';
import { MemoryFs } from '../../src/adapters/fs-memory/index.js';
import { LocalChangeError, Puller } from '../../src/core/sync/puller.js';
import { tempNameFor } from '../../src/core/sync/names/index.js';
import { versionKey } from '../../src/core/sync/version-vector.js';
import type { FolderFs } from '../../src/ports/fs.js';
import type { BlockLocation } from '../../src/ports/store.js';
import { pseudoRandom } from '../helpers/bytes.js';
import { peerVersion, scannedRecord } from '../helpers/records.js';

const MiB = 1024 * 1024;

interface Calls {
  clones: number;
  /** Reads of doc.bin through an open handle. */
  reads: number;
  fetched: number[];
  unlinked: string[];
}

/**
 * doc.bin holds `oldData`, indexed and as recorded; the winner is `newData` at the same path.
 * `onClone`: runs right after a clone was made (to change the source meanwhile).
 */
async function setup(oldData: Buffer, newData: Buffer, options: { reflinks?: boolean; onClone?: (disk: MemoryFs) => void } = {}) {
  let clock = 1_700_000_000_000;
  const disk = new MemoryFs({ now: () => (clock += 1000), reflinks: options.reflinks ?? true });
  disk.userWrite('/f', 'doc.bin', oldData);
  const plain = await disk.folder('/f');
  const calls: Calls = { clones: 0, reads: 0, fetched: [], unlinked: [] };
  const fs: FolderFs = new Proxy(plain, {
    get(target, prop) {
      if (prop === 'cloneFile') {
        return async (from: string, to: string) => {
          const cloned = await target.cloneFile(from, to);
          if (cloned) calls.clones++;
          if (cloned) options.onClone?.(disk);
          return cloned;
        };
      }
      if (prop === 'unlink') {
        return async (path: string) => {
          calls.unlinked.push(path);
          return target.unlink(path);
        };
      }
      if (prop === 'openRead') {
        return async (path: string) => {
          const handle = await target.openRead(path);
          if (path !== 'doc.bin') return handle;
          return { stat: () => handle.stat(), close: () => handle.close(), read: (...args: Parameters<typeof handle.read>) => (calls.reads++, handle.read(...args)) };
        };
      }
      return Reflect.get(target, prop, target) as unknown;
    },
  });
  const st = (await plain.lstat('doc.bin'))!;
  const record = scannedRecord('doc.bin', oldData, st);
  const index = new Map<string, BlockLocation>();
  let offset = 0;
  for (const b of record.blocks) {
    index.set(b.hash.toString('hex'), { path: 'doc.bin', offset, size: b.size } as BlockLocation);
    offset += b.size;
  }
  const puller = new Puller({
    fs,
    now: () => clock,
    localRecord: (path) => (path === 'doc.bin' ? record : undefined),
    findLocalBlocks: (hashes) => new Map(hashes.map((h) => [h.toString('hex'), index.get(h.toString('hex'))!] as const).filter(([, l]) => l !== undefined)),
    fetchBlock: async (block, hint) => {
      calls.fetched.push(hint.offset);
      return newData.subarray(hint.offset, hint.offset + block.size);
    },
  });
  const winner = peerVersion('doc.bin', newData, 2);
  return { disk, plain, puller, winner, calls };
}

/** The kept versions of doc.bin (`.agora/versions`), by content. */
function versions(disk: MemoryFs): Buffer[] {
  const all = disk.snapshot('/f', { ignore: [] });
  return Object.entries(all)
    .filter(([path, e]) => path.startsWith('.agora/versions/') && e.type === 'file')
    .map(([, e]) => e.bytes!);
}

describe('Puller on a file system that clones', () => {
  it('an appended big file starts as a clone of the old one: only its new end is fetched, the old part never read', async () => {
    const oldData = pseudoRandom(6 * MiB, 1);
    const newData = Buffer.concat([oldData, pseudoRandom(300 * 1024, 2)]);
    const { disk, puller, winner, calls } = await setup(oldData, newData);
    await puller.pullFile(winner);
    expect(disk.snapshot('/f')['doc.bin']?.bytes?.equals(newData)).toBe(true);
    expect(calls.clones).toBe(1);
    expect(calls.reads).toBe(0);
    // The last old block may be cut differently once more bytes follow it: that one and the new end.
    expect(calls.fetched.length).toBeGreaterThan(0);
    expect(Math.min(...calls.fetched)).toBeGreaterThan(oldData.length - 2 * MiB);
    // The old version is kept as it was: writing into the clone did not touch it.
    expect(versions(disk).some((v) => v.equals(oldData))).toBe(true);
  });

  it('an edit inside a big file of the same size: the clone holds the rest, the changed blocks are fetched', async () => {
    const oldData = pseudoRandom(6 * MiB, 3);
    const newData = Buffer.from(oldData);
    pseudoRandom(4096, 4).copy(newData, 3 * MiB);
    const { disk, puller, winner, calls } = await setup(oldData, newData);
    await puller.pullFile(winner);
    expect(disk.snapshot('/f')['doc.bin']?.bytes?.equals(newData)).toBe(true);
    expect(calls.clones).toBe(1);
    expect(calls.reads).toBe(0);
    expect(calls.fetched.length).toBeGreaterThan(0);
    expect(calls.fetched.length).toBeLessThanOrEqual(3);
  });

  it('a file shortened at the end: the clone is cut to the new size', async () => {
    const oldData = pseudoRandom(6 * MiB, 5);
    const newData = oldData.subarray(0, 4 * MiB + 12345);
    const { disk, puller, winner, calls } = await setup(oldData, newData);
    await puller.pullFile(winner);
    expect(disk.snapshot('/f')['doc.bin']?.bytes?.equals(newData)).toBe(true);
    expect(calls.clones).toBe(1);
  });

  it('a file that changes while it is cloned: the clone is dropped and the local change kept', async () => {
    const oldData = pseudoRandom(4 * MiB, 6);
    const newData = Buffer.concat([oldData, pseudoRandom(100 * 1024, 7)]);
    const mine = pseudoRandom(4 * MiB, 8);
    const { disk, puller, winner, calls } = await setup(oldData, newData, { onClone: (d) => d.userWrite('/f', 'doc.bin', mine) });
    await expect(puller.pullFile(winner)).rejects.toBeInstanceOf(LocalChangeError);
    expect(calls.clones).toBe(1);
    expect(disk.snapshot('/f')['doc.bin']?.bytes?.equals(mine)).toBe(true);
    // The clone was removed at once, before anything could take it for a resumable temp file.
    expect(calls.unlinked).toEqual([tempNameFor('doc.bin', versionKey(winner.version))]);
  });

  it('a leftover temp file of an interrupted pull is resumed, not replaced by a clone', async () => {
    const oldData = pseudoRandom(4 * MiB, 9);
    const newData = Buffer.concat([oldData, pseudoRandom(100 * 1024, 10)]);
    const { disk, plain, puller, winner, calls } = await setup(oldData, newData);
    const temp = tempNameFor('doc.bin', versionKey(winner.version));
    const h = await plain.openWrite(temp);
    await h.write(newData.subarray(0, MiB), 0);
    await h.close();
    await puller.pullFile(winner);
    expect(disk.snapshot('/f')['doc.bin']?.bytes?.equals(newData)).toBe(true);
    expect(calls.clones).toBe(0);
  });

  it('where the file system cannot clone, the file is assembled as before', async () => {
    const oldData = pseudoRandom(4 * MiB, 11);
    const newData = Buffer.concat([oldData, pseudoRandom(100 * 1024, 12)]);
    const { disk, puller, winner, calls } = await setup(oldData, newData, { reflinks: false });
    await puller.pullFile(winner);
    expect(disk.snapshot('/f')['doc.bin']?.bytes?.equals(newData)).toBe(true);
    expect(calls.clones).toBe(0);
    expect(calls.reads).toBeGreaterThan(0);
  });
});
