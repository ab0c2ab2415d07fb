/**
 * Puller.pullFile re-uses blocks of local files in runs (one read, every block hashed, one
 * write) and fetches only what is not here; a local file changed since it was indexed is
 * never copied from: those blocks are fetched.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryFs } from '../../src/adapters/fs-memory/index.js';
import { LocalChangeError, Puller } from '../../src/core/sync/puller.js';
import type { FolderFs } from '../../src/ports/fs.js';
import type { BlockLocation } from '../../src/ports/store.js';
import type { BlockRef } from '../../src/protocol/index.js';
import { peerVersion, scannedRecord } from '../helpers/records.js';

/** Pseudo-random bytes (SHA-256 in counter mode), so that content-defined cuts fall as they do in real files. */
function bytes(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0, at = 0; at < size; i++, at += 32) createHash('sha256').update(`${seed}:${i}`).digest().copy(out, at);
  return out;
}

function locations(blocks: BlockRef[], path: string): Map<string, BlockLocation> {
  const map = new Map<string, BlockLocation>();
  let offset = 0;
  for (const b of blocks) {
    map.set(b.hash.toString('hex'), { path, offset, size: b.size } as BlockLocation);
    offset += b.size;
  }
  return map;
}

/**
 * `trust`: this device's record of old.bin matches its stat, so runs copied from it may go
 * unhashed. `onRead`: called before every read of old.bin.
 */
async function setup(oldData: Buffer, newData: Buffer, options: { trust?: boolean; onRead?: (fs: FolderFs) => Promise<void>; events?: string[] } = {}) {
  let clock = 1_700_000_000_000;
  const disk = new MemoryFs({ now: () => (clock += 1000) });
  disk.userWrite('/f', 'old.bin', oldData);
  const plain = await disk.folder('/f');
  const onRead = options.onRead;
  const fs: FolderFs = onRead
    ? new Proxy(plain, {
        get(target, prop) {
          if (prop !== 'openRead') return Reflect.get(target, prop, target) as unknown;
          return async (path: string) => {
            const handle = await target.openRead(path);
            if (path !== 'old.bin') return handle;
            return { ...handle, stat: () => handle.stat(), close: () => handle.close(), read: async (...args: Parameters<typeof handle.read>) => (await onRead(target), handle.read(...args)) };
          };
        },
      })
    : plain;
  const fetched: number[] = [];
  const st = (await plain.lstat('old.bin'))!;
  const oldRecord = scannedRecord('old.bin', oldData, st);
  const index = locations(oldRecord.blocks, 'old.bin');
  const puller = new Puller({
    fs,
    now: () => clock,
    localRecord: (path) => (options.trust && path === 'old.bin' ? oldRecord : undefined),
    findLocalBlocks: (hashes) => new Map(hashes.map((h) => [h.toString('hex'), index.get(h.toString('hex'))!] as const).filter(([, l]) => l !== undefined)),
    fetchBlock: async (block, hint) => {
      fetched.push(hint.offset);
      options.events?.push('fetch');
      return newData.subarray(hint.offset, hint.offset + block.size);
    },
  });
  const winner = peerVersion('new.bin', newData);
  return { disk, fs, puller, winner, fetched, newBlocks: winner.blocks };
}

describe('Puller: blocks copied from local files', () => {
  it('asks for the blocks it must fetch before it copies the local ones', async () => {
    // More runs of 512 KiB than there are block workers (32), so order matters.
    const oldData = bytes(20 * 1024 * 1024, 3);
    const newData = Buffer.concat([oldData, bytes(256 * 1024, 4)]);
    const events: string[] = [];
    const { disk, puller, winner } = await setup(oldData, newData, { events, onRead: async () => void events.push('read') });
    await puller.pullFile(winner);
    expect(disk.snapshot('/f')['new.bin']?.bytes?.equals(newData)).toBe(true);
    expect(events.indexOf('fetch')).toBeGreaterThanOrEqual(0);
    expect(events.indexOf('fetch')).toBeLessThan(events.indexOf('read'));
  });

  it('copies the unchanged part of an appended file and fetches only the rest', async () => {
    const oldData = bytes(3 * 1024 * 1024, 1);
    const newData = Buffer.concat([oldData, bytes(512 * 1024, 2)]);
    const { disk, puller, winner, fetched, newBlocks } = await setup(oldData, newData);
    await puller.pullFile(winner);
    expect(disk.snapshot('/f')['new.bin']?.bytes?.equals(newData)).toBe(true);
    const copied = newBlocks.length - fetched.length;
    expect(copied).toBeGreaterThan(newBlocks.length / 2);
    expect(fetched.length).toBeLessThanOrEqual(8);
  });

  it('fetches what a local file no longer holds, never copying changed bytes', async () => {
    const oldData = bytes(3 * 1024 * 1024, 5);
    const newData = Buffer.from(oldData);
    const { disk, fs, puller, winner, fetched } = await setup(oldData, newData);
    // The local file changes after it was indexed (same size): the index is stale.
    const h = await fs.openWrite('old.bin');
    await h.write(Buffer.from('changed!'), 1024 * 1024 + 10);
    await h.close();
    await puller.pullFile(winner);
    expect(disk.snapshot('/f')['new.bin']?.bytes?.equals(newData)).toBe(true);
    expect(fetched.length).toBeGreaterThan(0);
  });

  it('copies runs of a file that is as recorded without hashing them, and gets every byte right', async () => {
    const oldData = bytes(3 * 1024 * 1024, 7);
    const newData = Buffer.concat([oldData, bytes(300 * 1024, 9)]);
    const { disk, puller, winner, fetched, newBlocks } = await setup(oldData, newData, { trust: true });
    await puller.pullFile(winner);
    expect(disk.snapshot('/f')['new.bin']?.bytes?.equals(newData)).toBe(true);
    expect(fetched.length).toBeLessThan(newBlocks.length / 2);
  });

  it('a file copied from unhashed that changes meanwhile fails the pull, and the retry puts nothing wrong in place', async () => {
    const oldData = bytes(3 * 1024 * 1024, 11);
    const newData = Buffer.concat([oldData, bytes(200 * 1024, 12)]);
    let changed = false;
    const { disk, puller, winner } = await setup(oldData, newData, {
      trust: true,
      // Someone edits old.bin (same size, new mtime) while its first run is being copied.
      onRead: async (fs) => {
        if (changed) return;
        changed = true;
        const h = await fs.openWrite('old.bin');
        await h.write(Buffer.alloc(64 * 1024, 0x55), 1024 * 1024);
        await h.close();
      },
    });
    await expect(puller.pullFile(winner)).rejects.toBeInstanceOf(LocalChangeError);
    expect(disk.snapshot('/f')['new.bin']).toBeUndefined();
    // The retry (the record now distrusted: a rescan is due) checks the temp file's blocks by hash.
    const { puller: retry } = await setupRetry(disk, newData);
    await retry.pullFile(winner);
    expect(disk.snapshot('/f')['new.bin']?.bytes?.equals(newData)).toBe(true);
  });
});

/** A second puller on the same disk that trusts no record and copies nothing: it fetches. */
async function setupRetry(disk: MemoryFs, newData: Buffer) {
  const fs = await disk.folder('/f');
  const puller = new Puller({
    fs,
    now: () => 1_800_000_000_000,
    localRecord: () => undefined,
    findLocalBlocks: () => new Map(),
    fetchBlock: async (block, hint) => newData.subarray(hint.offset, hint.offset + block.size),
  });
  return { puller };
}
