/**
 * Puller.pullFile re-uses blocks of local files in runs (one read, every block hashed, one
 * write) and fetches only what is not here; a local file changed since it was indexed is
 * never copied from: those blocks are fetched.
 */
import { describe, expect, it } from 'vitest';
import { MemoryFs } from '../../src/adapters/fs-memory/index.js';
import { hashBuffer } from '../../src/protocol/index.js';
import { Puller } from '../../src/core/sync/puller.js';
import type { BlockLocation } from '../../src/ports/store.js';
import type { BlockRef, FileRecord } from '../../src/protocol/index.js';

function bytes(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
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

async function setup(oldData: Buffer, newData: Buffer) {
  const disk = new MemoryFs({ now: () => 1_700_000_000_000 });
  disk.userWrite('/f', 'old.bin', oldData);
  const fs = await disk.folder('/f');
  const oldBlocks = hashBuffer(oldData);
  const newBlocks = hashBuffer(newData);
  const fetched: number[] = [];
  const index = locations(oldBlocks, 'old.bin');
  const puller = new Puller({
    fs,
    now: () => 1_700_000_000_000,
    localRecord: () => undefined,
    findLocalBlocks: (hashes) => new Map(hashes.map((h) => [h.toString('hex'), index.get(h.toString('hex'))!] as const).filter(([, l]) => l !== undefined)),
    fetchBlock: async (block, hint) => {
      fetched.push(hint.offset);
      return newData.subarray(hint.offset, hint.offset + block.size);
    },
  });
  const winner: FileRecord = {
    path: 'new.bin', type: 'file', size: newData.length, mtimeMs: 1_600_000_000_000, mode: 0o644, deleted: false,
    version: [{ device: 'a'.repeat(64), value: 1 }], modifiedBy: 'a'.repeat(64), sequence: 1, blocks: newBlocks, sig: Buffer.alloc(64), at: ['e'.repeat(64)],
  };
  return { disk, fs, puller, winner, fetched, newBlocks };
}

describe('Puller: blocks copied from local files', () => {
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
});
