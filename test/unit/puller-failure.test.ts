/**
 * Puller.pullFile when something fails mid-file: no block write may reach the temp file's
 * descriptor after the pull gave up (the descriptor is closed and may be another file's by
 * then), and a background flush that fails fails the pull.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryFs } from '../../src/adapters/fs-memory/index.js';
import { EarlyFlush } from '../../src/core/sync/early-flush.js';
import { Puller } from '../../src/core/sync/puller.js';
import { pseudoRandom } from '../helpers/bytes.js';
import { waitFor } from '../helpers/wait.js';
import type { FolderFs, WriteHandle } from '../../src/ports/fs.js';
import { hashBuffer, type FileRecord } from '../../src/protocol/index.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** The folder, with every write handle watched: writes after close, and a sync that may fail. */
async function watchedFolder(options: { failSync?: boolean } = {}) {
  const disk = new MemoryFs({ now: () => 1_700_000_000_000 });
  disk.userWrite('/f', 'other.txt', 'here before');
  const plain = await disk.folder('/f');
  const seen = { writesAfterClose: 0, writes: 0, syncs: 0 };
  const fs: FolderFs = new Proxy(plain, {
    get(target, prop) {
      if (prop !== 'openWrite') return Reflect.get(target, prop, target) as unknown;
      return async (path: string) => {
        const h = await target.openWrite(path);
        let closed = false;
        const watched: WriteHandle = {
          read: (...a) => h.read(...a),
          stat: () => h.stat(),
          truncate: (n) => h.truncate(n),
          chmod: (m) => h.chmod(m),
          setMtime: (t) => h.setMtime(t),
          write: async (data, position) => {
            seen.writes++;
            if (closed) seen.writesAfterClose++;
            await h.write(data, position);
          },
          sync: async () => {
            seen.syncs++;
            if (options.failSync && seen.syncs === 1) throw new Error('I/O error while flushing');
            await h.sync();
          },
          close: async () => {
            closed = true;
            await h.close();
          },
        };
        return watched;
      };
    },
  });
  return { disk, fs, seen };
}

function record(path: string, data: Buffer): FileRecord {
  return {
    path, type: 'file', size: data.length, mtimeMs: 1_600_000_000_000, mode: 0o644, deleted: false,
    version: [{ device: 'a'.repeat(64), value: 1 }], modifiedBy: 'a'.repeat(64), sequence: 1, blocks: hashBuffer(data), sig: Buffer.alloc(64), at: [],
  };
}

describe('Puller: a failure mid-file', () => {
  it('stops every block worker before giving up, so nothing is written to the closed file', async () => {
    const data = pseudoRandom(4 * 1024 * 1024, 1);
    const winner = record('new.bin', data);
    const { disk, fs, seen } = await watchedFolder();
    const gate = deferred();
    let waiting = 0;
    const puller = new Puller({
      fs,
      now: () => 1_700_000_000_000,
      localRecord: () => undefined,
      findLocalBlocks: () => new Map(),
      fetchBlock: async (block, hint) => {
        if (hint.offset === 0) throw new Error('no peer has this block');
        waiting++;
        await gate.promise;
        return data.subarray(hint.offset, hint.offset + block.size);
      },
    });
    let settled = false;
    const pull = puller.pullFile(winner).finally(() => (settled = true));
    pull.catch(() => undefined);
    await waitFor(() => waiting === winner.blocks.length - 1, 'every other block asked for');
    await new Promise((r) => setImmediate(r));
    // The fetches still out would write into the file: the pull waits for them.
    expect(settled).toBe(false);
    gate.resolve();
    await expect(pull).rejects.toThrow('no peer has this block');
    expect(seen.writes).toBe(winner.blocks.length - 1);
    expect(seen.writesAfterClose).toBe(0);
    expect(disk.snapshot('/f')['new.bin']).toBeUndefined();
  });

  it('fails the pull when a flush started along the way fails, and puts nothing in place', async () => {
    const data = randomBytes(33 * 1024 * 1024);
    const { disk, fs, seen } = await watchedFolder({ failSync: true });
    const puller = new Puller({
      fs,
      now: () => 1_700_000_000_000,
      localRecord: () => undefined,
      findLocalBlocks: () => new Map(),
      fetchBlock: async (block, hint) => data.subarray(hint.offset, hint.offset + block.size),
    });
    await expect(puller.pullFile(record('new.bin', data))).rejects.toThrow('I/O error while flushing');
    expect(seen.syncs).toBe(1); // the early flush; the final one never ran
    expect(disk.snapshot('/f')['new.bin']).toBeUndefined();
  });
});

describe('EarlyFlush', () => {
  it('starts a flush every so many bytes without waiting for it, one at a time, and settle waits for it', async () => {
    const flushes: { done: () => void }[] = [];
    let inFlight = 0;
    let most = 0;
    const writes: number[] = [];
    const handle = {
      write: async (data: Buffer, position: number) => void writes.push(position),
      sync: () =>
        new Promise<void>((resolve) => {
          inFlight++;
          most = Math.max(most, inFlight);
          flushes.push({ done: () => (inFlight--, resolve()) });
        }),
    } as unknown as WriteHandle;
    const out = new EarlyFlush(handle, 100);
    for (let i = 0; i < 10; i++) await out.write(Buffer.alloc(60), i * 60);
    // Writes went on while the first flush was out; no second one started meanwhile.
    expect(writes).toHaveLength(10);
    expect(flushes).toHaveLength(1);
    let settled = false;
    const settling = out.settle().then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    flushes[0]!.done();
    await settling;
    expect(most).toBe(1);
    await out.write(Buffer.alloc(100), 600);
    expect(flushes).toHaveLength(2);
    flushes[1]!.done();
    await out.settle();
  });
});
