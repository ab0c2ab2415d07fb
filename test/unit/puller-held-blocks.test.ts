/**
 * Puller: however many files are pulled at once, the folder holds a bounded number of blocks
 * that were asked for and not yet written (HELD_BLOCKS), so memory does not grow with the
 * number of files in flight.
 */
import { describe, expect, it } from 'vitest';
import { MemoryFs } from '../../src/adapters/fs-memory/index.js';
import { Puller } from '../../src/core/sync/puller.js';
import { hashBuffer, type FileRecord } from '../../src/protocol/index.js';
import { pseudoRandom } from '../helpers/bytes.js';
import { waitFor } from '../helpers/wait.js';

const HELD_BLOCKS = 64;

function record(path: string, data: Buffer): FileRecord {
  return {
    path, type: 'file', size: data.length, mtimeMs: 1_600_000_000_000, mode: 0o644, deleted: false,
    version: [{ device: 'a'.repeat(64), value: 1 }], modifiedBy: 'a'.repeat(64), sequence: 1, blocks: hashBuffer(data), sig: Buffer.alloc(64), at: [],
  };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('Puller: blocks held at once', () => {
  it('asks for at most HELD_BLOCKS blocks at once across files, and completes every file', async () => {
    const disk = new MemoryFs({ now: () => 1_700_000_000_000 });
    const fs = await disk.folder('/f', { create: true });
    const files = Array.from({ length: 5 }, (_, i) => ({ path: `big-${i}.bin`, data: pseudoRandom(4 * 1024 * 1024, 100 + i) }));
    const byPath = new Map(files.map((f) => [f.path, f.data]));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let asked = 0;
    let written = 0;
    let most = 0;
    const puller = new Puller({
      fs,
      now: () => 1_700_000_000_000,
      localRecord: () => undefined,
      findLocalBlocks: () => new Map(),
      fetchBlock: async (block, hint) => {
        asked++;
        most = Math.max(most, asked - written);
        await gate;
        return byPath.get(hint.path)!.subarray(hint.offset, hint.offset + block.size);
      },
      onBytes: (_bytes, source) => {
        if (source === 'peer') written++;
      },
    });
    const winners = files.map((f) => record(f.path, f.data));
    // Each file alone would have up to 32 blocks asked for at once: 5 files, up to 160.
    expect(winners.reduce((n, w) => n + Math.min(32, w.blocks.length), 0)).toBeGreaterThan(2 * HELD_BLOCKS);
    const pulls = winners.map((w) => puller.pullFile(w));
    await waitFor(() => asked >= HELD_BLOCKS, 'the first blocks asked for');
    for (let i = 0; i < 20; i++) await turn();
    expect(asked).toBe(HELD_BLOCKS);
    release();
    await Promise.all(pulls);
    expect(most).toBe(HELD_BLOCKS);
    expect(asked).toBe(winners.reduce((n, w) => n + w.blocks.length, 0));
    const tree = disk.snapshot('/f');
    for (const f of files) expect(tree[f.path]?.bytes?.equals(f.data)).toBe(true);
  });
});
